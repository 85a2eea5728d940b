import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigError } from '@hub/config';
import { onShutdown, startTracing } from '@hub/platform';
import { nbaWorkerModule } from './nba-worker.module';

/** The next-best-action worker: customer events from Kafka → debounced BullMQ jobs → decisions. */
export async function startNbaWorker(env: NodeJS.ProcessEnv = process.env): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(nbaWorkerModule(env), { logger: ['error', 'warn'] });
  await app.init();
  return app;
}

if (require.main === module) {
  const tracing = startTracing('nba-worker'); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
  startNbaWorker()
    .then((app) => onShutdown(() => app.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
