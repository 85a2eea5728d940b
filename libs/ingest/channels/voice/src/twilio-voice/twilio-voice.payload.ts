import {
  IsIn,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidatorConstraint,
  Validate,
  type ValidatorConstraintInterface,
  type ValidationArguments,
} from 'class-validator';

/** CallStatus values (https://www.twilio.com/docs/voice/api/call-resource#call-status-values). */
export const TWILIO_CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'canceled',
  'failed',
] as const;
export type TwilioCallStatus = (typeof TWILIO_CALL_STATUSES)[number];

/** Direction values: API-created and <Dial> legs, inbound calls, and Elastic SIP Trunking calls. */
export const TWILIO_CALL_DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial', 'trunking-originating', 'trunking-terminating'] as const;
export type TwilioCallDirection = (typeof TWILIO_CALL_DIRECTIONS)[number];

/** Optional form fields: Twilio leaves some out and sends others empty; both mean absent. */
const Optional = (): PropertyDecorator => ValidateIf((_object, value: unknown) => value !== undefined && value !== null && value !== '');

const RFC_2822 =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UT)$/;

@ValidatorConstraint({ name: 'isRfc2822DateTime' })
class IsRfc2822DateTime implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || !RFC_2822.test(value)) return false;
    const day = Number(value.replace(/^[A-Za-z]{3}, /, '').split(' ')[0]);
    return day >= 1 && day <= 31 && !Number.isNaN(Date.parse(value));
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an RFC 2822 date-time such as "Tue, 14 Jan 2025 10:01:07 +0000"`;
  }
}

const sid = (prefix: string, field: string) =>
  Matches(new RegExp(`^${prefix}[0-9a-f]{32}$`, 'i'), { message: `${field} must be ${prefix} followed by 32 hex digits` });

/**
 * A Twilio Voice status callback (application/x-www-form-urlencoded), sent to the StatusCallback URL
 * of a call for each event subscribed with StatusCallbackEvent (initiated, ringing, answered,
 * completed). https://www.twilio.com/docs/voice/api/call-resource#statuscallback and
 * https://www.twilio.com/docs/usage/webhooks/voice-webhooks#call-status-callbacks
 */
export class TwilioVoiceStatusPayload {
  @sid('CA', 'CallSid') CallSid!: string;
  @sid('AC', 'AccountSid') AccountSid!: string;
  @Optional() @sid('CA', 'ParentCallSid') ParentCallSid?: string;

  @IsString() @Length(1, 256) From!: string;
  @IsString() @Length(1, 256) To!: string;

  @IsIn(TWILIO_CALL_STATUSES, { message: `CallStatus must be one of ${TWILIO_CALL_STATUSES.join(', ')}` }) CallStatus!: TwilioCallStatus;
  @IsIn(TWILIO_CALL_DIRECTIONS, { message: `Direction must be one of ${TWILIO_CALL_DIRECTIONS.join(', ')}` })
  Direction!: TwilioCallDirection;

  /** Seconds from answer to hang-up; on the completed callback. */
  @Optional() @Matches(/^\d{1,7}$/, { message: 'CallDuration must be a whole number of seconds' }) CallDuration?: string;
  /** When the event fired, UTC, RFC 2822. */
  @Optional() @Validate(IsRfc2822DateTime) Timestamp?: string;
  /** The order of this callback among the call's callbacks, from 0. */
  @Optional() @Matches(/^\d{1,6}$/, { message: 'SequenceNumber must be a whole number' }) SequenceNumber?: string;
  /** `call-progress-events` on status callbacks. */
  @Optional() @IsString() @MaxLength(64) CallbackSource?: string;

  @Optional()
  @IsUrl({ protocols: ['https'], require_protocol: true, require_tld: false }, { message: 'RecordingUrl must be an https URL' })
  RecordingUrl?: string;
  @Optional() @sid('RE', 'RecordingSid') RecordingSid?: string;
  @Optional() @Matches(/^\d{1,7}$/, { message: 'RecordingDuration must be a whole number of seconds' }) RecordingDuration?: string;

  @Optional() @IsString() ApiVersion?: string;

  [field: string]: unknown;
}
