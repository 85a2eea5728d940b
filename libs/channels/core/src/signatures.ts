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
