import { Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { identityHashing, kafkaConnection, schemaMigrateMode, type KafkaClientSettings, type RecordEnv } from '@hub/config';
import { createCustomerStores, customerStoresOptions, SNAPSHOTS_SCHEMA, type CustomerStores } from '@hub/customer-records';
import { SUBJECT_KEYS_SCHEMA } from '@hub/crypto-shredding';
import { EVENT_STORE, EVENT_STORE_SCHEMA, type EventStore } from '@hub/event-store';
import { createKafka, EVENT_PUBLISHER, KafkaEventPublisher } from '@hub/messaging';
import { createLogger, createPgPool, LOGGER, migrateAtBoot, type ComponentSchema, type HubLogger } from '@hub/platform';

export { EVENT_PUBLISHER, EVENT_STORE, LOGGER };
export const PG_POOL = Symbol('PG_POOL');
export const KAFKA = Symbol('KAFKA');
export const CUSTOMER_STORES = Symbol('CUSTOMER_STORES');

/** What every app that records or reads customers is configured with (`RecordEnv`). */
export type HubPlatformConfig = Pick<
  RecordEnv,
  | 'DATABASE_URL'
  | 'KAFKA_BROKERS'
  | 'LOG_LEVEL'
  | 'SNAPSHOT_EVERY'
  | 'HUB_KEK'
  | 'EVENT_STORE'
  | 'EVENTSTORE_URL'
  | 'IDENTITY_HASH_KEY'
  | 'IDENTITY_HASH_PREVIOUS_KEY'
  | 'NODE_ENV'
  | 'HUB_MIGRATE'
> &
  KafkaClientSettings;

/** The components whose tables the customer stores use, migrated by every app before they are built. */
export const PLATFORM_SCHEMA: readonly ComponentSchema[] = [EVENT_STORE_SCHEMA, SUBJECT_KEYS_SCHEMA, SNAPSHOTS_SCHEMA];

export interface HubPlatformOptions {
  pool: {
    /** Most connections of the app's pool (each app sizes it for its own work). */
    max: number;
    /** If set, an idle client's dropped connection is logged under this event (the pool reconnects on next use). */
    idleErrorEvent?: string;
    /** How long a statement waits for a lock before it fails (and its caller retries); the pool's default otherwise (30 s). */
    lockTimeoutMs?: number;
  };
  /** Kafka client and publisher (`KAFKA`, `EVENT_PUBLISHER`); apps that never touch Kafka pass `false`. */
  kafka: false | { sendTimeoutMs: number };
  /**
   * The app's own components beyond `PLATFORM_SCHEMA` (the timeline, the outcome tally, …): all are
   * migrated (HUB_MIGRATE=auto) or checked (check) when the pool opens, before any table is used.
   */
  schema: readonly ComponentSchema[];
  /**
   * Components whose tables live in the app itself (the query API's saved queries): no other
   * process, not `hub migrate` either, can import them, so the app applies them at boot in either mode.
   */
  appSchema?: readonly ComponentSchema[];
}

/**
 * The resources every hub app shares, closed in one order: Nest runs this `onApplicationShutdown`
 * after every `onModuleDestroy`, so consumers, relays and jobs have stopped using them by then.
 */
class PlatformResources implements OnApplicationShutdown {
  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly publisher: KafkaEventPublisher | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.publisher?.close();
    await this.store.close();
    await this.pool.end();
  }
}

/**
 * One place that wires what the projector, the NBA worker and the query API share: the logger, the
 * PostgreSQL pool, the customer stores built by the one factory from the app's config (and the event
 * store they use), Kafka and its publisher, and the order they close in.
 */
@Module({})
export class HubPlatformModule {
  static forApp(app: string, config: HubPlatformConfig, options: HubPlatformOptions): DynamicModule {
    const { pool: poolOptions, kafka: kafkaOptions } = options;
    const schema = [...PLATFORM_SCHEMA, ...options.schema];
    const providers: Provider[] = [
      { provide: LOGGER, useFactory: () => createLogger(app, config.LOG_LEVEL) },
      {
        provide: PG_POOL,
        inject: [LOGGER],
        useFactory: async (logger: HubLogger) => {
          const pool = createPgPool({
            connectionString: config.DATABASE_URL,
            max: poolOptions.max,
            ...(poolOptions.lockTimeoutMs !== undefined ? { lockTimeoutMs: poolOptions.lockTimeoutMs } : {}),
          });
          const event = poolOptions.idleErrorEvent;
          if (event !== undefined) pool.on('error', (err) => logger.warn({ err: err.message }, event));
          try {
            await migrateAtBoot(pool, schema, schemaMigrateMode(config), logger);
            if (options.appSchema?.length) await migrateAtBoot(pool, options.appSchema, 'auto', logger);
          } catch (err) {
            await pool.end();
            throw err;
          }
          return pool;
        },
      },
      {
        provide: CUSTOMER_STORES,
        inject: [PG_POOL, LOGGER],
        useFactory: (pool: Pool, logger: HubLogger) => {
          const hashing = identityHashing(config);
          if (hashing.developmentKey) logger.warn({ nodeEnv: config.NODE_ENV }, 'identity.hash_key.development');
          return createCustomerStores(pool, customerStoresOptions(config, hashing));
        },
      },
      { provide: EVENT_STORE, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.store },
    ];
    const exported: symbol[] = [LOGGER, PG_POOL, CUSTOMER_STORES, EVENT_STORE];
    if (kafkaOptions !== false) {
      providers.push(
        {
          provide: KAFKA,
          inject: [LOGGER],
          useFactory: (logger: HubLogger) => createKafka(kafkaConnection(config, app), logger),
        },
        {
          provide: EVENT_PUBLISHER,
          inject: [KAFKA],
          useFactory: (kafka: Kafka) => new KafkaEventPublisher(kafka, { sendTimeoutMs: kafkaOptions.sendTimeoutMs }),
        },
        {
          provide: PlatformResources,
          inject: [PG_POOL, EVENT_STORE, EVENT_PUBLISHER],
          useFactory: (pool: Pool, store: EventStore, publisher: KafkaEventPublisher) => new PlatformResources(pool, store, publisher),
        },
      );
      exported.push(KAFKA, EVENT_PUBLISHER);
    } else {
      providers.push({
        provide: PlatformResources,
        inject: [PG_POOL, EVENT_STORE],
        useFactory: (pool: Pool, store: EventStore) => new PlatformResources(pool, store, undefined),
      });
    }
    return { module: HubPlatformModule, providers, exports: exported };
  }
}
