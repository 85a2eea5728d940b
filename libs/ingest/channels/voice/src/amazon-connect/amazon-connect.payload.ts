import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBase64,
  IsDefined,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { validateAs, type FieldError } from '@hub/contracts';
import type { ParseResult } from '@hub/channels-core';

/**
 * Amazon Connect contact records (CTRs) as Kinesis Data Firehose delivers them to an HTTP endpoint.
 *
 * The request body (https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html):
 *   { "requestId": "<GUID>", "timestamp": <ms since epoch>, "records": [ { "data": "<base64>" }, ... ] }
 * Each record's data is one contact record, JSON
 * (https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html).
 *
 * Only the fields the adapter reads are validated; Connect adds fields without notice, so unknown
 * ones are allowed. Connect writes `null` for absent values, which `@IsOptional` treats as absent.
 */

/** The time part of an ISO 8601 instant with an explicit zone. */
const ZONED_TIME = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An instant with an explicit zone: Connect writes UTC (`2022-01-05T17:12:59Z`); a zone-less time would be read as local. */
function IsInstant(): PropertyDecorator {
  return (target, property) => {
    IsISO8601({ strict: true }, { message: `${String(property)} must be an ISO 8601 date-time` })(target, property);
    Matches(ZONED_TIME, { message: `${String(property)} must be an ISO 8601 date-time with a time zone` })(target, property);
  };
}

const instant = (value: unknown): number | undefined =>
  typeof value === 'string' && ZONED_TIME.test(value) ? Date.parse(value) : undefined;

