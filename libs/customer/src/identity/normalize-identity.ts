import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { IdentityRef } from '@hub/contracts';

export type NormalizeResult = { ok: true; identity: IdentityRef } | { ok: false; reason: string };

/**
 * A phone number in E.164 whatever format a channel uses: `+1 (415) 555-0100`, WhatsApp's
 * digits-only `14155550100`, `whatsapp:+1…`, or a national number in the configured default region.
 */
export function normalizePhone(raw: string, defaultRegion?: CountryCode): NormalizeResult {
  const cleaned = raw.trim().replace(/^(whatsapp|tel|sms):/i, '');
  const candidates = [cleaned];
  if (/^\d{8,15}$/.test(cleaned)) candidates.push(`+${cleaned}`);
  for (const candidate of candidates) {
    const parsed = parsePhoneNumberFromString(candidate, defaultRegion);
    if (parsed?.isValid()) return { ok: true, identity: { kind: 'phone', value: parsed.number } };
  }
  return { ok: false, reason: `not a valid phone number: ${JSON.stringify(raw.slice(0, 32))}` };
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
