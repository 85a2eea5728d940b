import { createHash } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { WebhookRequest } from '@hub/channels-core';
import type { TwilioCallDirection, TwilioCallStatus } from '../twilio-voice/twilio-voice.payload';

/**
 * Test and demo helpers that build Twilio Voice status callbacks the way Twilio sends them
 * (https://www.twilio.com/docs/voice/api/call-resource#statuscallback), signed with Twilio's own
 * algorithm (`getExpectedTwilioSignature` from the twilio SDK). Never imported by production code.
 */

/** Form parameters of one callback, as Twilio posts them: every value a string. */
export type TwilioVoiceParams = Record<string, string>;

const hex32 = (...parts: readonly string[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

/** The account the helpers use when none is given. */
export const TEST_TWILIO_VOICE_ACCOUNT_SID = `AC${hex32('hub-test-twilio-voice-account')}`;

/** An instant as Twilio writes Timestamp: RFC 2822, UTC, `+0000`. */
export const rfc2822 = (instant: string | Date): string => new Date(instant).toUTCString().replace(/GMT$/, '+0000');

export interface TwilioVoiceStatusInput {
  from: string;
  to: string;
  direction: TwilioCallDirection;
  status: TwilioCallStatus;
  /** When the event fired (ISO 8601); sent as RFC 2822. Omitted: no Timestamp field. */
  at?: string;
  sequenceNumber?: number;
  /** Seconds from answer to hang-up (Twilio sends it on `completed`). */
  callDuration?: number;
  recording?: { sid: string; durationSeconds: number };
  /** Defaults to `CA` + 32 hex derived from the account, from, to and seed (not the status: one call, many callbacks). */
  callSid?: string;
  parentCallSid?: string;
  accountSid?: string;
  seed?: string;
}

/** The form parameters of a realistic status callback. The result is a fresh, mutable object. */
export function twilioVoiceStatusParams(input: TwilioVoiceStatusInput): TwilioVoiceParams {
  const accountSid = input.accountSid ?? TEST_TWILIO_VOICE_ACCOUNT_SID;
  const callSid = input.callSid ?? `CA${hex32(accountSid, input.from, input.to, input.seed ?? '')}`;
  const params: TwilioVoiceParams = {
    Called: input.to,
    ToState: '',
    CallerCountry: '',
    Direction: input.direction,
    ...(input.at !== undefined ? { Timestamp: rfc2822(input.at) } : {}),
    CallbackSource: 'call-progress-events',
    CallerState: '',
    ToZip: '',
    ...(input.sequenceNumber !== undefined ? { SequenceNumber: String(input.sequenceNumber) } : {}),
    CallSid: callSid,
    To: input.to,
    CallerZip: '',
    ToCountry: '',
    CalledZip: '',
    ApiVersion: '2010-04-01',
    CalledCity: '',
    CallStatus: input.status,
    From: input.from,
    AccountSid: accountSid,
    CalledCountry: '',
    CallerCity: '',
    ToCity: '',
    FromCountry: '',
    Caller: input.from,
    FromCity: '',
    CalledState: '',
    FromZip: '',
    FromState: '',
    ...(input.parentCallSid ? { ParentCallSid: input.parentCallSid } : {}),
  };
  if (input.callDuration !== undefined) {
    params['CallDuration'] = String(input.callDuration);
    params['Duration'] = String(Math.max(1, Math.ceil(input.callDuration / 60)));
  }
  if (input.recording) {
    params['RecordingSid'] = input.recording.sid;
    params['RecordingUrl'] = `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Recordings/${input.recording.sid}`;
    params['RecordingDuration'] = String(input.recording.durationSeconds);
  }
  return params;
}

export interface SignedTwilioVoiceRequest {
  /** Lower-case header names, ready for `fetch` or a `WebhookRequest`. */
  headers: Record<string, string>;
  /** `application/x-www-form-urlencoded` body, as Twilio posts it. */
  body: string;
}

/** A callback as Twilio would post it to `url`: the form body and its `X-Twilio-Signature`. */
export function signedTwilioVoiceRequest({
  authToken,
  url,
  params,
}: {
  authToken: string;
  url: string;
  params: TwilioVoiceParams;
}): SignedTwilioVoiceRequest {
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      'x-twilio-signature': getExpectedTwilioSignature(authToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
  };
}

/** The same callback as the ingestion app hands it to the adapter: raw bytes, and the form parsed back from them. */
export function twilioVoiceWebhookRequest(args: { authToken: string; url: string; params: TwilioVoiceParams }): WebhookRequest {
  const signed = signedTwilioVoiceRequest(args);
  return {
    method: 'POST',
    url: args.url,
    headers: signed.headers,
    rawBody: Buffer.from(signed.body, 'utf8'),
    body: Object.fromEntries(new URLSearchParams(signed.body)),
  };
}
