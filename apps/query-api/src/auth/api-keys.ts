import { TENANT_ID_PATTERN } from '@hub/contracts';
import { DigestKeyRegistry } from '@hub/platform';

export const API_KEYS = Symbol('API_KEYS');
export const OPERATOR_KEYS = Symbol('OPERATOR_KEYS');

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

export { presentedApiKey, sha256Hex, type PresentedKey } from '@hub/platform';
