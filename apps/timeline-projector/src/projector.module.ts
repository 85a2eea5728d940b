import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { ConsumerGroups, Topics } from '@hub/contracts';
import { loadConfig } from '@hub/config';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { EVENT_STORE, type EventStore } from '@hub/event-store';
import { createKafka, ensureTopics, EVENT_PUBLISHER, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { createLogger, LOGGER, type HubLogger } from '@hub/platform';
import { PostgresTimelineStore, TIMELINE_STORE } from '@hub/timeline';
import { handleInteractionMessage } from './interaction.handler';
import { ProjectorEnv } from './projector.env';

export const PROJECTOR_CONFIG = Symbol('PROJECTOR_CONFIG');
const PG_POOL = Symbol('PG_POOL');
const KAFKA = Symbol('KAFKA');
const CUSTOMER_STORES = Symbol('CUSTOMER_STORES');

@Injectable()
class TimelineProjector implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;

  constructor(
    @Inject(PROJECTOR_CONFIG) private readonly config: ProjectorEnv,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(TIMELINE_STORE) private readonly timeline: PostgresTimelineStore,
    @Inject(EVENT_PUBLISHER) private readonly publisher: KafkaEventPublisher,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.timeline.ensureSchema();
    await ensureTopics(this.kafka);
    await this.publisher.start();
    const deps = {
      customers: this.stores.customers,
      identities: this.stores.identities,
      timeline: this.timeline,
      publisher: this.publisher,
      logger: this.logger,
      clock: () => new Date(),
    };
    this.consumer = await startConsumer(this.kafka, {
      groupId: ConsumerGroups.timelineProjector,
      topics: [Topics.interactions],
      partitionsConsumedConcurrently: this.config.PROJECTOR_CONCURRENCY,
      deadLetter: { publisher: this.publisher, topic: Topics.deadLetter },
      logger: this.logger,
      handle: (message) => handleInteractionMessage(deps, message),
    });
    this.logger.info({ topic: Topics.interactions, group: ConsumerGroups.timelineProjector }, 'projector.started');
  }

  /** Stop consuming first (Nest runs every onModuleDestroy before any onApplicationShutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }
}

/** The projector's wiring: ports bound to their adapters, built from validated config. */
export function projectorModule(env: NodeJS.ProcessEnv) {
  const config = loadConfig('timeline-projector', ProjectorEnv, env);
  @Module({
    providers: [
      { provide: PROJECTOR_CONFIG, useValue: config },
      { provide: LOGGER, useFactory: () => createLogger('timeline-projector', config.LOG_LEVEL) },
      { provide: PG_POOL, useFactory: () => new Pool({ connectionString: config.DATABASE_URL, max: 10 }) },
      {
        provide: CUSTOMER_STORES,
        inject: [PG_POOL],
        useFactory: (pool: Pool) => createCustomerStores(pool, { ...(config.HUB_KEK ? { kek: config.HUB_KEK } : {}), snapshotEvery: config.SNAPSHOT_EVERY }),
      },
      { provide: EVENT_STORE, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.store },
      { provide: TIMELINE_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTimelineStore(pool) },
      { provide: KAFKA, inject: [LOGGER], useFactory: (logger: HubLogger) => createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'timeline-projector' }, logger) },
      { provide: EVENT_PUBLISHER, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaEventPublisher(kafka, { sendTimeoutMs: 30_000 }) },
      TimelineProjector,
      {
        // Closed after the consumer stopped: onApplicationShutdown runs after every onModuleDestroy.
        provide: 'PROJECTOR_RESOURCES',
        inject: [PG_POOL, EVENT_STORE, EVENT_PUBLISHER],
        useFactory: (pool: Pool, store: EventStore, publisher: KafkaEventPublisher) => ({
          onApplicationShutdown: async () => {
            await publisher.close();
            await store.close();
            await pool.end();
          },
        }),
      },
    ],
  })
  class ProjectorModule {}
  return ProjectorModule;
}
