import type { Pool } from 'pg';
import { EncryptingEventStore, parseKeyEncryptionKey, PostgresKeyStore, type KeyStore } from '@hub/crypto-shredding';
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

/**
 * The one place the customer record's stores are assembled, so every app reads and writes customers
 * the same way: encryption is never forgotten in one of them.
 */
export async function createCustomerStores(pool: Pool, { kek, snapshotEvery = 50 }: { kek?: string; snapshotEvery?: number } = {}): Promise<CustomerStores> {
  const kekBytes = parseKeyEncryptionKey(kek);
  const raw = await PostgresEventStore.create({ pool });
  const keys = await PostgresKeyStore.create({ pool, ...(kekBytes ? { kek: kekBytes } : {}) });
  const store = new EncryptingEventStore(raw, { keys });
  const snapshots = await PostgresSnapshotStore.create({ pool, keys });
  return { store, raw, keys, snapshots, customers: new CustomerRepository(store, { store: snapshots, every: snapshotEvery }), identities: new IdentityResolver(store) };
}
