import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { hubNames, type IngestChannelId } from '@hub/contracts';
import { ConfigError, HttpEdgeEnv, identityHashing, kafkaConnection, loadConfig } from '@hub/config';
import { channelDefinitions } from '@hub/channel-registry';
import { InvalidJsonBody, parseJsonBody, type ChannelDefinition } from '@hub/channels-core';
import { createKafka, ensureTopics, hubTopicSpecs, KafkaEventPublisher } from '@hub/messaging';
import { hubMetrics, initMetrics, instrumentHttp, onScrape } from '@hub/metrics';
import {
  clientAddress,
  createLogger,
  decodeBody,
  HEALTH_PROBES,
  HealthController,
  HealthProbesCloser,
  kafkaProbe,
  decodedPayload,
  httpServerOptions,
  onShutdown,
  requestEncoding,
  RequestRateLimits,
  startTracing,
} from '@hub/platform';
import { isDocsRequest, serveOpenApi } from '@hub/platform/openapi';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ingestAppName, ingestChannelsOf } from './ingest-channel';
import { IngestEnv } from './ingest.env';
import { IngestCounters, IngestService } from './ingest.service';
import { ingestTenancy, TENANT_ROUTE_PREFIX, type IngestTenancy } from './ingest-tenants';
import {
  INGEST_COUNTERS,
  INGEST_PUBLISHER,
  IngestOpsController,
  pathOf,
  webhookControllerFor,
  type WebhookRoute,
} from './webhook.controller';

export interface RunningIngestApp {
  app: INestApplication;
  url: string;
  /** One per provider the app hosts, in registry order (per tenant, in the order of INGEST_TENANTS, when multi-tenant). */
  services: IngestService[];
  counters: IngestCounters;
  close(): Promise<void>;
}

/**
 * Every ingestion app is this function with its channel id: same limits, same status codes, same
 * logs. Reads config from `env`, fails fast on a bad one, starts even when Kafka is down (and answers
 * 503 until it is back). Serves one tenant (`TENANT_ID`) or many (`INGEST_TENANTS`: `ingest-tenants.ts`).
 */
