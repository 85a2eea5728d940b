import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { CUSTOMER_STORES, HubPlatformModule, KAFKA, PG_POOL, REDIS, redisProviders } from '@hub/app-platform';
import { hubNames, type HubNames } from '@hub/contracts';
import { loadConfig } from '@hub/config';
import type { CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore, whileLeader } from '@hub/event-store';
import { ensureTopics, EVENT_PUBLISHER, hubTopicSpecs, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { currentCatalog } from '@hub/nba';
import { TerminusModule } from '@nestjs/terminus';
import {
  HEALTH_PROBES,
  HealthController,
  HealthProbesCloser,
  kafkaProbe,
  LOGGER,
  postgresProbe,
  redisProbe,
  type DependencyProbe,
  type HubLogger,
} from '@hub/platform';
import { BullNbaFollowUps } from './bullmq.nba-follow-ups';
import { routeCustomerEvents } from './customer-event.handler';
import { decisionRelayId, startNbaDecisionRelay } from './nba-decision.relay';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { NbaNoResponseJob, type NbaNoResponseJobData } from './nba-no-response.job';
import { NbaOutboundScanJob, type NbaOutboundScanJobData } from './nba-outbound-scan.job';
import { NbaReplyOutcomeJob, type NbaReplyOutcomeJobData } from './nba-reply-outcome.job';
import { NbaWorkerEnv, workItemSlasOf } from './nba-worker.env';
import { reenqueuePendingDecisions, rescheduleNoResponseChecks } from './nba-reconcile';
import { checkRedisPersistence, logRedisPersistence } from './redis-persistence';
import { CachedOutcomeTally, NBA_OUTCOMES_SCHEMA, PostgresOutcomeTallyStore } from '@hub/nba-outcomes';
import { PostgresWorkItemStore, WORK_ITEMS_SCHEMA } from '@hub/work-items';
import { PostgresTimelineSegmentQueries } from '@hub/timeline/segments';
import { hubMetrics, initMetrics, MetricsController, onScrape } from '@hub/metrics';

const CONFIG = Symbol('NBA_WORKER_CONFIG');

/** The job scheduler of the always-on outbound scan (one per queue, upserted at every boot). */
export const OUTBOUND_SCHEDULER_ID = 'nba-outbound-scan';

type FollowUpJobData = NbaNoResponseJobData | NbaOutboundScanJobData | NbaReplyOutcomeJobData;

/** The worker's two queues. */
interface NbaQueues {
  decide: Queue<NbaDecideJobData>;
  followUp: Queue<FollowUpJobData>;
}

/** The jobs the workers run. */
interface NbaJobs {
  decide: NbaDecideJob;
  noResponse: NbaNoResponseJob;
  replyOutcome: NbaReplyOutcomeJob;
  outboundScan: NbaOutboundScanJob;
}

/**
 * The worker, all in one app (every instance alike):
 * - customer events from Kafka → debounced decide jobs, delayed survey follow-ups, the outcome tally;
 * - the decide queue: `NbaDecideJob` (real time, survey follow-up, outbound scan);
 * - the follow-up queue: `NbaNoResponseJob` (delayed, one per decision), `NbaReplyOutcomeJob` (one per reply that
 *   may answer a decision), `NbaOutboundScanJob` (a job scheduler);
 * - the decisions relay (one instance at a time, under a PostgreSQL advisory lock): decisions that
 *   contact the customer, from the store onto `hub.nba-decisions.v1`; every decision onto `.v2`.
 */
@Injectable()
class NbaWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;
  private queues: Queue[] = [];
  private workers: Worker[] = [];
  private connections: IORedis[] = [];
  private leadership: { stop(): Promise<void> } | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopSampling: (() => void) | undefined;

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
    await ensureTopics(this.kafka, hubTopicSpecs(names, { replicationFactor: this.config.KAFKA_REPLICATION_FACTOR }));
    await this.publisher.start();
    const tally = await PostgresOutcomeTallyStore.create(this.pool);
    const checkpoints = await PostgresCheckpointStore.create({ pool: this.pool });
    const relayFrom = config.NBA_DECISIONS_RELAY_START === 'end' ? await this.stores.store.headPosition() : undefined;

    const queues = this.openQueues(names);
    const followUps = new BullNbaFollowUps(queues.followUp as Queue<NbaNoResponseJobData>);
    const jobs = this.createJobs(queues, tally, followUps);
    this.startWorkers(names, jobs);
    await this.scheduleOutboundScan(queues.followUp);
    await this.reconcile(queues.decide, followUps);
    this.consumer = await this.startCustomerEventConsumer(names, {
      decide: queues.decide,
      tally,
      followUps,
      folds: jobs.decide.folds,
      workItems: await PostgresWorkItemStore.create(this.pool),
      replyOutcomes: { keywords: currentCatalog().outcomeKeywords ?? [] },
    });
    this.leadership = this.startDecisionRelay(names, checkpoints, relayFrom);
    this.sampleQueues();
    this.logger.info(
      {
        topic: names.topics.customerEvents,
        queues: [names.queues.nbaDecide, names.queues.nbaFollowUp],
        decisions: [names.topics.nbaDecisions, names.topics.nbaDecisionsV2],
        outboundEveryMs: config.NBA_OUTBOUND_EVERY_MS,
      },
      'nba.worker.started',
    );
  }

  /** The queues' depths, read on each scrape of `GET /metrics`. */
  private sampleQueues(): void {
    const jobs = hubMetrics.queueJobs();
    this.stopSampling = onScrape(async () => {
      for (const q of this.queues) {
        const counts = await q.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) jobs.set({ queue: q.name, state }, counts[state] ?? 0);
      }
    });
  }

  /** The decide and follow-up queues, closed at shutdown. */
  private openQueues(names: HubNames): NbaQueues {
    const defaultJobOptions = {
      attempts: this.config.NBA_JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 200 },
      removeOnComplete: { count: 10_000 },
      removeOnFail: { count: 10_000 },
    };
    const decide = new Queue<NbaDecideJobData>(names.queues.nbaDecide, { connection: this.redis, defaultJobOptions });
    const followUp = new Queue<FollowUpJobData>(names.queues.nbaFollowUp, { connection: this.redis, defaultJobOptions });
    this.queues = [decide, followUp];
    return { decide, followUp };
  }

  /** The jobs, and the sweeper of the decide job's fold cache. */
  private createJobs(queues: NbaQueues, tally: PostgresOutcomeTallyStore, followUps: BullNbaFollowUps): NbaJobs {
    const config = this.config;
    const catalog = currentCatalog();
    const noResponseAfterMs = this.noResponseAfterMs();
    const outcomes = new CachedOutcomeTally(tally, config.NBA_OUTCOMES_CACHE_MS);
    const decide = new NbaDecideJob(this.stores.customers, {
      catalog,
      outcomes: (tenantId) => outcomes.tally(tenantId),
      followUps,
      noResponseAfterMs,
      foldCacheSize: config.NBA_FOLD_CACHE_SIZE,
      foldCacheTtlMs: config.NBA_FOLD_CACHE_TTL_MS,
      workItemSlas: workItemSlasOf(config.WORK_ITEM_SLA_MINUTES),
    });
    this.sweeper = setInterval(() => decide.folds.sweep(), Math.max(1_000, Math.floor(config.NBA_FOLD_CACHE_TTL_MS / 4)));
    this.sweeper.unref();
    const noResponse = new NbaNoResponseJob(this.stores.customers, noResponseAfterMs);
    // A reply answers a decision within the window the no-response check waits for (later, it stays no response).
    const replyOutcome = new NbaReplyOutcomeJob(this.stores.customers, {
      windowHours: noResponseAfterMs / 3_600_000,
      keywords: catalog.outcomeKeywords ?? [],
    });
    const outboundScan = new NbaOutboundScanJob(
      new PostgresTimelineSegmentQueries(this.pool),
      async (decisions) => {
        await queues.decide.addBulk(decisions.map((d) => ({ name: NbaDecideJob.jobName, data: d.data, opts: { jobId: d.jobId } })));
      },
      {
        everyMs: Math.max(1, config.NBA_OUTBOUND_EVERY_MS),
        maxPerRun: config.NBA_OUTBOUND_MAX_PER_RUN,
        quadrants: config.NBA_OUTBOUND_QUADRANTS,
        tenants: config.NBA_OUTBOUND_TENANTS,
      },
    );
    return { decide, noResponse, replyOutcome, outboundScan };
  }

  /** One worker per queue, each on its own Redis connection; failures and stalls logged. */
  private startWorkers(names: HubNames, jobs: NbaJobs): void {
    const connection = (): IORedis => {
      const c = this.redis.duplicate({ maxRetriesPerRequest: null });
      this.connections.push(c);
      return c;
    };
    const workerOptions = {
      concurrency: this.config.NBA_CONCURRENCY,
      lockDuration: this.config.NBA_LOCK_DURATION_MS,
      stalledInterval: this.config.NBA_STALLED_INTERVAL_MS,
    };
    const decideWorker = new Worker<NbaDecideJobData>(names.queues.nbaDecide, (job) => this.runDecide(jobs, job), {
      ...workerOptions,
      connection: connection(),
    });
    const followUpWorker = new Worker<FollowUpJobData>(names.queues.nbaFollowUp, (job, token) => this.runFollowUp(jobs, job, token), {
      ...workerOptions,
      connection: connection(),
    });
    this.workers = [decideWorker, followUpWorker];
    for (const w of this.workers) {
      w.on('failed', (j, err) =>
        this.logger.warn({ queue: w.name, job: j?.name, jobId: j?.id, attempts: j?.attemptsMade, err: err.message }, 'nba.job.failed'),
      );
      w.on('stalled', (jobId) => this.logger.warn({ queue: w.name, jobId }, 'nba.job.stalled'));
    }
  }

  private async runDecide(jobs: NbaJobs, job: Job<NbaDecideJobData>) {
    const outcome = await jobs.decide.run(job.data, new Date());
    hubMetrics.nbaDecisions().inc({ outcome: outcome.kind });
    this.logger.info(
      { customerId: job.data.customerId, trigger: job.data.trigger ?? 'realtime', correlationId: job.data.correlationId, outcome },
      `nba.decision.${outcome.kind}`,
    );
    return outcome;
  }

  /** The follow-up queue's jobs: the outbound scan, a reply's outcome link, and a decision's no-response check (delayed again when not yet due). */
  private async runFollowUp(jobs: NbaJobs, job: Job<FollowUpJobData>, token: string | undefined) {
    if (job.name === NbaOutboundScanJob.jobName) {
      const r = await jobs.outboundScan.run(job.timestamp + (job.delay ?? 0));
      this.logger.info(r, 'nba.outbound.scanned');
      return r;
    }
    if (job.name === NbaReplyOutcomeJob.jobName) {
      const data = (job as Job<NbaReplyOutcomeJobData>).data;
      const r = await jobs.replyOutcome.run(data, new Date());
      this.logger.info(
        { customerId: data.customerId, eventId: data.eventId, correlationId: data.correlationId, outcome: r },
        `nba.reply_outcome.${r.kind}`,
      );
      return r;
    }
    if (job.name === NbaNoResponseJob.jobName) {
      const data = (job as Job<NbaNoResponseJobData>).data;
      const r = await jobs.noResponse.run(data, new Date());
      this.logger.info(
        { customerId: data.customerId, decisionId: data.decisionId, correlationId: data.correlationId, outcome: r },
        `nba.no_response.${r.kind}`,
      );
      if (r.kind === 'not_yet_due') {
        await job.moveToDelayed(Date.parse(r.dueAt), token);
        throw new DelayedError();
      }
      return r;
    }
    throw new Error(`unknown job ${job.name}`);
  }

  /** The outbound scan's job scheduler: upserted when the scan is on, removed when it is off. */
  private async scheduleOutboundScan(followUpQueue: Queue<FollowUpJobData>): Promise<void> {
    if (this.config.NBA_OUTBOUND_EVERY_MS > 0) {
      await followUpQueue.upsertJobScheduler(
        OUTBOUND_SCHEDULER_ID,
        { every: this.config.NBA_OUTBOUND_EVERY_MS },
        { name: NbaOutboundScanJob.jobName, data: {} },
      );
    } else {
      await followUpQueue.removeJobScheduler(OUTBOUND_SCHEDULER_ID);
    }
  }

  /**
   * Decide jobs a Redis loss took with it, enqueued again from the store (customers whose latest
   * trigger has no decision). Idempotent: the consumer may enqueue the same customers meanwhile
   * (same deduplication ids), and a trigger already answered is not answered twice.
   */
  /** How long a contacting decision waits for an answer before its no-response check records one. */
  private noResponseAfterMs(): number {
    return this.config.NBA_NO_RESPONSE_AFTER_MS ?? currentCatalog().learning.noResponseAfterHours * 3_600_000;
  }

  /** What a Redis without its jobs lost, rebuilt from the store: decide jobs, survey follow-ups, no-response checks. */
  private async reconcile(decideQueue: Queue<NbaDecideJobData>, followUps: BullNbaFollowUps): Promise<void> {
    if (this.config.NBA_RECONCILE_AT_START !== 'on') return;
    try {
      const r = await reenqueuePendingDecisions(this.stores.store, decideQueue, { surveyDelayMs: this.config.NBA_SURVEY_DELAY_MS });
      const checks = await rescheduleNoResponseChecks(this.stores.store, this.stores.customers, followUps, {
        noResponseAfterMs: this.noResponseAfterMs(),
        now: new Date(),
      });
      this.logger.info({ ...r, noResponseChecks: checks.checks }, 'nba.reconcile.done');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'nba.reconcile.failed');
    }
  }

  /** Customer events from Kafka, routed to the queues, the tally and the fold cache. */
  private startCustomerEventConsumer(
    names: HubNames,
    deps: Omit<Parameters<typeof routeCustomerEvents>[0], 'debounceMs' | 'surveyDelayMs'>,
  ): Promise<RunningConsumer> {
    const config = this.config;
    return startConsumer(this.kafka, {
      groupId: names.groups.nbaWorker,
      topics: [names.topics.customerEvents],
      deadLetter: { publisher: this.publisher, topic: names.topics.deadLetter },
      logger: this.logger,
      // Runs of the partitions' events of a fetch, together: each customer's in order, customers
      // concurrently, one pipelined addBulk for all (routeCustomerEvents).
      partitionsConsumedConcurrently: 6,
      gatherPartitions: true,
      fetchWaitMs: config.KAFKA_FETCH_WAIT_MS,
      handleBatch: (messages) => {
        const { NBA_DEBOUNCE_MS: debounceMs, NBA_SURVEY_DELAY_MS: surveyDelayMs } = config;
        return routeCustomerEvents({ ...deps, debounceMs, surveyDelayMs }, messages);
      },
    });
  }

  /** The decisions relay, run by one instance at a time (PostgreSQL advisory lock). */
  private startDecisionRelay(
    names: HubNames,
    checkpoints: PostgresCheckpointStore,
    relayFrom: bigint | undefined,
  ): { stop(): Promise<void> } {
    const relayId = decisionRelayId(names.topics.nbaDecisions);
    return whileLeader(
      this.config.DATABASE_URL,
      `hub.${relayId}`,
      this.logger,
      async () => {
        const relay = await startNbaDecisionRelay({
          store: this.stores.store,
          checkpoints,
          publisher: this.publisher,
          topic: names.topics.nbaDecisions,
          topicV2: names.topics.nbaDecisionsV2,
          omitAddressTenants: new Set(this.config.NBA_DECISIONS_OMIT_ADDRESS_TENANTS),
          logger: this.logger,
          ...(relayFrom !== undefined ? { fromWhenNoCheckpoint: relayFrom } : {}),
        });
        this.logger.info({ relay: relayId }, 'nba.relay.started');
        return () => relay.stop();
      },
      { logPrefix: 'nba' },
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stopSampling?.();
    clearInterval(this.sweeper);
    await this.consumer?.stop();
    await this.leadership?.stop();
    for (const w of this.workers) await w.close();
    for (const q of this.queues) await q.close();
    for (const c of this.connections) c.disconnect();
  }
}

