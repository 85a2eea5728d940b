import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { HubPlatformModule, KAFKA, PG_POOL, REDIS, redisProviders } from '@hub/app-platform';
import { loadConfig } from '@hub/config';
import { hubNames, type HubNames } from '@hub/contracts';
import { ensureTopics, EVENT_PUBLISHER, hubTopicSpecs, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { initMetrics, MetricsController } from '@hub/metrics';
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
import { PostgresWebhookStore, WEBHOOKS_SCHEMA } from '@hub/webhook-deliveries';
import { maxAttempts, retryDelayMs } from '@hub/webhooks';
import { OutgoingWebhooksEnv } from './outgoing-webhooks.env';
import { dispatchWebhooks, type QueuedDelivery } from './webhook-dispatch.handler';
import { WebhookDeliverJob, WebhookDeliveryFailedError, type WebhookDeliverJobData } from './webhook-deliver.job';
import { FetchWebhookSender } from './webhook-sender.port';

const CONFIG = Symbol('OUTGOING_WEBHOOKS_CONFIG');

/** How long a finished job (and so its id, the redelivery guard) is kept: the decisions topic's retention. */
const KEEP_JOBS_S = 7 * 24 * 3600;
/** The backoff type of the delivery jobs: the worker's `backoffStrategy` (the webhooks' schedule). */
const BACKOFF = 'webhook-schedule';

/**
 * Outgoing webhooks (docs/architecture.md, "Outgoing webhooks"): decisions (`hub.nba-decisions.v2`)
 * and customer events (`hub.customer-events.v1`) → one BullMQ job per matching subscription (job id
 * = subscription and message) → `WebhookDeliverJob`, retried on the schedule, logged per attempt.
 * The Kafka offsets are committed once the jobs are in Redis. Every instance alike.
 */
@Injectable()
class OutgoingWebhooks implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;
  private queue: Queue<WebhookDeliverJobData> | undefined;
  private worker: Worker<WebhookDeliverJobData> | undefined;
  private connection: IORedis | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: OutgoingWebhooksEnv,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: IORedis,
    @Inject(EVENT_PUBLISHER) private readonly publisher: KafkaEventPublisher,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const names = hubNames(config.HUB_NAMESPACE);
    const schedule = config.WEBHOOK_RETRY_SCHEDULE_MS;
    await ensureTopics(this.kafka, hubTopicSpecs(names, { replicationFactor: config.KAFKA_REPLICATION_FACTOR }));
    await this.publisher.start();
    const store = new PostgresWebhookStore(this.pool, {
      failingForMs: config.WEBHOOK_DISABLE_AFTER_MS,
      exhaustedMessages: config.WEBHOOK_DISABLE_AFTER_MESSAGES,
    });
    this.queue = new Queue<WebhookDeliverJobData>(names.queues.webhookDeliveries, {
      connection: this.redis,
      defaultJobOptions: {
        attempts: maxAttempts(schedule),
        backoff: { type: BACKOFF },
        removeOnComplete: { age: KEEP_JOBS_S },
        removeOnFail: { age: KEEP_JOBS_S },
      },
    });
    this.startWorker(
      names,
      new WebhookDeliverJob(store, new FetchWebhookSender(config.WEBHOOK_TIMEOUT_MS), {
        schedule,
        allowLoopbackHttp: config.WEBHOOK_ALLOW_LOOPBACK_HTTP === 'on',
      }),
    );
    const queue = this.queue;
    this.consumer = await startConsumer(this.kafka, {
      groupId: names.groups.outgoingWebhooks,
      topics: [names.topics.nbaDecisionsV2, names.topics.customerEvents],
      fromBeginning: config.WEBHOOKS_START === 'beginning',
      deadLetter: { publisher: this.publisher, topic: names.topics.deadLetter },
      logger: this.logger,
      partitionsConsumedConcurrently: 6,
      gatherPartitions: true,
      fetchWaitMs: config.KAFKA_FETCH_WAIT_MS,
      handleBatch: (messages) =>
        dispatchWebhooks(
          {
            topics: { decisions: names.topics.nbaDecisionsV2, customerEvents: names.topics.customerEvents },
            subscriptions: store,
            enqueue: async (jobs: readonly QueuedDelivery[]) => {
              await queue.addBulk([...jobs]);
            },
          },
          messages,
        ),
    });
    this.logger.info(
      { topics: [names.topics.nbaDecisionsV2, names.topics.customerEvents], queue: names.queues.webhookDeliveries, schedule },
      'webhooks.dispatcher.started',
    );
  }

  private startWorker(names: HubNames, deliver: WebhookDeliverJob): void {
    const schedule = this.config.WEBHOOK_RETRY_SCHEDULE_MS;
    this.connection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.worker = new Worker<WebhookDeliverJobData>(names.queues.webhookDeliveries, (job) => this.run(deliver, job), {
      connection: this.connection,
      concurrency: this.config.WEBHOOK_CONCURRENCY,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(schedule, attemptsMade) ?? 0 },
    });
    this.worker.on('stalled', (jobId) => this.logger.warn({ jobId }, 'webhooks.job.stalled'));
  }

  private async run(deliver: WebhookDeliverJob, job: Job<WebhookDeliverJobData>) {
    const { tenantId, subscriptionId, messageId, eventType } = job.data;
    try {
      const outcome = await deliver.run(job.data, job.attemptsMade + 1, () => new Date());
      this.logger.info({ tenantId, subscriptionId, messageId, eventType, ...outcome }, `webhooks.delivery.${outcome.kind}`);
      return outcome;
    } catch (err) {
      if (!(err instanceof WebhookDeliveryFailedError)) throw err;
      const event = err.disabled
        ? 'webhooks.subscription.disabled'
        : err.exhausted
          ? 'webhooks.delivery.exhausted'
          : 'webhooks.delivery.failed';
      this.logger.warn({ tenantId, subscriptionId, messageId, eventType, attempt: job.attemptsMade + 1, err: err.message }, event);
      // The last attempt: no retry left (BullMQ would stop here too; said explicitly).
      if (err.exhausted) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
    await this.worker?.close();
    await this.queue?.close();
    this.connection?.disconnect();
  }
}

/** The app's settings, validated (it fails fast on a bad environment). */
export function outgoingWebhooksConfig(env: NodeJS.ProcessEnv): OutgoingWebhooksEnv {
  return loadConfig('outgoing-webhooks', OutgoingWebhooksEnv, env);
}

export function outgoingWebhooksModule(config: OutgoingWebhooksEnv) {
  initMetrics('outgoing-webhooks');
  @Module({
    imports: [
      HubPlatformModule.forApp('outgoing-webhooks', config, {
        pool: { max: Math.min(config.WEBHOOK_CONCURRENCY, 16) + 4, idleErrorEvent: 'webhooks.pg.idle_client_error' },
        kafka: { sendTimeoutMs: 30_000 },
        // Subscriptions and the delivery log.
        schema: [WEBHOOKS_SCHEMA],
      }),
      TerminusModule.forRoot({ logger: false }),
    ],
    // Ready when Kafka (what is delivered), PostgreSQL (subscriptions, log) and Redis (the queue) answer.
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
      OutgoingWebhooks,
    ],
  })
  class OutgoingWebhooksModule {}
  return OutgoingWebhooksModule;
}