export async function startIngestApp(
  channel: IngestChannelId | readonly IngestChannelId[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningIngestApp> {
  // One channel (the default deployment) or several in one process (`INGEST_CHANNELS`): each keeps its routes and limits.
  const channels: readonly IngestChannelId[] = typeof channel === 'string' ? [channel] : channel;
  const appName = ingestAppName(channels);
  const channelId = channels.join(', ');
  const definitions = enabledDefinitions(appName, channels, env);
  // Validate the shared and every tenant's providers' settings together, so one run lists every problem.
  const [shared, edgeConfig, tenancyConfig] = loadAll(appName, [
    () => loadConfig(appName, IngestEnv, env),
    () => loadConfig(appName, HttpEdgeEnv, env),
    () => ingestTenancy(appName, env, definitions),
  ]);
  const config = shared as IngestEnv;
  const edge = edgeConfig as HttpEdgeEnv;
  const tenancy = tenancyConfig as IngestTenancy;
  const tenants =
    tenancy.mode === 'multi' ? tenancy.tenants : [{ tenantId: config.TENANT_ID, routePrefix: '', adapters: tenancy.adapters }];
  const logger = createLogger(appName, config.LOG_LEVEL);
  initMetrics(appName);
  const hashing = identityHashing(config);
  if (hashing.developmentKey) logger.warn({ nodeEnv: config.NODE_ENV }, 'identity.hash_key.development');
  const maxBodyBytes = Math.max(...definitions.map((d) => d.manifest.maxBodyBytes));

  const kafka = createKafka(
    { ...kafkaConnection(config, appName), requestTimeoutMs: Math.min(config.INGEST_SEND_TIMEOUT_MS, 5_000) },
    logger,
  );
  const publisher = new KafkaEventPublisher(kafka, {
    maxInFlight: config.INGEST_MAX_IN_FLIGHT,
    sendTimeoutMs: config.INGEST_SEND_TIMEOUT_MS,
    failFastWhileUnreachable: true,
  });
  const names = hubNames(config.HUB_NAMESPACE);
  await ensureTopics(kafka, hubTopicSpecs(names, { replicationFactor: config.KAFKA_REPLICATION_FACTOR })).catch((err: unknown) =>
    logger.warn({ err: String(err) }, 'ingest.topics.ensure_failed'),
  );
  if (!(await publisher.start())) logger.warn({}, 'ingest.kafka.unavailable_at_boot');
  const counters = new IngestCounters();
  const multi = tenancy.mode === 'multi';
  // Every tenant's webhook of every provider, by its exact path: the one table the controllers and
  // the hooks below look requests up in.
  const routes = new Map<string, WebhookRoute & RouteLimit>();
  for (const tenant of tenants) {
    for (const adapter of tenant.adapters) {
      const service = new IngestService(
        adapter,
        publisher,
        tenant.tenantId,
        hashing.current,
        logger,
        () => new Date(),
        names,
        counters,
        multi,
      );
      routes.set(`${tenant.routePrefix}${adapter.manifest.route.path}`, {
        adapter,
        service,
        limit: adapter.manifest.maxBodyBytes,
        encodings: adapter.manifest.requestEncodings ?? [],
      });
    }
  }
  const services = [...routes.values()].map((r) => r.service);
  const routePrefix = multi ? `${TENANT_ROUTE_PREFIX}/:tenant` : '';

  @Module({
    controllers: [
      ...definitions.map((d) => webhookControllerFor(d.manifest, `${routePrefix}${d.manifest.route.path}`, routes, config.PUBLIC_BASE_URL)),
      IngestOpsController,
      HealthController,
    ],
    imports: [TerminusModule.forRoot({ logger: false })],
    providers: [
      { provide: INGEST_PUBLISHER, useValue: publisher },
      { provide: INGEST_COUNTERS, useValue: counters },
      // Ready when the broker answers (bounded): a webhook is acknowledged only once Kafka took it.
      { provide: HEALTH_PROBES, useValue: [kafkaProbe(kafka)] },
      HealthProbesCloser,
    ],
  })
  class IngestAppModule {}

  const fastify = new FastifyAdapter({
    bodyLimit: maxBodyBytes,
    ...httpServerOptions({
      trustProxy: edge.HTTP_TRUST_PROXY,
      requestTimeoutMs: edge.HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: edge.HTTP_CONNECTION_TIMEOUT_MS,
    }),
  });
  const app = await NestFactory.create<NestFastifyApplication>(IngestAppModule as unknown as DynamicModule, fastify, {
    rawBody: true,
    logger: ['error', 'warn'],
  });
  const instance = app.getHttpAdapter().getInstance() as FastifyInstance;
  instrumentHttp(instance);
  acceptAnyBodyAsBytes(instance, maxBodyBytes);
  if (edge.RATE_LIMIT_ENABLED) await limitRequestRates(instance, edge, config, routes, multi);
  decodeCompressedBodies(instance, routes);
  rejectDeclaredOversizeBodies(instance, routes);
  serveOpenApi(app, {
    title: `Interaction Hub ${appName}`,
    description:
      channels.length === 1
        ? `The ${channelId} channel's webhooks (INGEST_CHANNEL=${channelId}): each provider's own signed requests, no API key (docs/operations.md, docs/adding-a-channel.md).`
        : `The webhooks of the channels ${channelId} (INGEST_CHANNELS=${channels.join(',')}): each provider's own signed requests, no API key (docs/operations.md, docs/adding-a-channel.md).`,
    version: '1',
    apiKeys: false,
  });
  await app.init();
  parseJsonWithChannelCore(instance, maxBodyBytes);
  await app.listen(config.PORT, config.HOST);
  const url = await app.getUrl();
  logger.info(
    multi
      ? {
          url,
          channel: channelId,
          tenants: tenants.length,
          routes: definitions.map((d) => `${d.manifest.provider} ${routePrefix}${d.manifest.route.path}`),
        }
      : { url, channel: channelId, routes: definitions.map((d) => `${d.manifest.provider} ${d.manifest.route.path}`) },
    'ingest.app.started',
  );
  // The in-process publish queue beside its bound, read on scrape.
  const stopSampling = onScrape(() => {
    const queue = publisher.queue;
    if (!queue) return;
    hubMetrics.publisherQueuedBytes().set(queue.bytes);
    hubMetrics.publisherMaxQueuedBytes().set(queue.maxBytes);
  });
  const close = async () => {
    stopSampling();
    await app.close();
    await publisher.close();
  };
  return { app, url: url.replace('[::1]', '127.0.0.1'), services, counters, close };
}

/** Each webhook's body limit, the encodings it accepts and its service (which counts rejections). */
interface RouteLimit {
  limit: number;
  encodings: readonly string[];
  service: IngestService;
}
type RouteLimits = ReadonlyMap<string, RouteLimit>;

/** The webhook a request is for (POSTs only), if any. */
function routeOf(limitByPath: RouteLimits, req: { method: string; url: string }) {
  return req.method === 'POST' ? limitByPath.get(pathOf(req.url)) : undefined;
}

/**
 * Webhook requests, limited per client address and per source (one tenant's provider route, whatever
 * the address: providers deliver from many), before anything else is done with them. In a
 * multi-tenant app every POST under `/t/` counts against its address, a tenant that does not exist
 * too (so guessing tenants is limited like anything else). The docs (`/docs`, public) count per address
 * too. The probes (`/health`, `/health/live`, `/health/ready`, `/metrics`) are not limited.
 */
async function limitRequestRates(
  instance: FastifyInstance,
  edge: HttpEdgeEnv,
  config: IngestEnv,
  limitByPath: RouteLimits,
  multi: boolean,
): Promise<void> {
  // Counted and logged (`ingest.webhook.rejected`) by the route's service, like every other refusal.
  const limits = await RequestRateLimits.install(instance, edge.RATE_LIMIT_WINDOW_MS, (req, rule, retryAfterSeconds) =>
    routeOf(limitByPath, req)?.service.rateLimited(rule.per, retryAfterSeconds),
  );
  const isWebhook = (req: FastifyRequest) => routeOf(limitByPath, req) !== undefined;
  const isTenantPath = (req: FastifyRequest) =>
    isWebhook(req) || (multi && req.method === 'POST' && req.url.startsWith(`${TENANT_ROUTE_PREFIX}/`)) || isDocsRequest(req);
  instance.addHook(
    'onRequest',
    limits.hook(
      { per: 'address', max: edge.RATE_LIMIT_PER_ADDRESS, keyOf: clientAddress, reason: 'too many requests from this address' },
      isTenantPath,
    ),
  );
  const sourceOf = (req: FastifyRequest) => `${routeOf(limitByPath, req)?.service.tenant ?? config.TENANT_ID}:${pathOf(req.url)}`;
  instance.addHook(
    'onRequest',
    limits.hook(
      { per: 'source', max: config.RATE_LIMIT_PER_SOURCE, keyOf: sourceOf, reason: 'too many requests to this source' },
      isWebhook,
    ),
  );
}

/**
 * JSON and form bodies are parsed by Nest (keeping rawBody); anything else (raw MIME, multipart)
 * reaches the adapter as its exact bytes, each provider limited by its own maxBodyBytes.
 */
function acceptAnyBodyAsBytes(instance: FastifyInstance, maxBodyBytes: number): void {
  instance.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: maxBodyBytes },
    (_req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body),
  );
}

