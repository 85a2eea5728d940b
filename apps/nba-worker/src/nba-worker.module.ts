import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { hubNames } from '@hub/contracts';
import { loadConfig } from '@hub/config';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { EVENT_STORE, type EventStore } from '@hub/event-store';
import { createKafka, ensureTopics, EVENT_PUBLISHER, hubTopicSpecs, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { createLogger, LOGGER, type HubLogger } from '@hub/platform';
import { enqueueDecision } from './customer-event.handler';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { NbaWorkerEnv } from './nba-worker.env';

const CONFIG = Symbol('NBA_WORKER_CONFIG');
const PG_POOL = Symbol('PG_POOL');
const KAFKA = Symbol('KAFKA');
const REDIS = Symbol('REDIS');
const CUSTOMER_STORES = Symbol('CUSTOMER_STORES');

@Injectable()
class NbaWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;
  private queue: Queue<NbaDecideJobData> | undefined;
  private worker: Worker<NbaDecideJobData> | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: NbaWorkerEnv,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(REDIS) private readonly redis: IORedis,
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(EVENT_PUBLISHER) private readonly publisher: KafkaEventPublisher,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const names = hubNames(this.config.HUB_NAMESPACE);
    await ensureTopics(this.kafka, hubTopicSpecs(names));
    await this.publisher.start();
    const job = new NbaDecideJob(this.stores.customers);
    const queue = new Queue<NbaDecideJobData>(names.queues.nbaDecide, {
      connection: this.redis,
      defaultJobOptions: {
        attempts: this.config.NBA_JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: 200 },
        removeOnComplete: { count: 10_000 },
        removeOnFail: { count: 10_000 },
      },
    });
    this.queue = queue;
    this.worker = new Worker<NbaDecideJobData>(
      names.queues.nbaDecide,
      async (j) => {
        const outcome = await job.run(j.data, new Date());
        this.logger.info({ customerId: j.data.customerId, correlationId: j.data.correlationId, outcome }, `nba.decision.${outcome.kind}`);
        return outcome;
      },
      { connection: this.redis.duplicate({ maxRetriesPerRequest: null }), concurrency: this.config.NBA_CONCURRENCY },
    );
    this.worker.on('failed', (j, err) => this.logger.warn({ jobId: j?.id, attempts: j?.attemptsMade, err: err.message }, 'nba.job.failed'));
    this.consumer = await startConsumer(this.kafka, {
      groupId: names.groups.nbaWorker,
      topics: [names.topics.customerEvents],
      deadLetter: { publisher: this.publisher, topic: names.topics.deadLetter },
      logger: this.logger,
      handle: async (message) => {
        await enqueueDecision(queue, this.config.NBA_DEBOUNCE_MS, message);
      },
    });
    this.logger.info({ topic: names.topics.customerEvents, queue: names.queues.nbaDecide }, 'nba.worker.started');
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
    await this.worker?.close();
    await this.queue?.close();
  }
}

export function nbaWorkerModule(env: NodeJS.ProcessEnv) {
  const config = loadConfig('nba-worker', NbaWorkerEnv, env);
  @Module({
    providers: [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useFactory: () => createLogger('nba-worker', config.LOG_LEVEL) },
      { provide: PG_POOL, useFactory: () => new Pool({ connectionString: config.DATABASE_URL, max: 10 }) },
      {
        provide: CUSTOMER_STORES,
        inject: [PG_POOL],
        useFactory: (pool: Pool) => createCustomerStores(pool, { ...(config.HUB_KEK ? { kek: config.HUB_KEK } : {}), snapshotEvery: config.SNAPSHOT_EVERY }),
      },
      { provide: EVENT_STORE, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.store },
      { provide: REDIS, useFactory: () => new IORedis(config.REDIS_URL, { maxRetriesPerRequest: null }) },
      { provide: KAFKA, inject: [LOGGER], useFactory: (logger: HubLogger) => createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'nba-worker' }, logger) },
      { provide: EVENT_PUBLISHER, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaEventPublisher(kafka, { sendTimeoutMs: 30_000 }) },
      NbaWorker,
      {
        provide: 'NBA_WORKER_RESOURCES',
        inject: [PG_POOL, EVENT_STORE, EVENT_PUBLISHER, REDIS],
        useFactory: (pool: Pool, store: EventStore, publisher: KafkaEventPublisher, redis: IORedis) => ({
          onApplicationShutdown: async () => {
            await publisher.close();
            await store.close();
            await pool.end();
            redis.disconnect();
          },
        }),
      },
    ],
  })
  class NbaWorkerModule {}
  return NbaWorkerModule;
}
