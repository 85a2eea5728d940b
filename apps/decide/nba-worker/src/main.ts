import 'reflect-metadata';
import { ConfigError } from '@hub/config';
import { createLogger, onShutdown, startTracing, startWithProbeServer, type StartedWorkerApp } from '@hub/platform';
import { nbaWorkerConfig, nbaWorkerModule } from './nba-worker.module';

/**
 * The next-best-action worker: customer events from Kafka → debounced BullMQ jobs → decisions;
 * `/health/live` and `/health/ready` on `HEALTH_HOST:HEALTH_PORT` (3102; `off`: none).
 */
export async function startNbaWorker(env: NodeJS.ProcessEnv = process.env): Promise<StartedWorkerApp> {
  const config = nbaWorkerConfig(env);
  const started = await startWithProbeServer(nbaWorkerModule(config), config);
  createLogger('nba-worker', config.LOG_LEVEL).info({ url: started.healthUrl ?? null }, 'nba.health.listening');
  return started;
}

if (require.main === module) {
  const tracing = startTracing('nba-worker'); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
  startNbaWorker()
    .then(({ app }) => onShutdown(() => app.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
