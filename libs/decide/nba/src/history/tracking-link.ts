import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CustomerEvent } from '@hub/customer';
import { decideOutcome, type RecordOutcomeDecision } from './outcome-recording';

/**
 * A click-through in an email (or any message with a link) as the customer's answer: the sender
 * links `GET /r/<token>` of the query API instead of the target; the token names the tenant, the
 * customer, the decision and the target, signed with the hub's tracking-link key (HMAC-SHA256).
 * The route records `accepted` (source `click`) and redirects to the target the token names — never
 * to one the request names, so the route is no open redirect.
 *
 * Token: `<payload>.<signature>`, both base64url; payload = JSON `{ v: 1, t, c, d, u }`, signature =
 * HMAC-SHA256(key, `hub-click-v1.` + payload). Changing it needs a migration: links already sent carry it.
 */

export interface TrackingLink {
  tenantId: string;
  customerId: string;
  decisionId: string;
  /** Where the click goes: an absolute http(s) URL. */
  target: string;
}

/** A tracking-link key: at least 32 bytes of secret. */
export const MIN_TRACKING_KEY_LENGTH = 32;

const DOMAIN = 'hub-click-v1.';
/** Tokens longer than this are refused before any parsing (a URL of a few KiB at most). */
export const MAX_TRACKING_TOKEN_LENGTH = 4096;

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
};

const signature = (key: string, payload: string): Buffer =>
  createHmac('sha256', key)
    .update(DOMAIN + payload)
    .digest();

/** The signed token of a link. Throws on a target that is not an absolute http(s) URL or a short key (a sender's bug). */
export function signTrackingLink(link: TrackingLink, key: string): string {
  if (key.length < MIN_TRACKING_KEY_LENGTH)
    throw new RangeError(`a tracking-link key needs at least ${MIN_TRACKING_KEY_LENGTH} characters`);
  if (!isHttpUrl(link.target)) throw new RangeError('a tracking link goes to an absolute http(s) URL');
  const payload = Buffer.from(
    JSON.stringify({ v: 1, t: link.tenantId, c: link.customerId, d: link.decisionId, u: link.target }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${signature(key, payload).toString('base64url')}`;
}

export type TrackingLinkVerdict =
  | { ok: true; link: TrackingLink }
  /** `malformed`: not a token of ours (400); `forged`: a token whose signature does not hold under the key (401). */
  | { ok: false; reason: 'malformed' | 'forged' };

const B64URL = /^[A-Za-z0-9_-]+$/;

/** The link a token names, when its signature holds under `key` (compared in constant time) and its payload is whole. */
export function verifyTrackingLink(token: string, key: string): TrackingLinkVerdict {
  if (token.length > MAX_TRACKING_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const [payload, sig, ...rest] = token.split('.');
  if (!payload || !sig || rest.length > 0 || !B64URL.test(payload) || !B64URL.test(sig)) return { ok: false, reason: 'malformed' };
  const expected = signature(key, payload);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const b = body as Record<string, unknown>;
  const strings = [b['t'], b['c'], b['d'], b['u']];
  if (b['v'] !== 1 || !strings.every((s) => typeof s === 'string' && s !== '') || !isHttpUrl(b['u'] as string))
    return { ok: false, reason: 'malformed' };
  return {
    ok: true,
    link: { tenantId: b['t'] as string, customerId: b['c'] as string, decisionId: b['d'] as string, target: b['u'] as string },
  };
}

export type ClickOutcomeDecision =
  | RecordOutcomeDecision
  /** The click came after the decision's window: it stays (or becomes) `no_response`. */
  | { kind: 'outside_window' };

/**
 * A click on a decision's tracking link at `now`: `accepted` (source `click`) when the decision
 * contacted the customer, has no outcome yet and was made at most `windowHours` before.
 */
export function decideClickOutcome(
  events: readonly CustomerEvent[],
  cmd: { tenantId: string; customerId: string; decisionId: string; now: string; windowHours: number },
): ClickOutcomeDecision {
  const r = decideOutcome(events, { ...cmd, outcome: 'accepted', source: 'click' });
  if (r.kind !== 'record') return r;
  const decision = events.find((e) => e.type === 'NextBestActionDecided' && e.data.decisionId === cmd.decisionId)!;
  const since = Date.parse(cmd.now) - Date.parse(decision.metadata.occurredAt);
  return since <= cmd.windowHours * 3_600_000 ? r : { kind: 'outside_window' };
}
