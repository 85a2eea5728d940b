import 'reflect-metadata';
import { Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import { loadConfig, RecordEnv } from '@hub/config';
import type { CustomerStores } from '@hub/customer-records';
import type { EventStore } from '@hub/event-store';
import type { KafkaEventPublisher } from '@hub/messaging';
import { SchemaMigrator, type HubLogger } from '@hub/platform';
import { freshDatabase, testInfra } from '@hub/testing';
import {
  CUSTOMER_STORES,
  EVENT_PUBLISHER,
  PLATFORM_SCHEMA,
  EVENT_STORE,
  HubPlatformModule,
  KAFKA,
  LOGGER,
  PG_POOL,
  type HubPlatformOptions,
} from './hub-platform.module';

const infra = testInfra();
const config = loadConfig('platform-test', RecordEnv, {
  DATABASE_URL: infra.databaseUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  LOG_LEVEL: 'silent',
});

/** What happened, in order: the app's consumer stopping, then the shared resources closing. */
const calls: string[] = [];

/** Stands for an app's consumer: it still queries the pool while it stops. */
@Injectable()
class Consumer implements OnModuleDestroy {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}
  async onModuleDestroy(): Promise<void> {
    await this.pool.query('SELECT 1');
    calls.push('consumer.stopped');
  }
}

async function boot(options: HubPlatformOptions, settings: RecordEnv = config) {
  @Module({ imports: [HubPlatformModule.forApp('platform-test', settings, options)], providers: [Consumer] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

function record<T extends object>(target: T, method: keyof T & string, name: string): void {
  const original = (target[method] as (...args: unknown[]) => unknown).bind(target);
  (target as Record<string, unknown>)[method] = (...args: unknown[]) => {
    calls.push(name);
    return original(...args);
  };
}

describe('HubPlatformModule', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('provides the shared resources and closes publisher, store, then pool after every onModuleDestroy', async () => {
    const app = await boot({ pool: { max: 3 }, kafka: { sendTimeoutMs: 1_000 }, schema: [] });
    const pool = app.get<Pool>(PG_POOL);
    const stores = app.get<CustomerStores>(CUSTOMER_STORES);
    expect(app.get<EventStore>(EVENT_STORE)).toBe(stores.store);
    expect(app.get(KAFKA)).toBeDefined();
    expect(app.get(LOGGER)).toBeDefined();
    expect(pool.options.max).toBe(3);
    // Without an idle-error event, the app's pool has no error listener of ours (as before).
    expect(pool.listenerCount('error')).toBe(0);
    record(app.get<KafkaEventPublisher>(EVENT_PUBLISHER), 'close', 'publisher.close');
    record(stores.store, 'close', 'store.close');
    record(pool, 'end', 'pool.end');

    await app.close();

    expect(calls).toEqual(['consumer.stopped', 'publisher.close', 'store.close', 'pool.end']);
    expect(pool.ended).toBe(true);
  });

  it('without Kafka, provides no Kafka client nor publisher and still closes store then pool', async () => {
    const app = await boot({ pool: { max: 2 }, kafka: false, schema: [] });
    expect(() => app.get(KAFKA)).toThrow();
    expect(() => app.get(EVENT_PUBLISHER)).toThrow();
    const pool = app.get<Pool>(PG_POOL);
    record(app.get<EventStore>(EVENT_STORE), 'close', 'store.close');
    record(pool, 'end', 'pool.end');

    await app.close();

    expect(calls).toEqual(['consumer.stopped', 'store.close', 'pool.end']);
  });

  it("logs an idle client's error under the app's event when it names one", async () => {
    const app = await boot({ pool: { max: 1, idleErrorEvent: 'test.pg.idle_client_error' }, kafka: false, schema: [] });
    const logger = app.get<HubLogger>(LOGGER);
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    app.get<Pool>(PG_POOL).emit('error', new Error('connection terminated'));
    expect(warn).toHaveBeenCalledWith({ err: 'connection terminated' }, 'test.pg.idle_client_error');
    await app.close();
  });

  describe('on a database whose schema is not migrated yet', () => {
    let db: { url: string; drop(): Promise<void> };
    const settings = (env: Record<string, string>) =>
      loadConfig('platform-test', RecordEnv, {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        LOG_LEVEL: 'silent',
        ...env,
      });
    beforeEach(async () => {
      db = await freshDatabase('platform_migrate');
    });
    afterEach(() => db.drop());

    it('with HUB_MIGRATE=check (the default in production), refuses to start and names what is pending', async () => {
      const boot_ = boot(
        { pool: { max: 2 }, kafka: false, schema: [] },
        settings({ NODE_ENV: 'production', IDENTITY_HASH_KEY: 'A'.repeat(43) + '=' }),
      );
      await expect(boot_).rejects.toThrow(
        /not migrated: pending event-store@1 \(baseline\), crypto-shredding@1 \(baseline\), customer-records@1.*hub migrate up/,
      );
    });

    it('with HUB_MIGRATE=auto (the default elsewhere), migrates before the stores are built', async () => {
      const app = await boot({ pool: { max: 2 }, kafka: false, schema: [] }, settings({ NODE_ENV: 'test' }));
      const pool = app.get<Pool>(PG_POOL);
      const states = await new SchemaMigrator(pool, PLATFORM_SCHEMA).status();
      expect(states.map((s) => `${s.component}@${s.version} ${s.status}`)).toEqual([
        'event-store@1 applied',
        'crypto-shredding@1 applied',
        'customer-records@1 applied',
      ]);
      await app.close();
    });
  });
});
