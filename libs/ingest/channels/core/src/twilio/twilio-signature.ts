import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import type { VerifyResult, WebhookRequest } from '../channel-adapter';

/**
 * Twilio signs every product's webhooks alike (Messaging, Voice, …): `X-Twilio-Signature`, an HMAC
 * of the full URL and the sorted form fields with the account's auth token
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security). Verified with Twilio's own
 * `validateRequest`, which compares in constant time and tries the URL with and without the port.
 * With `accountSid`, a request signed for another account of the same token holder is refused too.
 */
export function verifyTwilioRequest(
  request: WebhookRequest,
  { authToken, accountSid }: { authToken: string; accountSid?: string | undefined },
): VerifyResult {
  const signature = request.headers['x-twilio-signature'];
  if (!signature) return { ok: false, reason: 'signature_missing' };
  const params = formParams(request.body);
  if (!validateRequest(authToken, signature, request.url, params)) return { ok: false, reason: 'signature_invalid' };
  if (accountSid && params['AccountSid'] !== accountSid) {
    return { ok: false, reason: 'signature_invalid', detail: 'AccountSid is not this deployment’s account' };
  }
  return { ok: true };
}

/** The parsed form body as Twilio signed it (string fields, repeated fields as arrays). */
function formParams(body: unknown): Record<string, string | string[]> {
  if (typeof body !== 'object' || body === null) return {};
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.map(String);
  }
  return out;
}
