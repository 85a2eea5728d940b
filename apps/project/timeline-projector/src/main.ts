import 'reflect-metadata';
import { ConfigError } from '@hub/config';
import { createLogger, onShutdown, startTracing, startWithProbeServer, type StartedWorkerApp } from '@hub/platform';
import { projectorConfig, projectorModule } from './projector.module';

/**
 * The timeline projector: Kafka interactions in → customer streams, timeline, customer events out;
 * `/health/live` and `/health/ready` on `HEALTH_HOST:HEALTH_PORT` (3101; `off`: none).
 */
export async function startProjector(env: NodeJS.ProcessEnv = process.env): Promise<StartedWorkerApp> {
  const config = projectorConfig(env);
  const started = await startWithProbeServer(projectorModule(config), config);
  createLogger('timeline-projector', config.LOG_LEVEL).info({ url: started.healthUrl ?? null }, 'projector.health.listening');
  return started;
}

if (require.main === module) {
  const tracing = startTracing('timeline-projector'); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
  startProjector()
    .then(({ app }) => onShutdown(() => app.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
