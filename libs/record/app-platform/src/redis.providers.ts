import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type IORedis from 'ioredis';
import type * as Ioredis from 'ioredis';

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
    {
      provide: RedisConnection,
      // Required here, not imported: this library is in every app that records, and only the apps that
      // use these providers should load ioredis (~5 MiB of boot allocations, +10 MiB idle RSS in query-api).
      useFactory: () => {
        const { default: Redis } = require('ioredis') as typeof Ioredis;
        return new RedisConnection(new Redis(url, { maxRetriesPerRequest: null }));
      },
    },
    { provide: REDIS, inject: [RedisConnection], useFactory: (c: RedisConnection) => c.redis },
  ];
}
