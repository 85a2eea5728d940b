import { DigestKeyRegistry, presentedApiKey } from '@hub/platform';

/**
 * One entry of `INGEST_API_KEYS`: `<source>:<tenant>:<sha256 hex of the key>`. A key belongs to one
 * sending platform (the source, e.g. `genesys`) and opens one tenant. Only the digest is configured,
 * so the configuration (and anything that logs or leaks it) holds no usable key.
 */
export const SOURCE_KEY_ENTRY = /^([a-z0-9][a-z0-9_-]{0,63}):([a-z0-9][a-z0-9_-]{0,63}):([0-9a-fA-F]{64})$/;

/** A configured key: who sends with it, for which tenant, and a short id for logs (a digest prefix, never the key). */
export interface SourceKey {
  source: string;
  tenantId: string;
  keyId: string;
  digest: Buffer;
  /** A stored key's own request limit (`/admin/v1`); env keys have RATE_LIMIT_PER_KEY. */
  rateLimitPerMinute?: number;
}

/**
 * Parse the configured entries. A repeated entry is harmless; one digest given to two
 * (source, tenant) pairs is refused: a key identifies exactly one sender for one tenant.
 * Problems name the entry by position and never echo it.
 */
export function parseSourceKeys(entries: readonly string[]): { keys: SourceKey[]; problems: string[] } {
  const keys: SourceKey[] = [];
  const problems: string[] = [];
  const ownerOf = new Map<string, string>();
  entries.forEach((entry, n) => {
    const m = SOURCE_KEY_ENTRY.exec(entry);
    if (!m) {
      problems.push(`entry ${n + 1} must be <source>:<tenant>:<sha256 hex of the key> (lower-case names, 64 hex digits)`);
      return;
    }
    const [, source, tenantId, hexDigest] = m as unknown as [string, string, string, string];
    const hex = hexDigest.toLowerCase();
    const owner = `${source}:${tenantId}`;
    const previous = ownerOf.get(hex);
    if (previous === owner) return;
    if (previous !== undefined) {
      problems.push(`entry ${n + 1}: the same key is configured for ${previous} and ${owner}; a key belongs to one source and tenant`);
      return;
    }
    ownerOf.set(hex, owner);
    keys.push({ source, tenantId, keyId: hex.slice(0, 8), digest: Buffer.from(hex, 'hex') });
  });
  return { keys, problems };
}

/** The configured source keys: the hub's one digest-key registry. */
export class SourceKeyRegistry extends DigestKeyRegistry<SourceKey> {}

export type AuthRejection = 'api_key_missing' | 'api_key_malformed' | 'api_key_ambiguous' | 'api_key_invalid';
export { presentedApiKey, sha256Hex, type PresentedKey } from '@hub/platform';

/** Who is calling, or why the call is refused. */
export function authenticateSource(
  registry: SourceKeyRegistry,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): { ok: true; key: SourceKey } | { ok: false; reason: AuthRejection } {
  const presented = presentedApiKey(headers);
  if (!presented.ok) return presented;
  const key = registry.verify(presented.key);
  return key ? { ok: true, key } : { ok: false, reason: 'api_key_invalid' };
}
