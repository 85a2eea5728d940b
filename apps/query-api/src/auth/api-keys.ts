import { createHash, timingSafeEqual } from 'node:crypto';
import { TENANT_ID_PATTERN } from '@hub/contracts';

export const API_KEYS = Symbol('API_KEYS');

/**
 * One entry of `HUB_API_KEYS`: `<tenant>:<sha256 hex of the key>`. Only the digest is configured, so
 * the configuration (and anything that logs or leaks it) does not hold a usable key.
 */
export const API_KEY_ENTRY = /^([a-z0-9][a-z0-9_-]{0,63}):([0-9a-fA-F]{64})$/;

/** A configured key: the one tenant it opens, its digest, and a short id for logs (a digest prefix, never the key). */
export interface ApiKey {
  tenantId: string;
  keyId: string;
  digest: Buffer;
}

export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parse the configured entries; a digest given to two tenants is refused (a key opens exactly one tenant). */
export function parseApiKeys(entries: readonly string[]): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const tenantOf = new Map<string, string>();
  entries.forEach((entry, n) => {
    const m = API_KEY_ENTRY.exec(entry);
    if (!m || !TENANT_ID_PATTERN.test(m[1]!)) {
      problems.push(`entry ${n + 1} must be <tenant>:<sha256 hex of the key> (64 hex digits)`);
      return;
    }
    const tenantId = m[1]!;
    const hex = m[2]!.toLowerCase();
    const owner = tenantOf.get(hex);
    if (owner === tenantId) return;
    if (owner !== undefined) {
      problems.push(`entry ${n + 1}: the same key is configured for tenants ${owner} and ${tenantId}; a key opens one tenant`);
      return;
    }
    tenantOf.set(hex, tenantId);
    keys.push({ tenantId, keyId: hex.slice(0, 8), digest: Buffer.from(hex, 'hex') });
  });
  return { keys, problems };
}

/** The configured keys. */
export class ApiKeyRegistry {
  constructor(private readonly keys: readonly ApiKey[]) {}

  /**
   * The key presented, if it is one of ours. Its SHA-256 is compared with every configured digest in
   * constant time, without stopping at a match, so timing says nothing about which or how many keys exist.
   */
  verify(presented: string): ApiKey | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: ApiKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, digest) && found === undefined) found = key;
    }
    return found;
  }
}

export type PresentedKey = { ok: true; key: string } | { ok: false; reason: 'api_key_missing' | 'api_key_malformed' | 'api_key_ambiguous' };

const MAX_KEY_LENGTH = 512;

/** The key a request carries: `Authorization: Bearer <key>` or `X-Api-Key: <key>` (both only if they agree). */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): PresentedKey {
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
  if (key.length > MAX_KEY_LENGTH) return { ok: false, reason: 'api_key_malformed' };
  return { ok: true, key };
}
