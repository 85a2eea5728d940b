import { hmacHex, safeEqual, type HandshakeResult, type VerifyResult, type WebhookRequest } from '@hub/channels-core';
import type { MetaConfig } from './meta.config';

/** The header Meta signs every webhook with: `sha256=<hex HMAC-SHA256 of the raw body, keyed by the app secret>`. */
export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

/** Meta posts JSON of up to 1,000 batched updates; well above anything Meta sends, far below abuse. */
export const META_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Checks `X-Hub-Signature-256` over the exact bytes received (Meta signs its own serialisation, with
 * non-ASCII escaped as `\uXXXX`, so a re-serialised body would not match). Constant-time.
 * Meta signs no timestamp: there is no replay window to enforce; redeliveries are recognised
 * downstream by their deterministic event ids. The legacy SHA-1 `X-Hub-Signature` is not accepted.
 */
export function verifyMetaSignature(request: WebhookRequest, appSecret: string): VerifyResult {
  const header = request.headers[META_SIGNATURE_HEADER];
  if (header === undefined || header === '') return { ok: false, reason: 'signature_missing' };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return { ok: false, reason: 'signature_invalid', detail: 'X-Hub-Signature-256 is not sha256=<64 hex digits>' };
  const expected = hmacHex('sha256', appSecret, request.rawBody);
  return safeEqual(match[1]!.toLowerCase(), expected) ? { ok: true } : { ok: false, reason: 'signature_invalid' };
}

/**
 * Meta's GET subscription handshake: `hub.mode=subscribe`, `hub.verify_token` equal to ours (compared
 * in constant time) and a `hub.challenge` to echo back → 200 with the challenge as the body; anything
 * else → 403.
 */
export function metaHandshake(query: Readonly<Record<string, string | undefined>>, config: MetaConfig): HandshakeResult {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  const tokenOk = typeof token === 'string' && safeEqual(token, config.META_VERIFY_TOKEN);
  if (mode === 'subscribe' && tokenOk && typeof challenge === 'string' && challenge !== '') {
    return { status: 200, body: challenge };
  }
  return { status: 403, body: 'forbidden' };
}

/** Meta's timestamps: WhatsApp gives unix seconds as a string, Messenger and Instagram milliseconds. */
export function metaTimeToIso(value: number | string): string {
  const n = typeof value === 'string' ? Number(value) : value;
  // Anything below 10^11 cannot be milliseconds of this century: it is seconds (Instagram's
  // `messaging_seen` examples use seconds where every other messaging event uses milliseconds).
  return new Date(n < 1e11 ? n * 1000 : n).toISOString();
}