/**
 * A compressed body (Firehose's GZIP option) is decoded here, before the body parsers, so the
 * adapter verifies and parses what the provider encoded; its decoded size is held to the route's
 * limit. Routes that do not declare the encoding answer 415 rather than mistaking gzip for JSON.
 */
function decodeCompressedBodies(instance: FastifyInstance, limitByPath: RouteLimits): void {
  instance.addHook('preParsing', (req, reply, payload, done) => {
    // The fast path, every request without an encoding: no promise, no lookup.
    if (req.headers['content-encoding'] === undefined) return done(null, payload);
    const encoding = requestEncoding(req.headers['content-encoding']);
    const route = routeOf(limitByPath, req);
    if (encoding === 'identity' || !route) return done(null, payload);
    if (!route.encodings.includes(encoding)) {
      route.service.undecodable('unsupported_content_encoding', encoding);
      void reply
        .code(415)
        .header('connection', 'close')
        .send({
          error: 'unsupported_content_encoding',
          reason: `Content-Encoding ${encoding} is not accepted here`,
          accepted: ['identity', ...route.encodings],
        });
      return undefined;
    }
    void decodeBody(payload, route.limit).then(
      (decoded) => {
        if (decoded.kind === 'decoded') return done(null, decodedPayload(decoded.body, decoded.encodedBytes));
        if (decoded.kind === 'too_large') {
          route.service.tooLarge(decoded.bytes);
          void reply.code(413).header('connection', 'close').send({ error: 'payload_too_large', limitBytes: route.limit });
        } else {
          route.service.undecodable('invalid_content_encoding', decoded.reason);
          void reply.code(400).send({ error: 'invalid_content_encoding', reason: decoded.reason });
        }
        return undefined;
      },
      (err: unknown) => done(err as Error),
    );
    return undefined;
  });
}

