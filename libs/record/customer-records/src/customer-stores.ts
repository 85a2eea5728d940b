import type { Pool } from 'pg';
import { EncryptingEventStore, parseKeyEncryptionKey, PostgresKeyStore, SealingKeyCache, type KeyStore } from '@hub/crypto-shredding';
import { esdbEventStoreAdapter, PostgresEventStore, type EventStore } from '@hub/event-store';
import { CustomerRepository } from './customer.repository';
import { IdentityResolver, type IdentityStreamNaming } from './identity.resolver';
import { PostgresSnapshotStore } from './postgres.snapshot-store';

export interface CustomerStores {
  /** The event store every app uses (`EVENT_STORE`: PostgreSQL or EventStoreDB), personal fields sealed per customer. */
  store: EventStore;
  /** The same store unwrapped, for what must see stored bytes (tests, benchmarks): never for writes. */
  raw: EventStore;
  keys: KeyStore;
  snapshots: PostgresSnapshotStore;
  customers: CustomerRepository;
  identities: IdentityResolver;
}

/** How long a data key this process opened or made may seal its next writes (`SealingKeyCache`). */
export const SEALING_KEY_TTL_MS = 10_000;

/** Where the events live: a deployment choice (`EVENT_STORE`, `EVENTSTORE_URL` in `RecordEnv`). */
export type EventStoreChoice = { kind: 'postgres' } | { kind: 'eventstoredb'; url: string };

export interface CustomerStoresOptions {
  /** How identity claim streams are named: the deployment's identity key (`identityHashing(config)` of `@hub/config`). */
  identityNaming: IdentityStreamNaming;
  kek?: string;
  snapshotEvery?: number;
  sealingKeyTtlMs?: number;
  /** Default PostgreSQL (the pool's database). Keys and snapshots stay in PostgreSQL either way. */
  eventStore?: EventStoreChoice;
  /** PostgreSQL store: the shortest time between two reads of a caught-up subscription, and between two notifications (`subscriptionMinGapMs`). Default 0. */
  subscriptionMinGapMs?: number;
}

/** The options of `createCustomerStores` as an app's validated config (`RecordEnv`) says. */
export function customerStoresOptions(
  config: { HUB_KEK?: string; SNAPSHOT_EVERY: number; EVENT_STORE?: string; EVENTSTORE_URL?: string; EVENT_STORE_MIN_GAP_MS?: number },
  identityNaming: IdentityStreamNaming,
): CustomerStoresOptions {
  return {
    identityNaming,
    ...(config.HUB_KEK ? { kek: config.HUB_KEK } : {}),
    snapshotEvery: config.SNAPSHOT_EVERY,
    eventStore: eventStoreChoice(config),
    ...(config.EVENT_STORE_MIN_GAP_MS !== undefined ? { subscriptionMinGapMs: config.EVENT_STORE_MIN_GAP_MS } : {}),
  };
}

/** `EVENT_STORE` (postgres, the default, or eventstoredb, which requires `EVENTSTORE_URL`). */
export function eventStoreChoice(config: { EVENT_STORE?: string; EVENTSTORE_URL?: string }): EventStoreChoice {
  const kind = config.EVENT_STORE ?? 'postgres';
  if (kind === 'postgres') return { kind };
  if (kind === 'eventstoredb') {
    if (!config.EVENTSTORE_URL) throw new Error('EVENT_STORE=eventstoredb requires EVENTSTORE_URL (e.g. esdb://127.0.0.1:2113?tls=false)');
    return { kind, url: config.EVENTSTORE_URL };
  }
  throw new Error(`EVENT_STORE must be postgres or eventstoredb, not ${kind}`);
}

/**
 * The one place the customer record's stores are assembled, so every app reads and writes customers
 * the same way: encryption is never forgotten in one of them. Keys the process just opened seal its
 * next writes about the same customers for `sealingKeyTtlMs` (0: every write asks the key store).
 * It is also the one place an event store is built (`tools/architecture/store-factory.spec.ts`):
 * PostgreSQL or EventStoreDB as `eventStore` says; the key store and snapshots are PostgreSQL's.
 */
export async function createCustomerStores(
  pool: Pool,
  {
    identityNaming,
    kek,
    snapshotEvery = 50,
    sealingKeyTtlMs = SEALING_KEY_TTL_MS,
    eventStore = { kind: 'postgres' },
    subscriptionMinGapMs,
  }: CustomerStoresOptions,
): Promise<CustomerStores> {
  const kekBytes = parseKeyEncryptionKey(kek);
  // The EventStoreDB client is loaded only by a deployment that uses it.
  const EsdbEventStore = eventStore.kind === 'eventstoredb' ? esdbEventStoreAdapter() : undefined;
  const raw: EventStore =
    EsdbEventStore !== undefined && eventStore.kind === 'eventstoredb'
      ? EsdbEventStore.fromConnectionString(eventStore.url)
      : await PostgresEventStore.create({ pool, ...(subscriptionMinGapMs !== undefined ? { subscriptionMinGapMs } : {}) });
  const stored = await PostgresKeyStore.create({ pool, ...(kekBytes ? { kek: kekBytes } : {}) });
  const keys: KeyStore = sealingKeyTtlMs > 0 ? new SealingKeyCache(stored, { ttlMs: sealingKeyTtlMs }) : stored;
  const store = new EncryptingEventStore(raw, { keys });
  const snapshots = await PostgresSnapshotStore.create({ pool, keys });
  return {
    store,
    raw,
    keys,
    snapshots,
    customers: new CustomerRepository(store, { store: snapshots, every: snapshotEvery }),
    identities: new IdentityResolver(store, identityNaming),
  };
}
