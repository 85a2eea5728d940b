import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Pool } from 'pg';
import { HttpEnv, loadConfig } from '@hub/config';
import { CustomerRepository } from '@hub/customer-records';
import { EVENT_STORE, PostgresEventStore, type EventStore } from '@hub/event-store';
import { PostgresTimelineStore, TIMELINE_STORE } from '@hub/timeline';
import { CUSTOMER_REPOSITORY, CustomersController } from './customers.controller';
import { HealthController } from './health.controller';

const PG_POOL = Symbol('PG_POOL');

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

export class QueryApiEnv extends HttpEnv {
  override PORT = 3100;
}

export function queryApiModule(env: NodeJS.ProcessEnv) {
  const config = loadConfig('query-api', QueryApiEnv, env);
  @Module({
    controllers: [CustomersController, HealthController],
    providers: [
      { provide: 'QUERY_API_CONFIG', useValue: config },
      { provide: PG_POOL, useFactory: () => new Pool({ connectionString: config.DATABASE_URL, max: 10 }) },
      { provide: EVENT_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => PostgresEventStore.create({ pool }) },
      { provide: TIMELINE_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTimelineStore(pool) },
      { provide: CUSTOMER_REPOSITORY, inject: [EVENT_STORE], useFactory: (store: EventStore) => new CustomerRepository(store) },
      QueryResources,
    ],
  })
  class QueryApiModule {}
  return { module: QueryApiModule, config };
}
