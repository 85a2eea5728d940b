import 'reflect-metadata';
import { ConfigError } from '@hub/config';
import { createLogger, onShutdown, startTracing, startWithProbeServer, type StartedWorkerApp } from '@hub/platform';
import { outgoingWebhooksConfig, outgoingWebhooksModule } from './outgoing-webhooks.module';

/**
 * Outgoing webhooks: decisions and customer events from Kafka → signed POSTs to the tenants'
 * subscriptions, retried on the schedule; `/health/live` and `/health/ready` on
 * `HEALTH_HOST:HEALTH_PORT` (3103; `off`: none).
 */
export async function startOutgoingWebhooks(env: NodeJS.ProcessEnv = process.env): Promise<StartedWorkerApp> {
  const config = outgoingWebhooksConfig(env);
  const started = await startWithProbeServer(outgoingWebhooksModule(config), config);
  createLogger('outgoing-webhooks', config.LOG_LEVEL).info({ url: started.healthUrl ?? null }, 'webhooks.health.listening');
  return started;
}

if (require.main === module) {
  const tracing = startTracing('outgoing-webhooks'); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
  startOutgoingWebhooks()
    .then(({ app }) => onShutdown(() => app.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
