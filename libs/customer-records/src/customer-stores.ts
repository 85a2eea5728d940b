import type { Pool } from 'pg';
import { EncryptingEventStore, parseKeyEncryptionKey, PostgresKeyStore, SealingKeyCache, type KeyStore } from '@hub/crypto-shredding';
import { PostgresEventStore, type EventStore } from '@hub/event-store';
import { CustomerRepository } from './customer.repository';
import { IdentityResolver } from './identity.resolver';
import { PostgresSnapshotStore } from './postgres.snapshot-store';

export interface CustomerStores {
  /** The event store every app uses: PostgreSQL, personal fields sealed per customer. */
  store: EventStore;
  /** The same store unwrapped, for what must see stored bytes (tests, benchmarks): never for writes. */
  raw: PostgresEventStore;
  keys: KeyStore;
  snapshots: PostgresSnapshotStore;
  customers: CustomerRepository;
  identities: IdentityResolver;
}

/** How long a data key this process opened or made may seal its next writes (`SealingKeyCache`). */
export const SEALING_KEY_TTL_MS = 10_000;

/**
 * The one place the customer record's stores are assembled, so every app reads and writes customers
 * the same way: encryption is never forgotten in one of them. Keys the process just opened seal its
 * next writes about the same customers for `sealingKeyTtlMs` (0: every write asks the key store).
 */
export async function createCustomerStores(
  pool: Pool,
  { kek, snapshotEvery = 50, sealingKeyTtlMs = SEALING_KEY_TTL_MS }: { kek?: string; snapshotEvery?: number; sealingKeyTtlMs?: number } = {},
): Promise<CustomerStores> {
  const kekBytes = parseKeyEncryptionKey(kek);
  const raw = await PostgresEventStore.create({ pool });
  const stored = await PostgresKeyStore.create({ pool, ...(kekBytes ? { kek: kekBytes } : {}) });
  const keys: KeyStore = sealingKeyTtlMs > 0 ? new SealingKeyCache(stored, { ttlMs: sealingKeyTtlMs }) : stored;
  const store = new EncryptingEventStore(raw, { keys });
  const snapshots = await PostgresSnapshotStore.create({ pool, keys });
  return { store, raw, keys, snapshots, customers: new CustomerRepository(store, { store: snapshots, every: snapshotEvery }), identities: new IdentityResolver(store) };
}
