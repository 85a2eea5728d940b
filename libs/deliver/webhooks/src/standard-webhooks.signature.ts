import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com, "Signature scheme"), signed here
 * with node:crypto and checked in the tests by the independent `standardwebhooks` library:
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, the key
 * being the base64 after `whsec_` of the subscription's secret.
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The three headers every delivery carries (and `content-type: application/json`). */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A secret in the form Standard Webhooks libraries take: `whsec_` + base64 of `bytes` random bytes (24 to 64). */
export function generateWebhookSecret(bytes = 32, random: (n: number) => Buffer = randomBytes): string {
  if (!Number.isInteger(bytes) || bytes < 24 || bytes > 64) throw new RangeError('a webhook secret has 24 to 64 bytes');
  return `${WEBHOOK_SECRET_PREFIX}${random(bytes).toString('base64')}`;
}

/** Whether `secret` is `whsec_` + the base64 of 24 to 64 bytes. */
export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const b64 = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  const n = Buffer.from(b64, 'base64').length;
  return n >= 24 && n <= 64;
}

function keyOf(secret: string): Buffer {
  if (!isWebhookSecret(secret)) throw new RangeError('a webhook secret is whsec_ and the base64 of 24 to 64 bytes');
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
}

/** `v1,<base64 signature>` of one message at one time (seconds since the epoch). */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The headers of one attempt: the timestamp is the attempt's (`now`), so a receiver's tolerance window holds on retries. */
export function standardWebhookHeaders(secret: string, id: string, now: Date, body: string): StandardWebhookHeaders {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(secret, id, timestamp, body),
  };
}

/**
 * Whether any `v1,` signature of a `webhook-signature` header (space-separated, as during a secret
 * rotation) is this message's under `secret`. For the hub's own checks; receivers use a Standard
 * Webhooks library, which also checks the timestamp's tolerance.
 */
export function hasValidSignature(secret: string, headers: StandardWebhookHeaders, body: string): boolean {
  const expected = Buffer.from(webhookSignature(secret, headers['webhook-id'], Number(headers['webhook-timestamp']), body));
  return headers['webhook-signature'].split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
