import 'reflect-metadata';
import { ConfigError } from '@hub/config';
import { createLogger, onShutdown, startTracing, startWithProbeServer, type StartedWorkerApp } from '@hub/platform';
import { outboundConfig, outboundModule } from './outbound.module';

/**
 * The outbound sender: decisions from `hub.nba-decisions.v2` → the provider of the chosen channel,
 * at most once per decision and channel (the send ledger); `/health/live`, `/health/ready` and
 * `/metrics` on `HEALTH_HOST:HEALTH_PORT` (3106; `off`: none).
 */
export async function startOutbound(env: NodeJS.ProcessEnv = process.env): Promise<StartedWorkerApp> {
  const config = outboundConfig(env);
  const started = await startWithProbeServer(outboundModule(config), config);
  createLogger('outbound', config.LOG_LEVEL).info({ url: started.healthUrl ?? null }, 'outbound.health.listening');
  return started;
}

if (require.main === module) {
  const tracing = startTracing('outbound');
  startOutbound()
    .then(({ app }) => onShutdown(() => app.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
