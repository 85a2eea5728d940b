import { TENANT_ID_PATTERN } from '@hub/contracts';
import { DigestKeyRegistry, formatKeyScopes, parseKeyScopes, type KeyScope } from '@hub/platform';

export const API_KEYS = Symbol('API_KEYS');
export const OPERATOR_KEYS = Symbol('OPERATOR_KEYS');
/** The key store's active keys, through a short cache (`CachedKeyLookup`). */
export const STORED_KEYS = Symbol('STORED_KEYS');

/**
 * One entry of `HUB_API_KEYS`: `<tenant>:<sha256 hex of the key>[:<scope>[+<scope>…]]`, scopes among
 * `read`, `write`, `erase`. Only the digest is configured, so the configuration (and anything that
 * logs or leaks it) does not hold a usable key. An entry without scopes is `read` only: keys
 * configured before scopes existed keep reading and can no longer write or erase.
 */
export const API_KEY_ENTRY = /^([a-z0-9][a-z0-9_-]{0,63}):([0-9a-fA-F]{64})(?::([a-z+]+))?$/;

/** A configured key: the one tenant it opens, what it may do there, its digest, and a short id for logs (a digest prefix, never the key). */
export interface ApiKey {
  tenantId: string;
  keyId: string;
  digest: Buffer;
  scopes: ReadonlySet<KeyScope>;
}

const READ_ONLY: ReadonlySet<KeyScope> = new Set<KeyScope>(['read']);
const ENTRY_SHAPE =
  'must be <tenant>:<sha256 hex of the key>[:<scopes>] (64 hex digits; scopes among read, write, erase, audit joined by +)';

/**
 * Parse the configured entries; a digest given to two tenants is refused (a key opens exactly one
 * tenant), and so is one listed twice with different scopes (which one was meant is not ours to guess).
 */
export function parseApiKeys(entries: readonly string[]): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const byDigest = new Map<string, ApiKey>();
  entries.forEach((entry, n) => {
    const m = API_KEY_ENTRY.exec(entry);
    const scopes = m?.[3] === undefined ? READ_ONLY : parseKeyScopes(m[3]);
    if (!m || !TENANT_ID_PATTERN.test(m[1]!) || !scopes) {
      problems.push(`entry ${n + 1} ${ENTRY_SHAPE}`);
      return;
    }
    const tenantId = m[1]!;
    const hex = m[2]!.toLowerCase();
    const known = byDigest.get(hex);
    if (known && known.tenantId !== tenantId) {
      problems.push(`entry ${n + 1}: the same key is configured for tenants ${known.tenantId} and ${tenantId}; a key opens one tenant`);
      return;
    }
    if (known) {
      if (formatKeyScopes(known.scopes) !== formatKeyScopes(scopes))
        problems.push(
          `entry ${n + 1}: the same key is listed with scopes ${formatKeyScopes(known.scopes)} and ${formatKeyScopes(scopes)}; list it once`,
        );
      return;
    }
    const key = { tenantId, keyId: hex.slice(0, 8), digest: Buffer.from(hex, 'hex'), scopes };
    byDigest.set(hex, key);
    keys.push(key);
  });
  return { keys, problems };
}

/**
 * One entry of `HUB_ADMIN_API_KEYS`: `<operator>:<sha256 hex of the key>`. An operator key opens the
 * operations on the whole hub (replays), never a tenant's data; the name is recorded as who asked.
 */
export const OPERATOR_KEY_ENTRY = /^([a-z0-9][a-z0-9._@-]{0,63}):([0-9a-fA-F]{64})$/;

/** A configured operator key: who holds it, a short id for logs (a digest prefix), the digest. */
export interface OperatorKey {
  operator: string;
  keyId: string;
  digest: Buffer;
}

/**
 * Parse `HUB_ADMIN_API_KEYS`. A digest may belong to one operator, and never also be a tenant's key
 * (a key has one scope: one tenant's data, or operating the hub).
 */
export function parseOperatorKeys(entries: readonly string[], tenantKeys: readonly ApiKey[]): { keys: OperatorKey[]; problems: string[] } {
  const keys: OperatorKey[] = [];
  const problems: string[] = [];
  const tenantDigests = new Set(tenantKeys.map((k) => k.digest.toString('hex')));
  const operatorOf = new Map<string, string>();
  entries.forEach((entry, n) => {
    const m = OPERATOR_KEY_ENTRY.exec(entry);
    if (!m) {
      problems.push(`entry ${n + 1} must be <operator>:<sha256 hex of the key> (64 hex digits)`);
      return;
    }
    const operator = m[1]!;
    const hex = m[2]!.toLowerCase();
    if (tenantDigests.has(hex)) {
      problems.push(`entry ${n + 1}: this key is also in HUB_API_KEYS; a key is either a tenant's or an operator's`);
      return;
    }
    const owner = operatorOf.get(hex);
    if (owner === operator) return;
    if (owner !== undefined) {
      problems.push(`entry ${n + 1}: the same key is configured for operators ${owner} and ${operator}`);
      return;
    }
    operatorOf.set(hex, operator);
    keys.push({ operator, keyId: hex.slice(0, 8), digest: Buffer.from(hex, 'hex') });
  });
  return { keys, problems };
}

/** The configured keys (tenant keys or operator keys): the hub's one digest-key registry. */
export class ApiKeyRegistry<K extends { digest: Buffer } = ApiKey> extends DigestKeyRegistry<K> {}

export { presentedApiKey, sha256Hex, type KeyScope, type PresentedKey } from '@hub/platform';
