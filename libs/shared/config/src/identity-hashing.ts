import { DEV_IDENTITY_HASH_KEY, IdentityHasher } from '@hub/contracts';
import type { HubEnv } from './hub.env';

/** How a deployment names identities: its key, and the one before the last rotation (look-ups fall back to it). */
export interface IdentityHashing {
  current: IdentityHasher;
  previous?: IdentityHasher;
  /** True when no key was configured and the published development key stands in (NODE_ENV development/test only). */
  developmentKey: boolean;
}

/**
 * The identity hashing a validated config says: `IDENTITY_HASH_KEY`, or — only where `HubEnv`'s
 * validation let a missing key through (NODE_ENV `development` or `test`) — the published
 * development key. Apps log a warning when `developmentKey` is true.
 */
export function identityHashing(config: Pick<HubEnv, 'IDENTITY_HASH_KEY' | 'IDENTITY_HASH_PREVIOUS_KEY'>): IdentityHashing {
  const key = config.IDENTITY_HASH_KEY;
  return {
    current: IdentityHasher.fromBase64(key ?? DEV_IDENTITY_HASH_KEY),
    ...(config.IDENTITY_HASH_PREVIOUS_KEY ? { previous: IdentityHasher.fromBase64(config.IDENTITY_HASH_PREVIOUS_KEY) } : {}),
    developmentKey: key === undefined,
  };
}
