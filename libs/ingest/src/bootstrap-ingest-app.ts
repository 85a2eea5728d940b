import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { hubNames, type ChannelId } from '@hub/contracts';
import { ConfigError, loadConfig } from '@hub/config';
import { channelDefinition } from '@hub/channel-registry';
import { createKafka, ensureTopics, hubTopicSpecs, KafkaEventPublisher } from '@hub/messaging';
import { createLogger, onShutdown } from '@hub/platform';
import { IngestEnv } from './ingest.env';
import { IngestService } from './ingest.service';
import { INGEST_PUBLIC_BASE_URL, INGEST_PUBLISHER, INGEST_SERVICE, webhookControllerFor } from './webhook.controller';

export interface RunningIngestApp {
  app: INestApplication;
  url: string;
  service: IngestService;
  close(): Promise<void>;
}

/**
 * Every ingestion app is this function with its channel id: same limits, same status codes, same
 * logs. Reads config from `env`, fails fast on a bad one, starts even when Kafka is down (and answers
 * 503 until it is back).
 */
export async function startIngestApp(channelId: ChannelId, env: NodeJS.ProcessEnv = process.env): Promise<RunningIngestApp> {
  const definition = channelDefinition(channelId);
  const appName = `ingest-${channelId}`;
  // Validate the shared and the channel's settings together, so one run lists every problem.
  const [config, channelConfig] = loadAll(appName, () => loadConfig(appName, IngestEnv, env), () => loadConfig(appName, definition.configSchema, env));
  const logger = createLogger(appName, config.LOG_LEVEL);
  const adapter = definition.create(channelConfig);

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: appName, requestTimeoutMs: Math.min(config.INGEST_SEND_TIMEOUT_MS, 5_000) }, logger);
  const publisher = new KafkaEventPublisher(kafka, { maxInFlight: config.INGEST_MAX_IN_FLIGHT, sendTimeoutMs: config.INGEST_SEND_TIMEOUT_MS });
  const names = hubNames(config.HUB_NAMESPACE);
  await ensureTopics(kafka, hubTopicSpecs(names)).catch((err: unknown) => logger.warn({ err: String(err) }, 'ingest.topics.ensure_failed'));
  if (!(await publisher.start())) logger.warn({}, 'ingest.kafka.unavailable_at_boot');
  const service = new IngestService(adapter, publisher, config.TENANT_ID, logger, () => new Date(), names);

  @Module({
    controllers: [webhookControllerFor(adapter.manifest)],
    providers: [
      { provide: INGEST_SERVICE, useValue: service },
      { provide: INGEST_PUBLISHER, useValue: publisher },
      { provide: INGEST_PUBLIC_BASE_URL, useValue: config.PUBLIC_BASE_URL },
    ],
  })
  class IngestAppModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    IngestAppModule as unknown as DynamicModule,
    new FastifyAdapter({ bodyLimit: adapter.manifest.maxBodyBytes, trustProxy: true }),
    { rawBody: true, logger: ['error', 'warn'] },
  );
  await app.listen(config.PORT, config.HOST);
  const url = await app.getUrl();
  logger.info({ url, channel: channelId, route: adapter.manifest.route.path }, 'ingest.app.started');
  const close = async () => {
    await app.close();
    await publisher.close();
  };
  return { app, url: url.replace('[::1]', '127.0.0.1'), service, close };
}

function loadAll<A, B>(app: string, a: () => A, b: () => B): [A, B] {
  const problems: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const ra = attempt(a);
  const rb = attempt(b);
  if (ra === undefined || rb === undefined) throw new ConfigError(app, problems);
  return [ra, rb];
}

/** Process entry point for an ingestion app. */
export function runIngestApp(channelId: ChannelId): void {
  startIngestApp(channelId)
    .then((running) => onShutdown(running.close))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
