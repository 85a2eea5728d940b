import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { CUSTOMER_STORES, HubPlatformModule, KAFKA, PG_POOL } from '@hub/app-platform';
import { hubNames } from '@hub/contracts';
import { loadConfig } from '@hub/config';
import type { CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore, runCheckpointedSubscriptions, type ConsumerProgress } from '@hub/event-store';
import { ensureTopics, EVENT_PUBLISHER, hubTopicSpecs, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { hubMetrics, initMetrics, MetricsController, onScrape } from '@hub/metrics';
import { TerminusModule } from '@nestjs/terminus';
import {
  HEALTH_PROBES,
  HealthController,
  HealthProbesCloser,
  kafkaProbe,
  LOGGER,
  postgresProbe,
  type DependencyProbe,
  type HubLogger,
} from '@hub/platform';
import {
  PostgresTimelineStore,
  TIMELINE_PROJECTION_ID,
  TIMELINE_SCHEMA,
  TIMELINE_STORE,
  TimelineProjector,
  whileLeader,
} from '@hub/timeline';
import { customerEventRelay, RELAY_SUBSCRIPTION_ID } from './customer-event.relay';
import { handleInteractionBatch } from './interaction.handler';
import { ProjectorEnv } from './projector.env';

export const PROJECTOR_CONFIG = Symbol('PROJECTOR_CONFIG');

/** The projection's processor id (in @hub/timeline, shared with replays): its checkpoint is kept under it. */
export { TIMELINE_PROJECTION_ID };

/**
 * Two jobs in one app:
 * - the recorder (every instance, sharing Kafka partitions in one consumer group): canonical
 *   interactions from Kafka into the customer streams;
 * - the projection and the relay (one instance at a time, under a PostgreSQL advisory lock): the
 *   event store followed into the timeline read model and onto `hub.customer-events.v1`.
 */
@Injectable()
class TimelineProjectorApp implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;
  private leadership: { stop(): Promise<void> } | undefined;
  /** The projection's and the relay's progress while this instance leads them (for the lag read on scrape). */
  private following: ReadonlyMap<string, ConsumerProgress> | undefined;
  private stopSampling: (() => void) | undefined;

  constructor(
    @Inject(PROJECTOR_CONFIG) private readonly config: ProjectorEnv,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(TIMELINE_STORE) private readonly timeline: PostgresTimelineStore,
    @Inject(EVENT_PUBLISHER) private readonly publisher: KafkaEventPublisher,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.timeline.ensureSchema();
    const names = hubNames(this.config.HUB_NAMESPACE);
    await ensureTopics(this.kafka, hubTopicSpecs(names, { replicationFactor: this.config.KAFKA_REPLICATION_FACTOR }));
    await this.publisher.start();
    const checkpoints = await PostgresCheckpointStore.create({ pool: this.pool });
    const deps = { customers: this.stores.customers, identities: this.stores.identities, logger: this.logger, clock: () => new Date() };
    this.consumer = await startConsumer(this.kafka, {
      groupId: names.groups.timelineProjector,
      topics: [names.topics.interactions],
      partitionsConsumedConcurrently: this.config.PROJECTOR_CONCURRENCY,
      deadLetter: { publisher: this.publisher, topic: names.topics.deadLetter },
      logger: this.logger,
      handleBatch: (messages) => handleInteractionBatch(deps, messages),
      maxBatchSize: this.config.PROJECTOR_BATCH_SIZE,
      // One recordInteractions for the partitions' runs of a fetch: its round trips are per call.
      gatherPartitions: true,
      fetchWaitMs: this.config.KAFKA_FETCH_WAIT_MS,
    });
    const from = this.config.PROJECTOR_START === 'end' ? await this.stores.store.headPosition() : undefined;
    this.leadership = whileLeader(this.config.DATABASE_URL, `hub.${TIMELINE_PROJECTION_ID}`, this.logger, async (leadership) => {
      const projector = new TimelineProjector({
        leadership,
        store: this.stores.store,
        timeline: this.timeline,
        checkpoints,
        subscriptionId: TIMELINE_PROJECTION_ID,
        logger: this.logger,
        ...(from !== undefined ? { fromWhenNoCheckpoint: from } : {}),
      });
      const relay = customerEventRelay({
        checkpoints,
        publisher: this.publisher,
        topic: names.topics.customerEvents,
        logger: this.logger,
        leadership,
        ...(from !== undefined ? { fromWhenNoCheckpoint: from } : {}),
      });
      // One store subscription for both (one read and one wake-up per page, not one each), each
      // with its own checkpoint: a relay stalled by Kafka holds the timeline back by a few pages at
      // most, then catches up on a read of its own (docs/architecture.md, "One subscription per process").
      const subscription = await runCheckpointedSubscriptions(this.stores.store, checkpoints, [projector.consumer(), relay]);
      this.following = subscription.consumers;
      this.logger.info({ projection: TIMELINE_PROJECTION_ID, relay: RELAY_SUBSCRIPTION_ID }, 'projector.projection.started');
      return async () => {
        this.following = undefined;
        await subscription.stop();
      };
    });
    this.stopSampling = onScrape(async () => {
      const following = this.following;
      if (!following) return;
      const head = await this.stores.store.headPosition();
      for (const [id, progress] of following) {
        hubMetrics.projectionLagEvents().set({ projection: id }, Number(head > progress.position ? head - progress.position : 0n));
      }
    });
    this.logger.info({ topic: names.topics.interactions, group: names.groups.timelineProjector }, 'projector.started');
  }

  /** Stop consuming first (Nest runs every onModuleDestroy before any onApplicationShutdown). */
  async onModuleDestroy(): Promise<void> {
    this.stopSampling?.();
    await this.consumer?.stop();
    await this.leadership?.stop();
  }
}

/** The projector's settings, validated (the app fails fast on a bad environment). */
export function projectorConfig(env: NodeJS.ProcessEnv): ProjectorEnv {
  return loadConfig('timeline-projector', ProjectorEnv, env);
}

/** The projector's wiring: ports bound to their adapters, built from validated config. */
export function projectorModule(config: ProjectorEnv) {
  initMetrics('timeline-projector');
  @Module({
    // Pool, stores, Kafka, publisher and logger; closed after the consumer stopped (HubPlatformModule).
    // Lock waits of 5 s, not 30: a run waiting on one customer's stream lock (held by another writer)
    // keeps kafkajs from fetching for any partition of this instance until it ends; failed, it is
    // retried on its own paused partition while the others go on (issue #15, F3).
    imports: [
      HubPlatformModule.forApp('timeline-projector', config, {
        pool: { max: 10, idleErrorEvent: 'projector.pg.idle_client_error', lockTimeoutMs: 5_000 },
        kafka: { sendTimeoutMs: 30_000 },
        schema: [TIMELINE_SCHEMA],
      }),
      TerminusModule.forRoot({ logger: false }),
    ],
    // Ready when Kafka (interactions in, customer events out) and PostgreSQL (the store, the read model) answer.
    // `GET /metrics` beside the probes, on the one probe server (HEALTH_PORT).
    controllers: [HealthController, MetricsController],
    providers: [
      { provide: PROJECTOR_CONFIG, useValue: config },
      {
        provide: HEALTH_PROBES,
        inject: [KAFKA, PG_POOL],
        useFactory: (kafka: Kafka, pool: Pool): DependencyProbe[] => [kafkaProbe(kafka), postgresProbe(pool)],
      },
      HealthProbesCloser,
      { provide: TIMELINE_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTimelineStore(pool) },
      TimelineProjectorApp,
    ],
  })
  class ProjectorModule {}
  return ProjectorModule;
}
