import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import IORedis from 'ioredis';

/** The app's Redis connection (BullMQ's queues and workers share it), from `redisProviders`. */
export const REDIS = Symbol('REDIS');

/** Holds the connection; disconnects it with the platform's resources at shutdown (after every onModuleDestroy). */
class RedisConnection implements OnApplicationShutdown {
  constructor(readonly redis: IORedis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

/**
 * `REDIS`, one ioredis connection to `url` with `maxRetriesPerRequest: null` (what BullMQ's blocking
 * commands need), closed at shutdown — for the apps whose queues live in Redis.
 */
export function redisProviders(url: string): Provider[] {
  return [
    { provide: RedisConnection, useFactory: () => new RedisConnection(new IORedis(url, { maxRetriesPerRequest: null })) },
    { provide: REDIS, inject: [RedisConnection], useFactory: (c: RedisConnection) => c.redis },
  ];
}