@ValidatorConstraint({ name: 'notBeforeInitiation' })
class NotBeforeInitiation implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    // Only two well-formed instants are compared; a malformed one is reported by its own check.
    const [end, start] = [instant(value), instant((args.object as ContactRecord).InitiationTimestamp)];
    return end === undefined || start === undefined || Number.isNaN(end) || Number.isNaN(start) || end >= start;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must not be before InitiationTimestamp`;
  }
}

export class ContactEndpoint {
  @IsOptional() @IsString() @MaxLength(256) Address?: string | null;
  /** TELEPHONE_NUMBER | VOIP | CONTACT_FLOW | CONNECT_PHONENUMBER_ARN | EMAIL_ADDRESS */
  @IsOptional() @IsString() @MaxLength(64) Type?: string | null;
}

export class ContactAgent {
  @IsOptional() @IsString() @MaxLength(256) ARN?: string | null;
  @IsOptional() @IsString() @MaxLength(256) Username?: string | null;
  @IsOptional() @IsInstant() ConnectedToAgentTimestamp?: string | null;
  /** Whole seconds the agent interacted with the customer. */
  @IsOptional() @IsInt() @Min(0) AgentInteractionDuration?: number | null;
  /** Whole seconds the customer spent on hold while connected to the agent. */
  @IsOptional() @IsInt() @Min(0) CustomerHoldDuration?: number | null;
  @IsOptional() @IsInt() @Min(0) AfterContactWorkDuration?: number | null;
}

export class ContactQueue {
  @IsOptional() @IsString() @MaxLength(256) ARN?: string | null;
  @IsOptional() @IsString() @MaxLength(256) Name?: string | null;
  @IsOptional() @IsInstant() EnqueueTimestamp?: string | null;
  @IsOptional() @IsInstant() DequeueTimestamp?: string | null;
  /** Whole seconds between EnqueueTimestamp and DequeueTimestamp. */
  @IsOptional() @IsInt() @Min(0) Duration?: number | null;
}

/** The legacy single-recording field. */
export class ContactRecording {
  /** `bucket/key` in Amazon S3. */
  @IsOptional() @IsString() @MaxLength(1024) Location?: string | null;
  /** AVAILABLE | DELETED */
  @IsOptional() @IsString() @MaxLength(32) Status?: string | null;
  /** AUDIO */
  @IsOptional() @IsString() @MaxLength(32) Type?: string | null;
}

/** One entry of `Recordings` (voice, screen or chat-transcript recordings). */
export class ContactRecordingInfo {
  @IsOptional() @IsString() @MaxLength(1024) Location?: string | null;
  /** AUDIO | VIDEO */
  @IsOptional() @IsString() @MaxLength(32) MediaStreamType?: string | null;
  /** AVAILABLE | DELETED */
  @IsOptional() @IsString() @MaxLength(32) Status?: string | null;
  /** S3 | KINESIS_VIDEO_STREAM | ... */
  @IsOptional() @IsString() @MaxLength(32) StorageType?: string | null;
  @IsOptional() @IsString() @MaxLength(32) ParticipantType?: string | null;
}

/** One Amazon Connect contact record (CTR), as far as the voice channel reads it. */
export class ContactRecord {
  @IsString({ message: 'ContactId must be a string' }) @Length(1, 256) ContactId!: string;

  @IsOptional() @Matches(/^\d{12}$/, { message: 'AWSAccountId must be 12 digits' }) AWSAccountId?: string | null;
  @IsOptional()
  @Matches(/^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[A-Za-z0-9-]+$/, {
    message: 'InstanceARN must be an Amazon Connect instance ARN',
  })
  InstanceARN?: string | null;

  /** VOICE | CHAT | TASK | EMAIL */
  @IsString() @Length(1, 32) Channel!: string;
  /** INBOUND | OUTBOUND | TRANSFER | QUEUE_TRANSFER | CALLBACK | API | MONITOR | ... */
  @IsString() @Length(1, 64) InitiationMethod!: string;

  @IsInstant() InitiationTimestamp!: string;
  @IsOptional() @IsInstant() @Validate(NotBeforeInitiation) DisconnectTimestamp?: string | null;
  @IsOptional() @IsInstant() ConnectedToSystemTimestamp?: string | null;
  /** When this version of the record was written: a record re-sent with new data has a later one. */
  @IsInstant() LastUpdateTimestamp!: string;

  @IsOptional() @IsString() @MaxLength(256) InitialContactId?: string | null;
  @IsOptional() @IsString() @MaxLength(256) PreviousContactId?: string | null;
  @IsOptional() @IsString() @MaxLength(256) NextContactId?: string | null;

  @IsOptional() @ValidateNested() @IsObject() @Type(() => ContactEndpoint) CustomerEndpoint?: ContactEndpoint | null;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ContactEndpoint) SystemEndpoint?: ContactEndpoint | null;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ContactAgent) Agent?: ContactAgent | null;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ContactQueue) Queue?: ContactQueue | null;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ContactRecording) Recording?: ContactRecording | null;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => ContactRecordingInfo) Recordings?:
    | ContactRecordingInfo[]
    | null;

  /** User-defined contact attributes (string → string). */
  @IsOptional() @IsObject() Attributes?: Record<string, unknown> | null;

  [field: string]: unknown;
}

export class FirehoseRecord {
  @IsDefined() @IsNotEmpty() @IsBase64(undefined, { message: 'data must be base64' }) data!: string;
}

/** The Firehose HTTP endpoint delivery request body. */
export class FirehoseDeliveryRequest {
  @IsString() @Length(1, 128) requestId!: string;
  /** When Firehose sent the request, in milliseconds since the epoch. */
  @IsInt() @Min(0) timestamp!: number;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => FirehoseRecord)
  records!: FirehoseRecord[];
}

/** What `parse` hands to `map`: the delivery with every record decoded and validated. */
export interface AmazonConnectDelivery {
  requestId: string;
  timestamp: number;
  records: ContactRecord[];
}

/**
 * Validate the Firehose envelope, then decode and validate every record. Field paths name where the
 * problem is in the request: `records.1.data` (not base64 of a JSON object),
 * `records.1.data.ContactId` (a field of the decoded contact record).
 */
export function parseFirehoseDelivery(body: unknown): ParseResult<AmazonConnectDelivery> {
  const envelope = validateAs(FirehoseDeliveryRequest, body, { allowUnknown: true });
  if (!envelope.ok) return envelope;
  const errors: FieldError[] = [];
  const records: ContactRecord[] = [];
  envelope.value.records.forEach((record, i) => {
    const at = `records.${i}.data`;
    const decoded = decodeRecord(record.data);
    if (decoded === undefined) {
      errors.push({ field: at, messages: ['data must be the base64 of a JSON contact record'] });
      return;
    }
    const ctr = validateAs(ContactRecord, decoded, { allowUnknown: true });
    if (ctr.ok) records.push(ctr.value);
    else errors.push(...ctr.errors.map((e) => ({ field: `${at}.${e.field}`, messages: e.messages })));
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { requestId: envelope.value.requestId, timestamp: envelope.value.timestamp, records } };
}

function decodeRecord(data: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
