import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Pool } from 'pg';
import { Transform, Type } from 'class-transformer';
import { ArrayNotEmpty, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ConfigError, loadConfig, RecordEnv } from '@hub/config';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { EVENT_STORE, type EventStore } from '@hub/event-store';
import { createLogger, LOGGER, type HubLogger } from '@hub/platform';
import { PostgresTimelineStore, TIMELINE_QUERIES, TIMELINE_STORE, TimelineQueries } from '@hub/timeline';
import { ApiKeyGuard } from './auth/api-key.guard';
import { API_KEY_ENTRY, API_KEYS, ApiKeyRegistry, parseApiKeys } from './auth/api-keys';
import { CUSTOMER_REPOSITORY, CUSTOMER_STORES_TOKEN, CustomersController } from './customers.controller';
import { ExportsController } from './exports/exports.controller';
import { HealthController } from './health.controller';
import { LiveTimelineController } from './live/live-timeline.controller';
import { LIVE_SETTINGS, LiveTimelines, type LiveSettings } from './live/live-timelines';
import { TIMELINE_NOTIFICATIONS, TimelineNotifications } from './live/timeline-notifications';
import { TimelineController } from './timeline/timeline.controller';

const PG_POOL = Symbol('PG_POOL');
const CUSTOMER_STORES = Symbol('CUSTOMER_STORES');

@Injectable()
class QueryResources implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
  ) {}
  async onModuleInit(): Promise<void> {
    // Creates the read model only where it does not exist yet; the projector migrates it (see TimelineQueries.ensureSchema).
    await this.queries.ensureSchema();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.pool.end();
  }
}

const csv = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);

export class QueryApiEnv extends RecordEnv {
  @IsString() HOST = '127.0.0.1';
  /** 0 picks a free port (tests, the demo); the app logs the URL it got. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3100;

  /**
   * The API keys, one per tenant they open: `<tenant>:<sha256 hex of the key>[,…]` (docs/operations.md,
   * "API keys"). Only digests are configured. Several keys per tenant are allowed (rotation).
   */
  @Transform(csv)
  @ArrayNotEmpty({ message: 'HUB_API_KEYS must list at least one <tenant>:<sha256 hex of the key>: every read needs a key (docs/operations.md, "API keys")' })
  @Matches(API_KEY_ENTRY, { each: true, message: 'each HUB_API_KEYS entry must be <tenant>:<sha256 hex of the key> (64 hex digits)' })
  HUB_API_KEYS: string[] = [];

  /** Heartbeat (and fallback read) interval of live timelines. */
  @Type(() => Number) @IsInt() @Min(1_000) @Max(120_000) QUERY_LIVE_HEARTBEAT_MS = 15_000;
}

export function queryApiModule(env: NodeJS.ProcessEnv) {
  const config = loadConfig('query-api', QueryApiEnv, env);
  const apiKeys = parseApiKeys(config.HUB_API_KEYS);
  if (apiKeys.problems.length > 0) throw new ConfigError('query-api', apiKeys.problems.map((p) => `HUB_API_KEYS: ${p}`));
  const live: LiveSettings = { heartbeatMs: config.QUERY_LIVE_HEARTBEAT_MS, lookbackMs: 30_000, maxBufferedBytes: 1 << 20 };
  @Module({
    controllers: [CustomersController, TimelineController, LiveTimelineController, ExportsController, HealthController],
    providers: [
      { provide: 'QUERY_API_CONFIG', useValue: config },
      { provide: LOGGER, useValue: createLogger('query-api', config.LOG_LEVEL) },
      { provide: API_KEYS, useValue: new ApiKeyRegistry(apiKeys.keys) },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      { provide: PG_POOL, useFactory: () => new Pool({ connectionString: config.DATABASE_URL, max: 10 }) },
      {
        provide: CUSTOMER_STORES,
        inject: [PG_POOL],
        useFactory: (pool: Pool) => createCustomerStores(pool, { ...(config.HUB_KEK ? { kek: config.HUB_KEK } : {}), snapshotEvery: config.SNAPSHOT_EVERY }),
      },
      { provide: EVENT_STORE, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.store },
      { provide: TIMELINE_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTimelineStore(pool) },
      { provide: TIMELINE_QUERIES, inject: [PG_POOL], useFactory: (pool: Pool) => new TimelineQueries(pool) },
      { provide: TIMELINE_NOTIFICATIONS, inject: [LOGGER], useFactory: (logger: HubLogger) => new TimelineNotifications({ connectionString: config.DATABASE_URL }, logger) },
      { provide: LIVE_SETTINGS, useValue: live },
      LiveTimelines,
      { provide: CUSTOMER_REPOSITORY, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.customers },
      { provide: CUSTOMER_STORES_TOKEN, useExisting: CUSTOMER_STORES },
      QueryResources,
    ],
  })
  class QueryApiModule {}
  return { module: QueryApiModule, config };
}
