import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hubNames, rawRejectionsTopic, type HubNames } from '@hub/contracts';
import { ConfigError, HttpEdgeEnv, identityHashing, kafkaConnection, loadConfigs } from '@hub/config';
import { createKafka, ensureTopics, hubTopicSpecs, KafkaEventPublisher, rawRejectionsTopicSpecs } from '@hub/messaging';
import { initMetrics, instrumentHttp } from '@hub/metrics';
import {
  CachedKeyLookup,
  clientAddress,
  createLogger,
  createPgPool,
  answers,
  HEALTH_PROBES,
  HealthController,
  HealthProbesCloser,
  kafkaProbe,
  postgresProbe,
  type DependencyProbe,
  PostgresKeyStore,
  presentedApiKey,
  decodeBody,
  decodedPayload,
  httpServerOptions,
  onShutdown,
  perWindow,
  requestEncoding,
  RequestRateLimits,
  startTracing,
  type HubLogger,
} from '@hub/platform';
import { isDocsRequest, serveOpenApi } from '@hub/platform/openapi';
import { apiError, payloadTooLarge, requestProblem, type ApiErrorBody } from './api-error';
import { ApiErrorFilter } from './api-error.filter';
import { AttributeSchemas } from './attribute-schemas';
import { EventIntakeService } from './event-intake.service';
import {
  EVENT_INTAKE,
  ConversationsController,
  CustomerFactsController,
  EventsController,
  INTAKE_COUNTERS,
  INTAKE_PUBLISHER,
  IngestApiOpsController,
  JSON_MEDIA_TYPES,
  NDJSON_MEDIA_TYPES,
  RAW_CONSUMER_STATE,
  unauthorized,
  type IntakeRequest,
} from './events.controller';
import { IngestApiEnv } from './ingest-api.env';
import { IntakeCounters } from './intake-counters';
import { RawInteractionsConsumer } from './raw-interactions.consumer';
import { authenticateSource, parseSourceKeys, SourceKeyRegistry } from './source-keys';

export const INGEST_API_APP = 'ingest-api';
const REALM = 'hub-ingest-api';

export interface RunningIngestApi {
  app: INestApplication;
  url: string;
  names: HubNames;
  counters: IntakeCounters;
  intake: EventIntakeService;
  close(): Promise<void>;
}

/**
 * The generic ingestion API: contact-center platforms send canonical `InteractionReceived` events
 * over HTTP (per-source API keys) or produce them to the raw topic. Reads config from `env`, fails
 * fast on a bad one, starts even when Kafka is down (and answers 503 until it is back).
 */
