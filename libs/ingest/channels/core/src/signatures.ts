import { createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison that does not leak length through an exception. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

export function hmacHex(algorithm: 'sha1' | 'sha256', secret: string, payload: Buffer | string): string {
  return createHmac(algorithm, secret).update(payload).digest('hex');
}

export function hmacBase64(algorithm: 'sha1' | 'sha256', secret: string, payload: Buffer | string): string {
  return createHmac(algorithm, secret).update(payload).digest('base64');
}

/** For providers that sign a timestamp: is it within the replay window of `now`? */
export function withinReplayWindow(timestampSeconds: number, nowMs: number, windowSeconds: number): boolean {
  return Number.isFinite(timestampSeconds) && Math.abs(nowMs / 1000 - timestampSeconds) <= windowSeconds;
}

/** `<prefix><hex HMAC-SHA256 of "<timestamp>." + raw body>`: the scheme our own signed webhooks use (web chat, raw MIME). */
export function timestampedHmac(prefix: string, secret: string, timestamp: string, rawBody: Buffer): string {
  return `${prefix}${hmacHex('sha256', secret, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]))}`;
}

export interface TimestampedHmacScheme {
  timestampHeader: string;
  signatureHeader: string;
  /** What precedes the hex digest in the signature header (`v1=`, `sha256=`). */
  prefix: string;
  secret: string;
  windowSeconds: number;
  /** `any`: the hex digest may come in upper case too (our MTA hook); default `lower` (web chat). */
  hexCase?: 'lower' | 'any';
}

/**
 * Verify a timestamped HMAC (see `timestampedHmac`): both headers present (`signature_missing`),
 * the timestamp unix seconds and the signature `<prefix><64 lower-case hex>` (`signature_invalid`,
 * saying which), the digest equal in constant time (`signature_invalid`), then the timestamp within
 * `windowSeconds` of now, past or future (`signature_stale`) — checked after the signature, so an
 * attacker cannot learn the window from unsigned requests.
 */
export function verifyTimestampedHmac(
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: Buffer,
  nowMs: number,
  s: TimestampedHmacScheme,
): { ok: true } | { ok: false; reason: 'signature_missing' | 'signature_invalid' | 'signature_stale'; detail?: string } {
  const signature = headers[s.signatureHeader];
  if (!signature) return { ok: false, reason: 'signature_missing' };
  const timestamp = headers[s.timestampHeader];
  if (!timestamp) return { ok: false, reason: 'signature_missing', detail: `${s.timestampHeader} is missing` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'signature_invalid', detail: `${s.timestampHeader} must be unix seconds` };
  const presented = signature.trim();
  const comparable =
    s.hexCase === 'any' && presented.startsWith(s.prefix) ? s.prefix + presented.slice(s.prefix.length).toLowerCase() : presented;
  if (!safeEqual(comparable, timestampedHmac(s.prefix, s.secret, timestamp, rawBody))) return { ok: false, reason: 'signature_invalid' };
  if (!withinReplayWindow(Number(timestamp), nowMs, s.windowSeconds)) {
    return { ok: false, reason: 'signature_stale', detail: `signed at ${timestamp}, more than ${s.windowSeconds} s from now` };
  }
  return { ok: true };
}
