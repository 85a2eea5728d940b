import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type * as Bullmq from 'bullmq';
import type { Queue } from 'bullmq';
import type * as Ioredis from 'ioredis';
import type IORedis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { KafkaClientConnection } from '@hub/config';
import { hubNames, type HubNames } from '@hub/contracts';
import { createKafka } from '@hub/messaging';
import { LOGGER, type HubLogger } from '@hub/platform';

export const OPERATOR_INFRA_SETTINGS = Symbol('OPERATOR_INFRA_SETTINGS');

export interface OperatorInfraSettings {
  kafka: KafkaClientConnection;
  redisUrl: string;
  namespace?: string;
}

/**
 * Kafka and Redis for the operator routes only (dead letters, lag, queues), opened on their first
 * call and closed at shutdown: the query API itself needs neither, so it starts and serves every
 * other route without a broker or a Redis. bullmq and ioredis are loaded on that first call too
 * (with luxon, cron-parser and msgpackr: some 1.5 MB of source and 8–10 MiB of resident memory that
 * a query API nobody operates never needs; docs/benchmarks.md, "Session 12").
 */
@Injectable()
export class OperatorInfra implements OnModuleDestroy {
  readonly names: HubNames;
  private kafkaClient?: Kafka;
  private redis?: IORedis;
  private queues?: Queue[];

  constructor(
    @Inject(OPERATOR_INFRA_SETTINGS) private readonly settings: OperatorInfraSettings,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {
    this.names = hubNames(settings.namespace);
  }

  /** A client (no connection until a call opens one: each route connects what it uses and disconnects it). */
  get kafka(): Kafka {
    this.kafkaClient ??= createKafka(this.settings.kafka, this.logger);
    return this.kafkaClient;
  }

  /** The nba-worker's BullMQ queues and the outgoing webhooks' (read only: counts), on a connection of their own. */
  bullQueues(): Queue[] {
    if (!this.queues) {
      // Fails a command at once while Redis is unreachable instead of queueing it: the route answers 503.
      const { default: Redis } = require('ioredis') as typeof Ioredis;
      const { Queue: BullQueue } = require('bullmq') as typeof Bullmq;
      const redis = new Redis(this.settings.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
      redis.on('error', (err) => this.logger.warn({ err: String(err) }, 'query.operator.redis_error'));
      this.redis = redis;
      const q = this.names.queues;
      this.queues = [q.nbaDecide, q.nbaFollowUp, q.webhookDeliveries].map((name) => new BullQueue(name, { connection: redis }));
    }
    return this.queues;
  }

  /** Whether the Redis connection is up (a command on a connection still opening would be refused). */
  async redisReady(timeoutMs: number): Promise<boolean> {
    this.bullQueues();
    const redis = this.redis!;
    if (redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      redis.once('ready', onReady);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all((this.queues ?? []).map((q) => q.close().catch(() => undefined)));
    this.redis?.disconnect();
  }
}