export async function startIngestApiApp(env: NodeJS.ProcessEnv = process.env): Promise<RunningIngestApi> {
  const [config, edge] = loadConfigs<[IngestApiEnv, HttpEdgeEnv]>(INGEST_API_APP, env, IngestApiEnv, HttpEdgeEnv);
  const logger = createLogger(INGEST_API_APP, config.LOG_LEVEL);
  initMetrics(INGEST_API_APP);
  const hashing = identityHashing(config);
  if (hashing.developmentKey) logger.warn({ nodeEnv: config.NODE_ENV }, 'identity.hash_key.development');
  const keys = new SourceKeyRegistry(parseSourceKeys(config.INGEST_API_KEYS).keys);
  // Keys made through the query API's /admin/v1 (docs/operations.md, "API keys"), when enabled: read only here.
  const keyPool = config.INGEST_KEY_STORE_ENABLED
    ? createPgPool({ connectionString: config.DATABASE_URL, max: 2, readTimeoutMs: 10_000 })
    : undefined;
  keyPool?.on('error', (err) => logger.warn({ err: String(err) }, 'ingest.pg.idle_client_error'));
  const storedKeys = keyPool ? new CachedKeyLookup(new PostgresKeyStore(keyPool), config.HUB_KEY_CACHE_TTL_MS) : undefined;
  if (keys.size === 0 && !storedKeys) logger.warn({}, 'ingest.api.no_api_keys');

  const kafka = createKafka(
    { ...kafkaConnection(config, INGEST_API_APP), requestTimeoutMs: Math.min(config.INGEST_SEND_TIMEOUT_MS, 5_000) },
    logger,
  );
  const publisher = new KafkaEventPublisher(kafka, {
    maxInFlight: config.INGEST_MAX_IN_FLIGHT,
    sendTimeoutMs: config.INGEST_SEND_TIMEOUT_MS,
    failFastWhileUnreachable: true,
  });
  const names = hubNames(config.HUB_NAMESPACE);
  // Each raw tenant's feedback topic (docs/events.md, "Raw-topic feedback"), with the hub's own.
  const feedbackTopic = (tenantId: string) => rawRejectionsTopic(tenantId, config.HUB_NAMESPACE);
  const feedbackTopics = config.INGEST_RAW_ENABLED
    ? rawRejectionsTopicSpecs(config.INGEST_RAW_TENANTS.map(feedbackTopic), config.KAFKA_REPLICATION_FACTOR)
    : [];
  await ensureTopics(kafka, [...hubTopicSpecs(names, { replicationFactor: config.KAFKA_REPLICATION_FACTOR }), ...feedbackTopics]).catch(
    (err: unknown) => logger.warn({ err: String(err) }, 'ingest.topics.ensure_failed'),
  );
  // Consuming with no tenant allowed refuses (dead-letters) every message: say so, and how to fix it.
  if (config.INGEST_RAW_ENABLED && config.INGEST_RAW_TENANTS.length === 0)
    logger.warn(
      {
        topic: names.topics.rawInteractions,
        hint: 'INGEST_RAW_TENANTS is empty: every message on the raw topic will be refused (dead-lettered as TENANT_NOT_ALLOWED). Set INGEST_RAW_TENANTS to the tenants that produce there, or INGEST_RAW_ENABLED=false',
      },
      'ingest.api.raw.no_tenants',
    );
  if (!(await publisher.start())) logger.warn({}, 'ingest.kafka.unavailable_at_boot');

  // Validated with the env (IngestApiEnv): loaded again here to be used.
  const loadedSchemas = AttributeSchemas.load(config.INGEST_ATTRIBUTE_SCHEMAS);
  if (!loadedSchemas.ok) throw new ConfigError(INGEST_API_APP, loadedSchemas.problems);
  const attributeSchemas = loadedSchemas.schemas;
  const counters = new IntakeCounters();
  const limits = { maxBatchEvents: config.INGEST_MAX_BATCH_EVENTS, maxEventBytes: config.INGEST_MAX_EVENT_BYTES };
  const intake = new EventIntakeService(
    publisher,
    names.topics.interactions,
    hashing.current,
    limits,
    logger,
    () => new Date(),
    counters,
    new Set(config.INGEST_RAW_TENANTS),
    attributeSchemas,
    feedbackTopic,
  );
  const rawConsumer = config.INGEST_RAW_ENABLED
    ? new RawInteractionsConsumer(
        kafka,
        intake,
        {
          topic: names.topics.rawInteractions,
          groupId: names.groups.ingestApiRaw,
          concurrency: config.INGEST_RAW_CONCURRENCY,
          // Every tenant's operators read the dead-letter topic: it references a refused message, never copies it.
          deadLetter: { publisher, topic: names.topics.deadLetter, keep: 'reference' },
        },
        logger,
      )
    : undefined;

  // Ready when Kafka answers, the raw topic's consumer (when enabled) runs, and the key store (when
  // enabled) answers: each bounded, on the app's own clients.
  const probes: DependencyProbe[] = [kafkaProbe(kafka)];
  if (rawConsumer)
    probes.push({
      name: 'raw-consumer',
      // kafkajs keeps a consumer "running" while its broker is gone: it runs only if the broker answers
      // (the Kafka probe's check, shared with the one just made, not a second request).
      check: async () => {
        const state = rawConsumer.state;
        if (state !== 'running') throw new Error(`the raw topic's consumer is ${state}`);
        if (!(await answers(probes, 'kafka'))) throw new Error("the raw topic's consumer is disconnected: the broker does not answer");
        return { state };
      },
    });
  if (keyPool) probes.push(postgresProbe(keyPool, undefined, 'key-store'));

  @Module({
    controllers: [EventsController, ConversationsController, CustomerFactsController, IngestApiOpsController, HealthController],
    imports: [TerminusModule.forRoot({ logger: false })],
    providers: [
      { provide: HEALTH_PROBES, useValue: probes },
      HealthProbesCloser,
      { provide: EVENT_INTAKE, useValue: intake },
      { provide: INTAKE_PUBLISHER, useValue: publisher },
      { provide: INTAKE_COUNTERS, useValue: counters },
      { provide: RAW_CONSUMER_STATE, useValue: rawConsumer ?? { state: 'disabled' } },
    ],
  })
  class IngestApiModule {}

  const fastify = new FastifyAdapter({
    bodyLimit: config.INGEST_MAX_BODY_BYTES,
    ...httpServerOptions({
      trustProxy: edge.HTTP_TRUST_PROXY,
      requestTimeoutMs: edge.HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: edge.HTTP_CONNECTION_TIMEOUT_MS,
    }),
  });
  const app = await NestFactory.create<NestFastifyApplication>(IngestApiModule as unknown as DynamicModule, fastify, {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  // What the framework refuses itself (an unknown route, a Content-Type no parser takes, a body over
  // the limit without a Content-Length) in the API's one shape too.
  app.useGlobalFilters(new ApiErrorFilter(config.INGEST_MAX_BODY_BYTES));
  const instance = app.getHttpAdapter().getInstance();
  instrumentHttp(instance);
  // Bodies arrive as their exact bytes, only JSON and NDJSON (anything else: 415), each at most
  // INGEST_MAX_BODY_BYTES (413 from the Content-Length, before reading). Lines are parsed by the API.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser(
    [...JSON_MEDIA_TYPES, ...NDJSON_MEDIA_TYPES],
    { parseAs: 'buffer', bodyLimit: config.INGEST_MAX_BODY_BYTES },
    (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body),
  );
  // Decided by the matched route (any path under /v1 when none matched), not by a prefix of the raw URL.
  const isApi = (req: FastifyRequest) => (req.routeOptions.url ?? req.url).startsWith('/v1/');
  const rateLimits = edge.RATE_LIMIT_ENABLED
    ? await RequestRateLimits.install(
        instance,
        edge.RATE_LIMIT_WINDOW_MS,
        (req, rule, retryAfterSeconds) => {
          counters.inc(`http.rejected.rate_limited_per_${rule.per}`);
          logger.warn(
            {
              code: `rate_limited_per_${rule.per}`,
              source: (req as IntakeRequest).ingestCaller?.source,
              address: req.ip,
              retryAfterSeconds,
            },
            'ingest.api.request.rejected',
          );
        },
        // The API's one error shape; the platform's details (`reason`, `limit`, `retryAfterSeconds`) beside it.
        (body) =>
          apiError('too_many_requests', body.reason, [requestProblem(`rate_limited_per_${body.limit.per}`, body.reason)], { ...body }),
      )
    : undefined;
  // Per address before the key check: a flood of bad keys is counted too. The docs (public) count per address too.
  if (rateLimits)
    instance.addHook(
      'onRequest',
      rateLimits.hook(
        { per: 'address', max: edge.RATE_LIMIT_PER_ADDRESS, keyOf: clientAddress, reason: 'too many requests from this address' },
        (req) => isApi(req) || isDocsRequest(req),
      ),
    );
  // The key is checked before the body is read: an unknown caller cannot make us buffer megabytes.
  instance.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isApi(req)) return;
    let auth = authenticateSource(keys, req.headers);
    if (!auth.ok && auth.reason === 'api_key_invalid' && storedKeys) {
      const presented = presentedApiKey(req.headers);
      try {
        const stored = presented.ok ? await storedKeys.verify(presented.key) : undefined;
        if (stored?.kind === 'ingest' && stored.source !== null)
          auth = {
            ok: true,
            key: {
              source: stored.source,
              tenantId: stored.tenantId,
              keyId: stored.keyId,
              digest: Buffer.alloc(0),
              ...(stored.rateLimitPerMinute !== null ? { rateLimitPerMinute: stored.rateLimitPerMinute } : {}),
            },
          };
      } catch (err) {
        counters.inc('http.rejected.key_store_unavailable');
        logger.error({ err: String(err) }, 'ingest.api.key_store_unavailable');
        await reply.code(503).header('retry-after', '1').send({ error: 'unavailable', reason: 'the key store cannot be read; retry' });
        return;
      }
    }
    if (auth.ok) {
      (req as IntakeRequest).ingestCaller = auth.key;
      // Over the limit by its declared length: refused here, in the API's own shape (Fastify's
      // bodyLimit answered `{"statusCode":413,"message":…}`, which names no limit; fuzz campaign, issue #15).
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > config.INGEST_MAX_BODY_BYTES) {
        counters.inc('http.rejected.body_too_large');
        logger.warn(
          { code: 'body_too_large', source: auth.key.source, tenantId: auth.key.tenantId, contentLength: declared },
          'ingest.api.request.rejected',
        );
        await reply.code(413).header('connection', 'close').send(payloadTooLarge(config.INGEST_MAX_BODY_BYTES));
      }
      return;
    }
    counters.inc(`http.rejected.${auth.reason}`);
    logger.info({ code: auth.reason, route: req.url }, 'ingest.api.auth.rejected');
    // RFC 6750: no error code when no credentials were sent; invalid_token / invalid_request otherwise.
    const error =
      auth.reason === 'api_key_missing' ? '' : auth.reason === 'api_key_invalid' ? ', error="invalid_token"' : ', error="invalid_request"';
    await reply.code(401).header('www-authenticate', `Bearer realm="${REALM}"${error}`).send(unauthorized(auth.reason));
  });
  // Per source key, once it is known.
  if (rateLimits) {
    const keyOf = (req: FastifyRequest) => {
      const caller = (req as IntakeRequest).ingestCaller;
      return caller ? `${caller.tenantId}:${caller.source}:${caller.keyId}` : undefined;
    };
    instance.addHook(
      'onRequest',
      rateLimits.hook(
        {
          per: 'key',
          max: config.RATE_LIMIT_PER_KEY,
          maxOf: (req) => {
            const perMinute = (req as IntakeRequest).ingestCaller?.rateLimitPerMinute;
            return perMinute === undefined ? undefined : perWindow(perMinute, edge.RATE_LIMIT_WINDOW_MS);
          },
          keyOf,
          reason: 'too many requests with this key',
        },
        isApi,
      ),
    );
  }
  // Large NDJSON batches compress tenfold: `Content-Encoding: gzip` is decoded before parsing, the
  // decoded size held to INGEST_MAX_BODY_BYTES too (a bomb is a 413, never inflated whole). Runs after
  // the key check (onRequest), and as a callback so requests without an encoding pay nothing.
  instance.addHook('preParsing', (req, reply, payload, done) => {
    if (req.headers['content-encoding'] === undefined) return done(null, payload);
    const encoding = requestEncoding(req.headers['content-encoding']);
    if (encoding === 'identity') return done(null, payload);
    const refuse = (status: number, code: string, body: ApiErrorBody): undefined => {
      counters.inc(`http.rejected.${code}`);
      logger.warn({ code, source: (req as IntakeRequest).ingestCaller?.source, encoding }, 'ingest.api.request.rejected');
      void reply.code(status).header('connection', 'close').send(body);
      return undefined;
    };
    if (encoding !== 'gzip')
      return refuse(
        415,
        'unsupported_content_encoding',
        apiError(
          'unsupported_content_encoding',
          `Content-Encoding ${encoding} is not accepted`,
          [requestProblem('unsupported_content_encoding', `Content-Encoding: ${encoding} is not identity or gzip`)],
          { accepted: ['identity', 'gzip'] },
        ),
      );
    void decodeBody(payload, config.INGEST_MAX_BODY_BYTES).then(
      (decoded) => {
        if (decoded.kind === 'decoded') return done(null, decodedPayload(decoded.body, decoded.encodedBytes));
        if (decoded.kind === 'too_large') return refuse(413, 'body_too_large', payloadTooLarge(config.INGEST_MAX_BODY_BYTES));
        return refuse(
          400,
          'invalid_content_encoding',
          apiError('invalid_content_encoding', decoded.reason, [requestProblem('invalid_content_encoding', decoded.reason)]),
        );
      },
      (err: unknown) => done(err as Error),
    );
    return undefined;
  });
  instance.addHook('onError', async (req: FastifyRequest, _reply: FastifyReply, err: FastifyError) =>
    countRefusedBody(err, req, counters, logger),
  );
  serveOpenApi(app, {
    title: 'Interaction Hub generic ingest API',
    description:
      'Canonical events and facts from contact-center platforms, with a per-source API key (docs/operations.md, "Generic ingest API"; every field of an interaction: docs/events.md). Every refusal has one body: `{error, message, problems[{path, code, message}]}`.',
    version: '1',
    apiKeys: true,
  });
  await app.listen(config.PORT, config.HOST);
  rawConsumer?.start();
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // Every ingestion app announces itself with this line (the test harness waits for it).
  logger.info(
    {
      url,
      routes: [
        'POST /v1/events',
        'POST /v1/events/batch',
        'POST /v1/conversations/status',
        'POST /v1/customers/consent',
        'POST /v1/customers/traits',
      ],
      rawTopic: config.INGEST_RAW_ENABLED ? names.topics.rawInteractions : null,
      sources: keys.size,
      keyStore: storedKeys !== undefined,
      attributeSchemas: attributeSchemas.size,
    },
    'ingest.app.started',
  );
  const close = async () => {
    await rawConsumer?.stop();
    await app.close();
    await publisher.close();
    await keyPool?.end();
  };
  return { app, url, names, counters, intake, close };
}

/** 413 and 415 are answered by Fastify before any handler: count and log them here. */
function countRefusedBody(err: FastifyError, req: FastifyRequest, counters: IntakeCounters, logger: HubLogger): void {
  const code = err.statusCode === 413 ? 'body_too_large' : err.statusCode === 415 ? 'unsupported_media_type' : undefined;
  if (!code) return;
  const caller = (req as IntakeRequest).ingestCaller;
  counters.inc(`http.rejected.${code}`);
  logger.warn(
    {
      code,
      source: caller?.source,
      tenantId: caller?.tenantId,
      contentLength: req.headers['content-length'],
      contentType: req.headers['content-type'],
    },
    'ingest.api.request.rejected',
  );
}

/** Process entry point. */
export function runIngestApiApp(): void {
  const tracing = startTracing('ingest-api'); // OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
  startIngestApiApp()
    .then((running) => onShutdown(() => running.close().finally(() => tracing?.shutdown())))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
