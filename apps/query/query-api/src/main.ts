import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { ConfigError } from '@hub/config';
import {
  CachedKeyLookup,
  clientAddress,
  createLogger,
  httpServerOptions,
  looksLikeJwt,
  onShutdown,
  perWindow,
  presentedApiKey,
  RequestRateLimits,
  sha256Hex,
} from '@hub/platform';
import { initMetrics, instrumentHttp } from '@hub/metrics';
import { API_KEYS, OPERATOR_KEYS, STORED_KEYS, type ApiKeyRegistry, type OperatorKey } from './auth/api-keys';
import { serveOpenApi } from '@hub/platform/openapi';
import { MAX_TRACKING_TOKEN_LENGTH } from '@hub/nba';
import { OIDC_VERIFIER, type OidcVerifier } from './auth/oidc';
import { serveConsole } from './console/console-static';
import { queryApiModule } from './query-api.module';

/** The probes and the metrics, never rate-limited (an orchestrator's checks and a scraper must not be refused as a flood). */
const PROBE_ROUTES = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** The query API: customers by identity, timelines, next best actions (read side only). */
export async function startQueryApi(env: NodeJS.ProcessEnv = process.env): Promise<{ app: NestFastifyApplication; url: string }> {
  const { module, config, edge } = queryApiModule(env);
  const logger = createLogger('query-api', config.LOG_LEVEL);
  initMetrics('query-api');
  const adapter = new FastifyAdapter({
    ...httpServerOptions({
      trustProxy: edge.HTTP_TRUST_PROXY,
      requestTimeoutMs: edge.HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: edge.HTTP_CONNECTION_TIMEOUT_MS,
    }),
    // A tracking link's token (`GET /r/:token`) names the target URL: longer than Fastify's 100-character default (414).
    routerOptions: { maxParamLength: MAX_TRACKING_TOKEN_LENGTH },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: ['error', 'warn'] });
  instrumentHttp(app.getHttpAdapter().getInstance());
  if (edge.RATE_LIMIT_ENABLED) {
    const instance = app.getHttpAdapter().getInstance();
    const limits = await RequestRateLimits.install(instance, edge.RATE_LIMIT_WINDOW_MS, (req, rule, retryAfterSeconds) =>
      logger.warn(
        { code: `rate_limited_per_${rule.per}`, route: req.routeOptions.url ?? req.url, address: req.ip, retryAfterSeconds },
        'query.request.rate_limited',
      ),
    );
    const limited = (req: FastifyRequest) => !PROBE_ROUTES.has(req.routeOptions.url ?? req.url);
    const stored = app.get<symbol, CachedKeyLookup>(STORED_KEYS);
    const envKeys = app.get<symbol, ApiKeyRegistry>(API_KEYS);
    const operatorKeys = app.get<symbol, ApiKeyRegistry<OperatorKey>>(OPERATOR_KEYS);
    const oidc = app.get<symbol, OidcVerifier | null>(OIDC_VERIFIER);
    /** A stored key's own limit per window; env keys and tokens never wait on the store. */
    const storedLimit = async (key: string): Promise<number | undefined> => {
      if (envKeys.verify(key) || operatorKeys.verify(key) || (oidc && looksLikeJwt(key))) return undefined;
      const found = await stored.verify(key).catch(() => undefined);
      return found?.rateLimitPerMinute ? perWindow(found.rateLimitPerMinute, edge.RATE_LIMIT_WINDOW_MS) : undefined;
    };
    // Per address first (bad keys count too), then per key presented: its digest, so a key is never held in memory.
    instance.addHook(
      'onRequest',
      limits.hook(
        { per: 'address', max: edge.RATE_LIMIT_PER_ADDRESS, keyOf: clientAddress, reason: 'too many requests from this address' },
        limited,
      ),
    );
    instance.addHook(
      'onRequest',
      limits.hook(
        {
          per: 'key',
          max: config.RATE_LIMIT_PER_KEY,
          // A stored key's own limit (`rateLimitPerMinute`); the guard answers a store that cannot be read.
          maxOf: (req) => {
            const presented = presentedApiKey(req.headers);
            return presented.ok ? storedLimit(presented.key) : undefined;
          },
          keyOf: (req) => {
            const presented = presentedApiKey(req.headers);
            return presented.ok ? sha256Hex(presented.key) : undefined;
          },
          reason: 'too many requests with this key',
        },
        limited,
      ),
    );
  }
  const consoleServed = await serveConsole(app, config.QUERY_CONSOLE_DIR, logger);
  // /docs and /docs/json: public, limited per address and per key presented like every route but /health.
  serveOpenApi(app, {
    title: 'Interaction Hub query API',
    description:
      'Customers, timelines, next best actions, exports and erasure for one tenant\'s API key; replays and `/admin/v1` (tenants and keys) for operator keys. docs/operations.md, "API keys" and "Query API".',
    version: '1',
    apiKeys: true,
    bearerDescription:
      'An API key, or — when OIDC_ISSUER_URL is set — an OpenID Connect access token (a JWT) whose roles give its scopes (docs/operations.md, "Signing in with OpenID Connect")',
  });
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.info({ url, ...(consoleServed ? { console: `${url}/console/` } : {}) }, 'query.api.started');
  return { app, url };
}

if (require.main === module) {
  startQueryApi()
    .then(({ app }) => onShutdown(() => app.close()))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
