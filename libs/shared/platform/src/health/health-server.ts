import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

export interface ProbeServerConfig {
  HEALTH_HOST: string;
  HEALTH_PORT: number | 'off';
}

export interface StartedWorkerApp {
  app: INestApplicationContext;
  /** Where `/health/live` and `/health/ready` answer; undefined with `HEALTH_PORT=off`. */
  healthUrl: string | undefined;
}

/**
 * An app that serves no HTTP of its own (a consumer, a worker) with its probe server: the module
 * (which declares `HealthController`) on a small Fastify server at `HEALTH_HOST:HEALTH_PORT`, or as
 * a bare application context when `HEALTH_PORT=off`. The server listens once the app has booted.
 */
export async function startWithProbeServer(module: Type<unknown>, config: ProbeServerConfig): Promise<StartedWorkerApp> {
  const logger: ('error' | 'warn')[] = ['error', 'warn'];
  if (config.HEALTH_PORT === 'off') {
    const app = await NestFactory.createApplicationContext(module, { logger });
    await app.init();
    return { app, healthUrl: undefined };
  }
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger });
  await app.listen(config.HEALTH_PORT, config.HEALTH_HOST);
  return { app, healthUrl: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