/** The BullMQ job states whose counts `hub_queue_jobs` has. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** The worker's settings, validated (the app fails fast on a bad environment). */
export function nbaWorkerConfig(env: NodeJS.ProcessEnv): NbaWorkerEnv {
  return loadConfig('nba-worker', NbaWorkerEnv, env);
}

export function nbaWorkerModule(config: NbaWorkerEnv) {
  initMetrics('nba-worker');
  // Jobs hold a connection only while a query runs; plus the relay, the outcome tally and the follow-ups.
  const poolMax = config.NBA_PG_POOL_MAX ?? Math.min(config.NBA_CONCURRENCY, 16) + 4;
  @Module({
    imports: [
      HubPlatformModule.forApp('nba-worker', config, {
        // An idle client's connection dropped (server restart, failover): logged, the pool reconnects on next use.
        pool: { max: poolMax, idleErrorEvent: 'nba.pg.idle_client_error' },
        kafka: { sendTimeoutMs: 30_000 },
        // The outcome tally and the work-item queues it writes (the timeline it reads through @hub/timeline/segments is the projector's).
        schema: [NBA_OUTCOMES_SCHEMA, WORK_ITEMS_SCHEMA],
      }),
      TerminusModule.forRoot({ logger: false }),
    ],
    // Ready when Kafka (customer events in, decisions out), PostgreSQL (the store) and Redis (the queues) answer.
    // `GET /metrics` beside the probes, on the one probe server (HEALTH_PORT).
    controllers: [HealthController, MetricsController],
    providers: [
      { provide: CONFIG, useValue: config },
      {
        provide: HEALTH_PROBES,
        inject: [KAFKA, PG_POOL, REDIS],
        useFactory: (kafka: Kafka, pool: Pool, redis: IORedis): DependencyProbe[] => [
          kafkaProbe(kafka),
          postgresProbe(pool),
          redisProbe(redis),
        ],
      },
      HealthProbesCloser,
      ...redisProviders(config.REDIS_URL),
      NbaWorker,
    ],
  })
  class NbaWorkerModule {}
  return NbaWorkerModule;
}
