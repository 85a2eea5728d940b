import { IdentityHasher } from '@hub/contracts';

/**
 * How tests name identity claim streams: under the published development key, the key
 * `startAppProcess` gives the apps it runs (so a test's own stores and the apps agree).
 */
export const TEST_IDENTITY_NAMING: { readonly current: IdentityHasher } = { current: IdentityHasher.development() };
