import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { hubNames } from '@hub/contracts';
import { loadConfig } from '@hub/config';
import { createCustomerStores, customerStoresOptions, type CustomerStores } from '@hub/customer-records';
import { EVENT_STORE, PostgresCheckpointStore, whileLeader, type EventStore } from '@hub/event-store';
import { createKafka, ensureTopics, EVENT_PUBLISHER, hubTopicSpecs, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { catalogV1 } from '@hub/nba';
import { createPgPool, createLogger, LOGGER, type HubLogger } from '@hub/platform';
import { BullNbaFollowUps } from './bullmq.nba-follow-ups';
import { routeCustomerEvents } from './customer-event.handler';
import { decisionRelayId, startNbaDecisionRelay } from './nba-decision.relay';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { NbaNoResponseJob, type NbaNoResponseJobData } from './nba-no-response.job';
import { NbaOutboundScanJob, type NbaOutboundScanJobData } from './nba-outbound-scan.job';
import { NbaWorkerEnv } from './nba-worker.env';
import { reenqueuePendingDecisions } from './nba-reconcile';
import { checkRedisPersistence, logRedisPersistence } from './redis-persistence';
import { CachedOutcomeTally, PostgresOutcomeTallyStore } from './outcome-tally.store';
import { PostgresTimelineSegmentQueries } from '@hub/timeline/segments';

const CONFIG = Symbol('NBA_WORKER_CONFIG');
const PG_POOL = Symbol('PG_POOL');
const KAFKA = Symbol('KAFKA');
const REDIS = Symbol('REDIS');
const CUSTOMER_STORES = Symbol('CUSTOMER_STORES');

/** The job scheduler of the always-on outbound scan (one per queue, upserted at every boot). */
export const OUTBOUND_SCHEDULER_ID = 'nba-outbound-scan';

type FollowUpJobData = NbaNoResponseJobData | NbaOutboundScanJobData;

/**
 * The worker, all in one app (every instance alike):
 * - customer events from Kafka → debounced decide jobs, delayed survey follow-ups, the outcome tally;
 * - the decide queue: `NbaDecideJob` (real time, survey follow-up, outbound scan);
 * - the follow-up queue: `NbaNoResponseJob` (delayed, one per decision), `NbaOutboundScanJob` (a job scheduler);
 * - the decisions relay (one instance at a time, under a PostgreSQL advisory lock): decisions that
 *   contact the customer, from the store onto `hub.nba-decisions.v1`.
 */
@Injectable()
class NbaWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;
  private queues: Queue[] = [];
  private workers: Worker[] = [];
  private connections: IORedis[] = [];
  private leadership: { stop(): Promise<void> } | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: NbaWorkerEnv,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: IORedis,
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(EVENT_PUBLISHER) private readonly publisher: KafkaEventPublisher,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const names = hubNames(config.HUB_NAMESPACE);
    // Jobs live only in Redis once their Kafka offset is committed: say so when a restart would lose them.
    logRedisPersistence(this.logger, await checkRedisPersistence(this.redis));
    await ensureTopics(this.kafka, hubTopicSpecs(names));
    await this.publisher.start();
    const tally = await PostgresOutcomeTallyStore.create(this.pool);
    const checkpoints = await PostgresCheckpointStore.create({ pool: this.pool });
    const relayFrom = config.NBA_DECISIONS_RELAY_START === 'end' ? await this.stores.store.headPosition() : undefined;
    const catalog = catalogV1();
    const noResponseAfterMs = config.NBA_NO_RESPONSE_AFTER_MS ?? catalog.learning.noResponseAfterHours * 3_600_000;

    const defaultJobOptions = {
      attempts: config.NBA_JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 200 },
      removeOnComplete: { count: 10_000 },
      removeOnFail: { count: 10_000 },
    };
    const decideQueue = new Queue<NbaDecideJobData>(names.queues.nbaDecide, { connection: this.redis, defaultJobOptions });
    const followUpQueue = new Queue<FollowUpJobData>(names.queues.nbaFollowUp, { connection: this.redis, defaultJobOptions });
    this.queues = [decideQueue, followUpQueue];
    const followUps = new BullNbaFollowUps(followUpQueue as Queue<NbaNoResponseJobData>);
    const outcomes = new CachedOutcomeTally(tally, config.NBA_OUTCOMES_CACHE_MS);

    const decideJob = new NbaDecideJob(this.stores.customers, {
      catalog,
      outcomes: (tenantId) => outcomes.tally(tenantId),
      followUps,
      noResponseAfterMs,
      foldCacheSize: config.NBA_FOLD_CACHE_SIZE,
      foldCacheTtlMs: config.NBA_FOLD_CACHE_TTL_MS,
    });
    this.sweeper = setInterval(() => decideJob.folds.sweep(), Math.max(1_000, Math.floor(config.NBA_FOLD_CACHE_TTL_MS / 4)));
    this.sweeper.unref();
    const noResponseJob = new NbaNoResponseJob(this.stores.customers, noResponseAfterMs);
    const scanJob = new NbaOutboundScanJob(
      new PostgresTimelineSegmentQueries(this.pool),
      async (decisions) => {
        await decideQueue.addBulk(decisions.map((d) => ({ name: NbaDecideJob.jobName, data: d.data, opts: { jobId: d.jobId } })));
      },
      { everyMs: Math.max(1, config.NBA_OUTBOUND_EVERY_MS), maxPerRun: config.NBA_OUTBOUND_MAX_PER_RUN, quadrants: config.NBA_OUTBOUND_QUADRANTS, tenants: config.NBA_OUTBOUND_TENANTS },
    );

    const connection = (): IORedis => {
      const c = this.redis.duplicate({ maxRetriesPerRequest: null });
      this.connections.push(c);
      return c;
    };
    const workerOptions = { concurrency: config.NBA_CONCURRENCY, lockDuration: config.NBA_LOCK_DURATION_MS, stalledInterval: config.NBA_STALLED_INTERVAL_MS };
    const decideWorker = new Worker<NbaDecideJobData>(
      names.queues.nbaDecide,
      async (job) => {
        const outcome = await decideJob.run(job.data, new Date());
        this.logger.info({ customerId: job.data.customerId, trigger: job.data.trigger ?? 'realtime', correlationId: job.data.correlationId, outcome }, `nba.decision.${outcome.kind}`);
        return outcome;
      },
      { ...workerOptions, connection: connection() },
    );
    const followUpWorker = new Worker<FollowUpJobData>(
      names.queues.nbaFollowUp,
      async (job, token) => {
        if (job.name === NbaOutboundScanJob.jobName) {
          const r = await scanJob.run(job.timestamp + (job.delay ?? 0));
          this.logger.info(r, 'nba.outbound.scanned');
          return r;
        }
        if (job.name === NbaNoResponseJob.jobName) {
          const data = (job as Job<NbaNoResponseJobData>).data;
          const r = await noResponseJob.run(data, new Date());
          this.logger.info({ customerId: data.customerId, decisionId: data.decisionId, correlationId: data.correlationId, outcome: r }, `nba.no_response.${r.kind}`);
          if (r.kind === 'not_yet_due') {
            await job.moveToDelayed(Date.parse(r.dueAt), token);
            throw new DelayedError();
          }
          return r;
        }
        throw new Error(`unknown job ${job.name}`);
      },
      { ...workerOptions, connection: connection() },
    );
    this.workers = [decideWorker, followUpWorker];
    for (const w of this.workers) {
      w.on('failed', (j, err) => this.logger.warn({ queue: w.name, job: j?.name, jobId: j?.id, attempts: j?.attemptsMade, err: err.message }, 'nba.job.failed'));
      w.on('stalled', (jobId) => this.logger.warn({ queue: w.name, jobId }, 'nba.job.stalled'));
    }

    if (config.NBA_OUTBOUND_EVERY_MS > 0) {
      await followUpQueue.upsertJobScheduler(OUTBOUND_SCHEDULER_ID, { every: config.NBA_OUTBOUND_EVERY_MS }, { name: NbaOutboundScanJob.jobName, data: {} });
    } else {
      await followUpQueue.removeJobScheduler(OUTBOUND_SCHEDULER_ID);
    }

    if (config.NBA_RECONCILE_AT_START === 'on') {
      // Idempotent: the consumer may enqueue the same customers meanwhile (same deduplication ids).
      try {
        const r = await reenqueuePendingDecisions(this.stores.store, decideQueue, { surveyDelayMs: config.NBA_SURVEY_DELAY_MS });
        this.logger.info(r, 'nba.reconcile.done');
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'nba.reconcile.failed');
      }
    }

    this.consumer = await startConsumer(this.kafka, {
      groupId: names.groups.nbaWorker,
      topics: [names.topics.customerEvents],
      deadLetter: { publisher: this.publisher, topic: names.topics.deadLetter },
      logger: this.logger,
      // Runs of a partition's events, each customer's in order, customers concurrently (routeCustomerEvents).
      handleBatch: (messages) => {
        const { NBA_DEBOUNCE_MS: debounceMs, NBA_SURVEY_DELAY_MS: surveyDelayMs } = config;
        return routeCustomerEvents({ decide: decideQueue, debounceMs, surveyDelayMs, tally, followUps, folds: decideJob.folds }, messages);
      },
    });

    const relayId = decisionRelayId(names.topics.nbaDecisions);
    this.leadership = whileLeader(config.DATABASE_URL, `hub.${relayId}`, this.logger, async () => {
      const relay = await startNbaDecisionRelay({
        store: this.stores.store,
        checkpoints,
        publisher: this.publisher,
        topic: names.topics.nbaDecisions,
        logger: this.logger,
        ...(relayFrom !== undefined ? { fromWhenNoCheckpoint: relayFrom } : {}),
      });
      this.logger.info({ relay: relayId }, 'nba.relay.started');
      return () => relay.stop();
    }, { logPrefix: 'nba' });
    this.logger.info(
      { topic: names.topics.customerEvents, queues: [names.queues.nbaDecide, names.queues.nbaFollowUp], decisions: names.topics.nbaDecisions, outboundEveryMs: config.NBA_OUTBOUND_EVERY_MS },
      'nba.worker.started',
    );
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    await this.consumer?.stop();
    await this.leadership?.stop();
    for (const w of this.workers) await w.close();
    for (const q of this.queues) await q.close();
    for (const c of this.connections) c.disconnect();
  }
}

export function nbaWorkerModule(env: NodeJS.ProcessEnv) {
  const config = loadConfig('nba-worker', NbaWorkerEnv, env);
  @Module({
    providers: [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useFactory: () => createLogger('nba-worker', config.LOG_LEVEL) },
      {
        provide: PG_POOL,
        inject: [LOGGER],
        useFactory: (logger: HubLogger) => {
          // Jobs hold a connection only while a query runs; plus the relay, the outcome tally and the follow-ups.
          const pool = createPgPool({ connectionString: config.DATABASE_URL, max: config.NBA_PG_POOL_MAX ?? Math.min(config.NBA_CONCURRENCY, 16) + 4 });
          // An idle client's connection dropped (server restart, failover): logged, the pool reconnects on next use.
          pool.on('error', (err) => logger.warn({ err: err.message }, 'nba.pg.idle_client_error'));
          return pool;
        },
      },
      {
        provide: CUSTOMER_STORES,
        inject: [PG_POOL],
        useFactory: (pool: Pool) => createCustomerStores(pool, customerStoresOptions(config)),
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