/**
 * 413 before a byte of the body is read when the declared length is over the route's provider
 * limit (a chunked body without a length is held to it by the controller once read).
 */
function rejectDeclaredOversizeBodies(instance: FastifyInstance, limitByPath: RouteLimits): void {
  instance.addHook(
    'onRequest',
    (
      req: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
      reply: { code(n: number): { header(k: string, v: string): { send(b: unknown): void } } },
      done: () => void,
    ) => {
      const route = routeOf(limitByPath, req);
      const declared = Number(req.headers['content-length']);
      if (route && Number.isFinite(declared) && declared > route.limit) {
        route.service.tooLarge(declared);
        reply.code(413).header('connection', 'close').send({ error: 'payload_too_large', limitBytes: route.limit });
        return;
      }
      done();
    },
  );
}

/**
 * Every JSON body is parsed once, by the channel core's parser: a 64-bit id sent as a JSON number
 * keeps its digits, and a body that is not JSON reaches the service (which answers 400 in the
 * hub's shape, counted) instead of Fastify's generic error. Nest registers its own JSON parser at
 * init, so this runs after `app.init()` and before the server starts.
 */
function parseJsonWithChannelCore(instance: FastifyInstance, maxBodyBytes: number): void {
  instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (req, body, done) => {
    const raw = body as Buffer;
    (req as typeof req & { rawBody?: Buffer }).rawBody = raw;
    const parsed = parseJsonBody(raw);
    done(null, parsed.ok ? parsed.value : new InvalidJsonBody(parsed.reason));
  });
}

/**
 * The channel's providers this deployment serves: all of them, or those named in
 * `INGEST_PROVIDERS` (comma-separated `manifest.provider` values), so a deployment configures only
 * the providers it uses.
 */
function enabledDefinitions(
  app: string,
  channels: readonly IngestChannelId[],
  env: NodeJS.ProcessEnv,
): readonly ChannelDefinition<object>[] {
  const all = channels.flatMap((c) => channelDefinitions(c));
  const channelId = channels.join(', ');
  const wanted = env['INGEST_PROVIDERS']
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!wanted || wanted.length === 0) return all;
  const known = all.map((d) => d.manifest.provider);
  const unknown = wanted.filter((p) => !known.includes(p));
  if (unknown.length > 0)
    throw new ConfigError(app, [
      `INGEST_PROVIDERS names ${unknown.join(', ')}; ${channels.length === 1 ? 'channel' : 'channels'} ${channelId} ${channels.length === 1 ? 'has' : 'have'} ${known.join(', ')}`,
    ]);
  return all.filter((d) => wanted.includes(d.manifest.provider));
}

function loadAll(app: string, loaders: (() => object)[]): object[] {
  const problems: string[] = [];
  const results = loaders.map((f) => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  });
  if (problems.length > 0) throw new ConfigError(app, problems);
  return results as object[];
}

/**
 * Process entry point of the ingestion app (apps/ingest/webhooks): serves the channel that
 * `INGEST_CHANNEL` names, as the app `ingest-<channel>` (or the channels `INGEST_CHANNELS` lists, as
 * `ingest-<a>.<b>`).
 */
export function runIngestApp(env: NodeJS.ProcessEnv = process.env): void {
  Promise.resolve()
    .then(() => {
      const channels = ingestChannelsOf(env);
      const tracing = startTracing(ingestAppName(channels), env); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
      return startIngestApp(channels, env).then((running) => onShutdown(() => running.close().finally(() => tracing?.shutdown())));
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
