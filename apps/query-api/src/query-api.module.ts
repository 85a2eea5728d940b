import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Pool } from 'pg';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { loadConfig, RecordEnv } from '@hub/config';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { EVENT_STORE, type EventStore } from '@hub/event-store';
import { PostgresTimelineStore, TIMELINE_STORE } from '@hub/timeline';
import { CUSTOMER_REPOSITORY, CUSTOMER_STORES_TOKEN, CustomersController } from './customers.controller';
import { HealthController } from './health.controller';

const PG_POOL = Symbol('PG_POOL');
const CUSTOMER_STORES = Symbol('CUSTOMER_STORES');

@Injectable()
class QueryResources implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TIMELINE_STORE) private readonly timeline: PostgresTimelineStore,
  ) {}
  async onModuleInit(): Promise<void> {
    await this.timeline.ensureSchema();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.pool.end();
  }
}

export class QueryApiEnv extends RecordEnv {
  @IsString() HOST = '127.0.0.1';
  /** 0 picks a free port (tests, the demo); the app logs the URL it got. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3100;
}

export function queryApiModule(env: NodeJS.ProcessEnv) {
  const config = loadConfig('query-api', QueryApiEnv, env);
  @Module({
    controllers: [CustomersController, HealthController],
    providers: [
      { provide: 'QUERY_API_CONFIG', useValue: config },
      { provide: PG_POOL, useFactory: () => new Pool({ connectionString: config.DATABASE_URL, max: 10 }) },
      {
        provide: CUSTOMER_STORES,
        inject: [PG_POOL],
        useFactory: (pool: Pool) => createCustomerStores(pool, { ...(config.HUB_KEK ? { kek: config.HUB_KEK } : {}), snapshotEvery: config.SNAPSHOT_EVERY }),
      },
      { provide: EVENT_STORE, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.store },
      { provide: TIMELINE_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTimelineStore(pool) },
      { provide: CUSTOMER_REPOSITORY, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.customers },
      { provide: CUSTOMER_STORES_TOKEN, useExisting: CUSTOMER_STORES },
      QueryResources,
    ],
  })
  class QueryApiModule {}
  return { module: QueryApiModule, config };
}
