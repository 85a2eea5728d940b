import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { WebhookRequest } from '@hub/channels-core';

/**
 * Test and demo helpers that build Twilio inbound-message webhooks the way Twilio sends them
 * (https://www.twilio.com/docs/messaging/guides/webhook-request), signed with Twilio's own
 * algorithm (`getExpectedTwilioSignature` from the twilio SDK). Never imported by production code.
 */

/** Form parameters of one webhook, as Twilio posts them: every value a string. */
export type TwilioParams = Record<string, string>;

const hex32 = (...parts: readonly string[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

/** The account the helpers use when none is given. Any `AC` + 32 hex passes validation. */
export const TEST_TWILIO_ACCOUNT_SID = `AC${hex32('hub-test-twilio-account')}`;

export interface TwilioSmsParamsInput {
  /** The sender: E.164 for a phone, or an alphanumeric sender id (`ACME`), which the adapter cannot map. */
  from: string;
  /** Our number the customer texted. */
  to: string;
  /** The message text; '' for a media-only MMS. */
  body: string;
  /** Defaults to a deterministic `SM` + 32 hex derived from the account, from, to, body and seed. */
  messageSid?: string;
  accountSid?: string;
  messagingServiceSid?: string;
  media?: readonly { url: string; contentType?: string }[];
  /**
   * Makes the derived MessageSid unique. Without it the same from/to/body always gives the same
   * MessageSid — which the hub, rightly, treats as a provider retry of the same message.
   */
  seed?: string;
}

/** The GSM 03.38 basic set and its extension table (extension characters take two septets). */
const GSM7_BASIC = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
const GSM7_EXTENSION = /[\^{}\\[~\]|€]/g;

/** How many SMS segments Twilio bills the body as: GSM-7 (160, then 153 per part) or UCS-2 (70, then 67). */
export function twilioSegmentCount(body: string): number {
  if (GSM7_BASIC.test(body)) {
    const septets = body.length + (body.match(GSM7_EXTENSION)?.length ?? 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  const units = body.length; // UTF-16 code units, as UCS-2 counts them
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

function countryOf(number: string): string {
  return parsePhoneNumberFromString(number)?.country ?? '';
}

/**
 * The form parameters of a realistic Twilio inbound SMS/MMS webhook. Geo fields Twilio could not
 * resolve are sent as empty strings, as Twilio does. The result is a fresh, mutable object.
 */
export function twilioSmsParams(input: TwilioSmsParamsInput): TwilioParams {
  const accountSid = input.accountSid ?? TEST_TWILIO_ACCOUNT_SID;
  const messageSid = input.messageSid ?? `SM${hex32(accountSid, input.from, input.to, input.body, input.seed ?? '')}`;
  const media = input.media ?? [];
  const params: TwilioParams = {
    ToCountry: countryOf(input.to),
    ToState: '',
    SmsMessageSid: messageSid,
    NumMedia: String(media.length),
    ToCity: '',
    FromZip: '',
    SmsSid: messageSid,
    FromState: '',
    SmsStatus: 'received',
    FromCity: '',
    Body: input.body,
    FromCountry: countryOf(input.from),
    To: input.to,
    ...(input.messagingServiceSid ? { MessagingServiceSid: input.messagingServiceSid } : {}),
    ToZip: '',
    NumSegments: String(twilioSegmentCount(input.body)),
    MessageSid: messageSid,
    AccountSid: accountSid,
    From: input.from,
    ApiVersion: '2010-04-01',
  };
  media.forEach((m, i) => {
    if (m.contentType !== undefined) params[`MediaContentType${i}`] = m.contentType;
    params[`MediaUrl${i}`] = m.url;
  });
  return params;
}

export interface SignedTwilioRequest {
  /** Lower-case header names, ready for `fetch` or a `WebhookRequest`. */
  headers: Record<string, string>;
  /** `application/x-www-form-urlencoded` body, as Twilio posts it. */
  body: string;
  params: TwilioParams;
}

/** A webhook as Twilio would post it to `url`: the form body and its `X-Twilio-Signature`. */
export function signedTwilioRequest({
  authToken,
  url,
  params,
}: {
  authToken: string;
  url: string;
  params: TwilioParams;
}): SignedTwilioRequest {
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      'x-twilio-signature': getExpectedTwilioSignature(authToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
    params: { ...params },
  };
}

/**
 * The same webhook as the ingestion app hands it to the adapter: the raw bytes, and the form parsed
 * back from those bytes (so the test goes through the same encoding the wire does).
 */
export function twilioWebhookRequest(args: { authToken: string; url: string; params: TwilioParams }): WebhookRequest {
  const signed = signedTwilioRequest(args);
  return {
    method: 'POST',
    url: args.url,
    headers: signed.headers,
    rawBody: Buffer.from(signed.body, 'utf8'),
    body: Object.fromEntries(new URLSearchParams(signed.body)),
  };
}
