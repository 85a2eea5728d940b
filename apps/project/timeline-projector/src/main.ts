import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigError } from '@hub/config';
import { onShutdown, startTracing } from '@hub/platform';
import { projectorModule } from './projector.module';

/** The timeline projector: Kafka interactions in → customer streams, timeline, customer events out. */
export async function startProjector(env: NodeJS.ProcessEnv = process.env): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(projectorModule(env), { logger: ['error', 'warn'] });
  await app.init();
  return app;
}

if (require.main === module) {
  const tracing = startTracing('timeline-projector'); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
  startProjector()
    .then((app) => onShutdown(() => app.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
