import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { IdentityRef } from '@hub/contracts';

export type NormalizeResult = { ok: true; identity: IdentityRef } | { ok: false; reason: string };

/**
 * A phone number in E.164 whatever format a channel uses: `+1 (415) 555-0100`, WhatsApp's
 * digits-only `14155550100`, `whatsapp:+1…`, or a national number in the configured default region.
 *
 * Remembered for the last few thousand (number, region) pairs: parsing and validating against the
 * numbering plan was 4–5 % of an ingest app's CPU at 300 webhooks/s, and the same numbers come back
 * (the company's own on every SMS, returning customers). The answers are frozen, being shared.
 */
export function normalizePhone(raw: string, defaultRegion?: CountryCode): NormalizeResult {
  const key = `${defaultRegion ?? ''}\u0000${raw}`;
  const known = PHONES.get(key);
  if (known) {
    PHONES.delete(key);
    PHONES.set(key, known);
    return known;
  }
  const result = parsePhone(raw, defaultRegion);
  if (PHONES.size >= PHONES_KEPT) PHONES.delete(PHONES.keys().next().value as string);
  PHONES.set(key, result);
  return result;
}

const PHONES_KEPT = 5_000;
/** Least recently used first (a Map keeps insertion order; a hit is moved to the end). */
const PHONES = new Map<string, NormalizeResult>();

function parsePhone(raw: string, defaultRegion: CountryCode | undefined): NormalizeResult {
  const cleaned = raw.trim().replace(/^(whatsapp|tel|sms):/i, '');
  const candidates = [cleaned];
  if (/^\d{8,15}$/.test(cleaned)) candidates.push(`+${cleaned}`);
  for (const candidate of candidates) {
    const parsed = parsePhoneNumberFromString(candidate, defaultRegion);
    if (parsed?.isValid()) return Object.freeze({ ok: true, identity: Object.freeze({ kind: 'phone', value: parsed.number }) });
  }
  return Object.freeze({ ok: false, reason: `not a valid phone number: ${JSON.stringify(raw.slice(0, 32))}` });
}

export function normalizeEmail(raw: string): NormalizeResult {
  const value = raw.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
    ? { ok: true, identity: { kind: 'email', value } }
    : { ok: false, reason: 'not a valid email address' };
}

/** A stable string for an identity, as used in keys and claims. */
export function identityToString(identity: IdentityRef): string {
  return identity.namespace ? `${identity.kind}:${identity.namespace}:${identity.value}` : `${identity.kind}:${identity.value}`;
}

/**
 * Messaging platforms whose customer ids are identities. WhatsApp identifies a customer by their
 * phone number, so its id *is* a phone identity (the same person texting by SMS is recognised);
 * the others give an opaque, stable numeric id scoped by the platform (Instagram-scoped id,
 * Messenger page-scoped id, Telegram user id). Usernames are not accepted: they can be changed.
 */
export const HANDLE_PLATFORMS = ['whatsapp', 'instagram', 'messenger', 'telegram', 'webchat'] as const;
export type HandlePlatform = (typeof HANDLE_PLATFORMS)[number];

export function isHandlePlatform(value: string): value is HandlePlatform {
  return (HANDLE_PLATFORMS as readonly string[]).includes(value);
}

const quoted = (raw: string): string => JSON.stringify(raw.slice(0, 32));

/**
 * A customer's id on a messaging platform as an identity: WhatsApp → `{ kind: 'phone' }` in E.164;
 * Instagram / Messenger / Telegram → `{ kind: 'handle', namespace: platform, value }`, the numeric
 * id without surrounding space or a `platform:` prefix.
 */
export function normalizeHandle(platform: string, raw: string): NormalizeResult {
  const p = platform.trim().toLowerCase();
  if (!isHandlePlatform(p)) return { ok: false, reason: `unknown handle platform: ${quoted(platform)}` };
  if (p === 'whatsapp') {
    const phone = normalizePhone(raw);
    return phone.ok ? phone : { ok: false, reason: `not a valid whatsapp id (a phone number with country code): ${quoted(raw)}` };
  }
  const value = raw.trim().replace(new RegExp(`^${p}:`, 'i'), '');
  return /^[1-9]\d{0,31}$/.test(value)
    ? { ok: true, identity: { kind: 'handle', namespace: p, value } }
    : { ok: false, reason: `not a valid ${p} id (a numeric platform id, not a username): ${quoted(raw)}` };
}

/** What a system name may be: it is an identity namespace (and part of identity stream names). */
const SYSTEM_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/**
 * An id in another system (CRM, shop, billing) as `{ kind: 'external', namespace: system, value }`.
 * The system name is lower-cased; the id is kept as given (ids such as Salesforce's are
 * case-sensitive) apart from surrounding space. Ids of up to 256 printable characters.
 */
export function normalizeExternalId(system: string, raw: string): NormalizeResult {
  const namespace = system.trim().toLowerCase();
  if (!SYSTEM_PATTERN.test(namespace)) return { ok: false, reason: `not a valid system name: ${quoted(system)}` };
  const value = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
    return { ok: false, reason: `not a valid ${namespace} id: ${quoted(raw)}` };
  }
  return { ok: true, identity: { kind: 'external', namespace, value } };
}
