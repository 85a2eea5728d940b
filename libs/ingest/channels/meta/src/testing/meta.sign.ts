import { jsonBodyAsIngested } from '@hub/channels-core/testing';
import { hmacHex, type WebhookRequest } from '@hub/channels-core';

/**
 * Test and demo helpers that build Meta webhooks (WhatsApp Cloud API, Messenger, Instagram) the way
 * Meta sends them: JSON serialised Meta's way and signed with the app secret in `X-Hub-Signature-256`
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
 * Never imported by production code.
 */

/** The secrets the conformance setups are configured with. */
export const META_TEST_APP_SECRET = 'meta-conformance-app-secret';
export const META_TEST_VERIFY_TOKEN = 'meta-conformance-verify-token';

/**
 * JSON as Meta puts it on the wire: every non-ASCII character escaped as `\uXXXX` with lower-case hex
 * (an emoji as its two surrogates) and `/` as `\/`. Meta signs these bytes, so a receiver that
 * re-serialises the parsed body computes another signature: only the raw bytes verify.
 */
export function metaJson(payload: unknown): string {
  return JSON.stringify(payload)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

export interface SignedMetaRequest {
  /** Lower-case header names, ready for `fetch` or a `WebhookRequest`. */
  headers: Record<string, string>;
  /** The exact body Meta posts. */
  body: string;
}

/** A webhook as Meta would post it: the body, its SHA-256 signature and the legacy SHA-1 one. */
export function signedMetaRequest({ appSecret, payload }: { appSecret: string; payload: unknown }): SignedMetaRequest {
  const body = metaJson(payload);
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
      'x-hub-signature': `sha1=${hmacHex('sha1', appSecret, body)}`,
      'x-hub-signature-256': `sha256=${hmacHex('sha256', appSecret, body)}`,
    },
    body,
  };
}

/** The same webhook as the ingestion app hands it to the adapter: the raw bytes and the JSON parsed back from them. */
export function metaWebhookRequest({ appSecret, url, payload }: { appSecret: string; url: string; payload: unknown }): WebhookRequest {
  const signed = signedMetaRequest({ appSecret, payload });
  const rawBody = Buffer.from(signed.body, 'utf8');
  return { method: 'POST', url, headers: signed.headers, rawBody, body: jsonBodyAsIngested(signed.body) };
}
