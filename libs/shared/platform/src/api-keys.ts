import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * API keys as every HTTP edge of the hub takes them (query API: tenant and operator keys; ingest
 * API: per-source keys): configured as SHA-256 digests only, presented as `Authorization: Bearer`
 * or `X-Api-Key`, compared in constant time.
 */

export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The configured keys of one kind, each with the digest it was configured with. */
export class DigestKeyRegistry<K extends { digest: Buffer }> {
  constructor(private readonly keys: readonly K[]) {}

  get size(): number {
    return this.keys.length;
  }

  /**
   * The key presented, if it is one of ours. Its SHA-256 is compared with every configured digest in
   * constant time, without stopping at a match, so timing says nothing about which or how many keys exist.
   */
  verify(presented: string): K | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: K | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, digest) && found === undefined) found = key;
    }
    return found;
  }
}

export type PresentedKey = { ok: true; key: string } | { ok: false; reason: 'api_key_missing' | 'api_key_malformed' | 'api_key_ambiguous' };

const MAX_KEY_LENGTH = 512;
/** A bearer that is a JWT (an OpenID Connect access token, checked by the query API) may be longer than a key. */
const MAX_TOKEN_LENGTH = 8_192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Whether a presented credential has the shape of a signed JWT (three base64url parts), not of an API key. */
export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential);
}

/** The key a request carries: `Authorization: Bearer <key>` or `X-Api-Key: <key>` (both only if they agree). */
export function presentedApiKey(headers: Readonly<Record<string, string | string[] | undefined>>): PresentedKey {
  const authorization = headers['authorization'];
  const apiKey = headers['x-api-key'];
  if (Array.isArray(authorization) || Array.isArray(apiKey)) return { ok: false, reason: 'api_key_malformed' };
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!m) return { ok: false, reason: 'api_key_malformed' };
    bearer = m[1];
  }
  const header = apiKey?.trim();
  if (header !== undefined && (header.length === 0 || /\s/.test(header))) return { ok: false, reason: 'api_key_malformed' };
  if (bearer !== undefined && header !== undefined && bearer !== header) return { ok: false, reason: 'api_key_ambiguous' };
  const key = bearer ?? header;
  if (key === undefined) return { ok: false, reason: 'api_key_missing' };
  if (key.length > (looksLikeJwt(key) ? MAX_TOKEN_LENGTH : MAX_KEY_LENGTH)) return { ok: false, reason: 'api_key_malformed' };
  return { ok: true, key };
}

/**
 * What a tenant key may do in its tenant (docs/operations.md, "API keys"): `read` its data, `write`
 * (merge, unmerge, record outcomes, save queries), `erase` customers (GDPR), `audit`: read the
 * tenant's audit log (who read or changed what). Independent: a key has exactly the scopes its entry
 * lists; an entry that lists none is read-only.
 */
export const KEY_SCOPES = ['read', 'write', 'erase', 'audit'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** The scopes of a key entry's suffix: `read+write`; undefined when it names an unknown scope or none. */
export function parseKeyScopes(text: string): ReadonlySet<KeyScope> | undefined {
  const parts = text.split('+');
  if (parts.some((p) => !(KEY_SCOPES as readonly string[]).includes(p))) return undefined;
  return new Set(parts as KeyScope[]);
}

/** Scopes as an entry spells them, in a fixed order (`read+write+erase`). */
export function formatKeyScopes(scopes: ReadonlySet<KeyScope>): string {
  return KEY_SCOPES.filter((s) => scopes.has(s)).join('+');
}
