import { Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { Pool } from 'pg';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { CUSTOMER_STORES, HubPlatformModule, PG_POOL } from '@hub/app-platform';
import { ConfigError, HttpEdgeEnv, kafkaConnection, loadConfigs, RecordEnv } from '@hub/config';
import type { CustomerStores } from '@hub/customer-records';
import { EVENT_STORE, type EventStore } from '@hub/event-store';
import { NBA_OUTCOMES_SCHEMA, OUTCOME_TALLY_READER, PostgresOutcomeTallyReader } from '@hub/nba-outcomes';
import { PostgresWorkItemReader, WORK_ITEM_QUERIES, WORK_ITEMS_SCHEMA } from '@hub/work-items';
import { PostgresSendLedger } from '@hub/deliver-outbound';
import { PostgresWebhookStore, WEBHOOK_SUBSCRIPTIONS, WEBHOOKS_SCHEMA } from '@hub/webhook-deliveries';
import {
  CachedKeyLookup,
  createPgPool,
  HEALTH_PROBES,
  HealthProbesCloser,
  KEY_STORE,
  LOGGER,
  PostgresAuditLog,
  PostgresKeyStore,
  postgresProbe,
  type DependencyProbe,
  type HubLogger,
  API_KEYS_SCHEMA,
} from '@hub/platform';
import { TerminusModule } from '@nestjs/terminus';
import {
  PostgresTimelineStore,
  TIMELINE_QUERIES,
  TIMELINE_REPLAYS,
  TIMELINE_STORE,
  TimelineQueries,
  TimelineReplayJobs,
  TIMELINE_SCHEMA,
} from '@hub/timeline';
import { AdminController } from './admin/admin.controller';
import { AuditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AUDIT_SETTINGS, AUDIT_STORE, AuditTrail, type AuditSettings, type AuditStore } from './audit/audit-trail';
import { ApiKeyGuard } from './auth/api-key.guard';
import {
  API_KEY_ENTRY,
  API_KEYS,
  ApiKeyRegistry,
  OPERATOR_KEY_ENTRY,
  OPERATOR_KEYS,
  parseApiKeys,
  parseOperatorKeys,
  STORED_KEYS,
} from './auth/api-keys';
import { CUSTOMER_REPOSITORY, CustomersController, DEFAULT_PHONE_REGIONS, SEND_LEDGER } from './customers.controller';
import { DEFAULT_REGION_ENTRY, parseDefaultRegions } from './phone-regions';
import { ExportsController } from './exports/exports.controller';
import { MetricsController, QueryHealthController } from './health.controller';
import { LiveTimelineController } from './live/live-timeline.controller';
import { LIVE_SETTINGS, LiveTimelines, type LiveSettings } from './live/live-timelines';
import { NbaController } from './nba/nba.controller';
import { ClickController, TRACKING_LINK_KEY } from './nba/click.controller';
import { WorkItemsController } from './work-items/work-items.controller';
import { WEBHOOK_URL_POLICY, WebhookSubscriptionsController, type WebhookUrlPolicy } from './webhooks/webhook-subscriptions.controller';
import { TIMELINE_NOTIFICATIONS, TimelineNotifications } from './live/timeline-notifications';
import { OperationsController } from './operations/operations.controller';
import { OPERATOR_INFRA_SETTINGS, OperatorInfra, type OperatorInfraSettings } from './operations/operator-infra';
import { ReplaysController } from './replays/replays.controller';
import { StatsController } from './stats/stats.controller';
import { SubjectAccessController } from './subject-access/subject-access.controller';
import { SavedQueriesController } from './saved-queries/saved-queries.controller';
import { SAVED_QUERIES_SCHEMA } from './saved-queries/saved-queries.schema-migrations';
import { PostgresSavedQueries, SAVED_QUERIES } from './saved-queries/saved-queries.store';
import { TimelineController } from './timeline/timeline.controller';
import { DEFAULT_ROLE_SCOPES, OIDC_VERIFIER, OidcVerifier, parseRoleScopes, ROLE_SCOPE_ENTRY, type OidcSettings } from './auth/oidc';

/** The read model and the saved queries' table, ensured at boot (the pool and the store close in HubPlatformModule). */
@Injectable()
class QueryResources implements OnModuleInit {
  constructor(
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    @Inject(SAVED_QUERIES) private readonly saved: PostgresSavedQueries,
    @Inject(KEY_STORE) private readonly keys: PostgresKeyStore,
  ) {}
  async onModuleInit(): Promise<void> {
    // Creates the read model only where it does not exist yet; the projector migrates it (see TimelineQueries.ensureSchema).
    await this.queries.ensureSchema();
    await this.saved.ensureSchema();
    await this.keys.ensureSchema();
  }
}

/**
 * Replays started by this instance: the runs table is created and runs left behind by a dead
 * process are failed at boot; running ones are stopped (and recorded as interrupted) at shutdown,
 * before the pool and the store close.
 */
@Injectable()
class ReplayLifecycle implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(TIMELINE_REPLAYS) private readonly replays: TimelineReplayJobs) {}
  async onModuleInit(): Promise<void> {
    await this.replays.init();
  }
  async onModuleDestroy(): Promise<void> {
    await this.replays.shutdown('the query API shut down');
  }
}

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

export class QueryApiEnv extends RecordEnv {
  @IsString() HOST = '127.0.0.1';
  /** 0 picks a free port (tests, the demo); the app logs the URL it got. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3100;

  /**
   * The API keys, one per tenant they open: `<tenant>:<sha256 hex of the key>[:<scopes>][,…]`, scopes
   * among `read`, `write`, `erase` joined by `+` (none: `read`) (docs/operations.md, "API keys"). Only
   * digests are configured. Several keys per tenant are allowed (rotation). May be empty only when
   * HUB_ADMIN_API_KEYS is not: tenant keys are then made through `/admin/v1` (the key store).
   */
  @Transform(csv)
  @IsArray()
  @Matches(API_KEY_ENTRY, {
    each: true,
    message:
      'each HUB_API_KEYS entry must be <tenant>:<sha256 hex of the key>[:<scopes>] (64 hex digits; scopes among read, write, erase, audit joined by +)',
  })
  HUB_API_KEYS: string[] = [];

  /**
   * Operator keys, for what operates the whole hub rather than one tenant's data (`POST /replays`):
   * `<operator>:<sha256 hex of the key>[,…]`. Optional: without any, nobody can start a replay over HTTP.
   */
  @Transform(csv)
  @IsArray()
  @Matches(OPERATOR_KEY_ENTRY, {
    each: true,
    message: 'each HUB_ADMIN_API_KEYS entry must be <operator>:<sha256 hex of the key> (64 hex digits)',
  })
  HUB_ADMIN_API_KEYS: string[] = [];

  /**
   * How long an answer of the key store (keys made through `/admin/v1`) is kept: a key created is
   * accepted, and one revoked refused, at most this long after the change.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000) HUB_KEY_CACHE_TTL_MS = 5_000;

  /**
   * Each tenant's default phone region, `<tenant>:<ISO 3166-1 alpha-2>[,…]` (e.g. `acme:US,shop-uk:GB`):
   * a lookup of a national number (`identity=phone:(650) 555-0123`) without `region=` is read in it.
   */
  @Transform(csv)
  @IsArray()
  @Matches(DEFAULT_REGION_ENTRY, {
    each: true,
    message: 'each QUERY_DEFAULT_REGIONS entry must be <tenant>:<ISO 3166-1 alpha-2 country code>, e.g. acme:US',
  })
  QUERY_DEFAULT_REGIONS: string[] = [];

  /**
   * `on`: webhook subscriptions may name `http://` endpoints on a loopback host (tests, development);
   * otherwise only `https://`. The outgoing-webhooks app has the same switch.
   */
  @IsIn(['on', 'off']) WEBHOOK_ALLOW_LOOPBACK_HTTP: 'on' | 'off' = 'off';

  /** Heartbeat (and fallback read) interval of live timelines. */
  @Type(() => Number) @IsInt() @Min(1_000) @Max(120_000) QUERY_LIVE_HEARTBEAT_MS = 15_000;

  /** Live timeline streams this process serves at most (each is a LISTEN subscription and a read per heartbeat); past it: 503. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) QUERY_LIVE_MAX_STREAMS = 1_000;

  /** Live timeline streams one API key holds open at most; past it: 429. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) QUERY_LIVE_MAX_STREAMS_PER_KEY = 100;

  /**
   * A live stream is ended after this long, whether its client reads or not (EventSource reconnects with
   * Last-Event-ID, missing nothing): a client that stopped reading holds its place under the caps at most this long.
   */
  @Type(() => Number) @IsInt() @Min(5_000) @Max(86_400_000) QUERY_LIVE_MAX_STREAM_MS = 900_000;

  /** The built analysts' console (apps/console), served at /console/ when it holds an index.html; relative to the working directory. */
  @IsString() QUERY_CONSOLE_DIR = 'dist/apps/console';

  /**
   * OpenID Connect (docs/operations.md, "Signing in with OpenID Connect"): the issuer whose access
   * tokens (JWTs) the API takes beside API keys, exactly as its tokens' `iss` says it. Unset: off,
   * and the OIDC_* settings below are not read. https, except on a loopback address.
   */
  @IsOptional() @IsString() OIDC_ISSUER_URL?: string;

  /** The `aud` the tokens for this API carry (required with OIDC_ISSUER_URL). */
  @IsOptional() @IsString() OIDC_AUDIENCE?: string;

  /** The claim naming the tenant (or an array of tenants) a token opens; a dotted path reaches into an object. */
  @IsString() @Matches(/^\S+$/) OIDC_TENANT_CLAIM = 'hub_tenant';

  /** The claim naming the caller's roles (an array or a space-separated string); a dotted path reaches into an object (`realm_access.roles`). */
  @IsString() @Matches(/^\S+$/) OIDC_ROLES_CLAIM = 'hub_roles';

  /**
   * What each role may do: `<role>=<grant>[+<grant>…][,…]`, grants among `read`, `write`, `erase`,
   * `audit` and `operator` (the operator routes). A role not listed grants nothing.
   */
  @Transform(csv)
  @IsArray()
  @Matches(ROLE_SCOPE_ENTRY, {
    each: true,
    message: 'each OIDC_ROLE_SCOPES entry must be <role>=<grant>[+<grant>…], grants among read, write, erase, audit, operator',
  })
  OIDC_ROLE_SCOPES: string[] = DEFAULT_ROLE_SCOPES;

  /** The issuer's JWKS; unset, the `jwks_uri` of its discovery document (`<issuer>/.well-known/openid-configuration`). */
  @IsOptional() @IsString() OIDC_JWKS_URL?: string;

  /** How far `exp` and `nbf` may be off, for clocks that differ. */
  @Type(() => Number) @IsInt() @Min(0) @Max(300) OIDC_CLOCK_TOLERANCE_SECONDS = 30;

  /** The audit log (docs/operations.md, "Audit log"): pending entries are written at least this often. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000) QUERY_AUDIT_FLUSH_MS = 1_000;

  /** Audit entries per insert; a full batch is written at once. */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) QUERY_AUDIT_BATCH_SIZE = 500;

  /**
   * Audit entries pending (or promised to calls under way) at most; past it an audited call is
   * refused with 503 (`query.audit.full`) rather than answered unrecorded.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) QUERY_AUDIT_MAX_PENDING = 50_000;

  /** Requests per RATE_LIMIT_WINDOW_MS one API key may make (counted by the key presented, valid or not); past it: 429. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000_000) RATE_LIMIT_PER_KEY = 5_000;

  /**
   * The secret that signs tracking links (`GET /r/:token`, a click as the customer's answer: docs/events.md,
   * "The customer's answer"), at least 32 characters. Unset: tracking links are off (both routes 404).
   * Rotating it breaks the links already sent.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'TRACKING_LINK_KEY must be at least 32 characters of secret' })
  TRACKING_LINK_KEY?: string;
}

/** The OpenID Connect settings when an issuer is configured (else none: tokens are not taken), and what is wrong with them. */
function oidcSettings(config: QueryApiEnv): { settings?: OidcSettings; problems: string[] } {
  const issuer = config.OIDC_ISSUER_URL;
  if (issuer === undefined) return { problems: [] };
  const problems: string[] = [];
  const checkUrl = (name: string, value: string) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push(`${name} must be an absolute URL`);
      return;
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
      problems.push(`${name} must be https (http only on a loopback address): the issuer's keys decide who may read`);
  };
  checkUrl('OIDC_ISSUER_URL', issuer);
  if (config.OIDC_JWKS_URL !== undefined) checkUrl('OIDC_JWKS_URL', config.OIDC_JWKS_URL);
  if (config.OIDC_AUDIENCE === undefined)
    problems.push("OIDC_AUDIENCE must name the audience (aud) of this API's tokens when OIDC_ISSUER_URL is set");
  const roles = parseRoleScopes(config.OIDC_ROLE_SCOPES);
  problems.push(...roles.problems.map((p) => `OIDC_ROLE_SCOPES: ${p}`));
  if (problems.length > 0) return { problems };
  return {
    settings: {
      issuer,
      audience: config.OIDC_AUDIENCE!,
      tenantClaim: config.OIDC_TENANT_CLAIM,
      rolesClaim: config.OIDC_ROLES_CLAIM,
      roles: roles.roles,
      ...(config.OIDC_JWKS_URL !== undefined ? { jwksUrl: config.OIDC_JWKS_URL } : {}),
      clockToleranceSeconds: config.OIDC_CLOCK_TOLERANCE_SECONDS,
    },
    problems,
  };
}

/** The query API's HTTP edge: analysts and agents call it, not providers, so one address gets 1,000/s by default. */
export class QueryApiEdgeEnv extends HttpEdgeEnv {
  override RATE_LIMIT_PER_ADDRESS = 10_000;
}

/** Every controller the query API serves (the audit spec checks each route is audited or named as holding no personal data). */
export const QUERY_API_CONTROLLERS = [
  CustomersController,
  NbaController,
  ClickController,
  WorkItemsController,
  WebhookSubscriptionsController,
  TimelineController,
  LiveTimelineController,
  ExportsController,
  SubjectAccessController,
  ReplaysController,
  StatsController,
  SavedQueriesController,
  AdminController,
  OperationsController,
  AuditController,
  QueryHealthController,
  MetricsController,
] as const;

export function queryApiModule(env: NodeJS.ProcessEnv) {
  const [config, edge] = loadConfigs<[QueryApiEnv, QueryApiEdgeEnv]>('query-api', env, QueryApiEnv, QueryApiEdgeEnv);
  const apiKeys = parseApiKeys(config.HUB_API_KEYS);
  const operatorKeys = parseOperatorKeys(config.HUB_ADMIN_API_KEYS, apiKeys.keys);
  const regions = parseDefaultRegions(config.QUERY_DEFAULT_REGIONS);
  const oidc = oidcSettings(config);
  const problems = [
    ...(config.HUB_API_KEYS.length === 0 && config.HUB_ADMIN_API_KEYS.length === 0 && config.OIDC_ISSUER_URL === undefined
      ? [
          'HUB_API_KEYS must list at least one <tenant>:<sha256 hex of the key> (or HUB_ADMIN_API_KEYS an operator key, who makes tenant keys through /admin/v1, or OIDC_ISSUER_URL an identity provider): every read needs a key or a token (docs/operations.md, "API keys")',
        ]
      : []),
    ...oidc.problems,
    ...apiKeys.problems.map((p) => `HUB_API_KEYS: ${p}`),
    ...operatorKeys.problems.map((p) => `HUB_ADMIN_API_KEYS: ${p}`),
    ...regions.problems.map((p) => `QUERY_DEFAULT_REGIONS: ${p}`),
    ...(edge.HTTP_CONNECTION_TIMEOUT_MS >= 2 * config.QUERY_LIVE_HEARTBEAT_MS
      ? []
      : [
          `HTTP_CONNECTION_TIMEOUT_MS (${edge.HTTP_CONNECTION_TIMEOUT_MS}) must be at least twice QUERY_LIVE_HEARTBEAT_MS (${config.QUERY_LIVE_HEARTBEAT_MS}): an idle live stream would be cut between heartbeats`,
        ]),
  ];
  if (problems.length > 0) throw new ConfigError('query-api', problems);
  const live: LiveSettings = {
    heartbeatMs: config.QUERY_LIVE_HEARTBEAT_MS,
    lookbackMs: 30_000,
    maxBufferedBytes: 1 << 20,
    // Two heartbeats with the socket full: the client has stopped reading.
    writeStallMs: 2 * config.QUERY_LIVE_HEARTBEAT_MS,
    maxStreamMs: config.QUERY_LIVE_MAX_STREAM_MS,
    maxStreams: config.QUERY_LIVE_MAX_STREAMS,
    maxStreamsPerKey: config.QUERY_LIVE_MAX_STREAMS_PER_KEY,
  };
  @Module({
    controllers: [...QUERY_API_CONTROLLERS],
    // Logger, pool and customer stores, closed after every onModuleDestroy (replays stopped first). No Kafka
    // here: only the operator routes use it (and Redis), through OperatorInfra, opened on their first call.
    imports: [
      HubPlatformModule.forApp('query-api', config, {
        pool: { max: 10, idleErrorEvent: 'query.pg.idle_client_error' },
        kafka: false,
        schema: [TIMELINE_SCHEMA, NBA_OUTCOMES_SCHEMA, WORK_ITEMS_SCHEMA, API_KEYS_SCHEMA, WEBHOOKS_SCHEMA],
        appSchema: [SAVED_QUERIES_SCHEMA],
      }),
      TerminusModule.forRoot({ logger: false }),
    ],
    providers: [
      { provide: API_KEYS, useValue: new ApiKeyRegistry(apiKeys.keys) },
      { provide: OPERATOR_KEYS, useValue: new ApiKeyRegistry(operatorKeys.keys) },
      { provide: KEY_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresKeyStore(pool) },
      // Ready when PostgreSQL (the read model, the keys, the store) answers on the app's pool.
      { provide: HEALTH_PROBES, inject: [PG_POOL], useFactory: (pool: Pool): DependencyProbe[] => [postgresProbe(pool)] },
      HealthProbesCloser,
      {
        provide: STORED_KEYS,
        inject: [KEY_STORE],
        useFactory: (store: PostgresKeyStore) => new CachedKeyLookup(store, config.HUB_KEY_CACHE_TTL_MS),
      },
      { provide: OIDC_VERIFIER, useValue: oidc.settings ? new OidcVerifier(oidc.settings) : null },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      {
        provide: AUDIT_SETTINGS,
        useValue: {
          flushMs: config.QUERY_AUDIT_FLUSH_MS,
          batchSize: config.QUERY_AUDIT_BATCH_SIZE,
          maxPending: config.QUERY_AUDIT_MAX_PENDING,
        } satisfies AuditSettings,
      },
      {
        // A pool of its own, which the trail closes after its last flush (audit-trail.ts).
        provide: AUDIT_STORE,
        inject: [LOGGER],
        useFactory: (logger: HubLogger): AuditStore => {
          const pool = createPgPool({ connectionString: config.DATABASE_URL, max: 2 });
          pool.on('error', (err) => logger.warn({ err: String(err) }, 'query.audit.pg_idle_client_error'));
          return { log: new PostgresAuditLog(pool), close: () => pool.end() };
        },
      },
      AuditTrail,
      { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      { provide: TIMELINE_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTimelineStore(pool) },
      { provide: TIMELINE_QUERIES, inject: [PG_POOL], useFactory: (pool: Pool) => new TimelineQueries(pool) },
      { provide: SAVED_QUERIES, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresSavedQueries(pool) },
      {
        provide: TIMELINE_NOTIFICATIONS,
        inject: [LOGGER],
        useFactory: (logger: HubLogger) => new TimelineNotifications({ connectionString: config.DATABASE_URL }, logger),
      },
      { provide: LIVE_SETTINGS, useValue: live },
      LiveTimelines,
      { provide: CUSTOMER_REPOSITORY, inject: [CUSTOMER_STORES], useFactory: (stores: CustomerStores) => stores.customers },
      { provide: SEND_LEDGER, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresSendLedger(pool) },
      { provide: DEFAULT_PHONE_REGIONS, useValue: regions.byTenant },
      { provide: TRACKING_LINK_KEY, useValue: config.TRACKING_LINK_KEY ?? null },
      { provide: OUTCOME_TALLY_READER, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresOutcomeTallyReader(pool) },
      { provide: WORK_ITEM_QUERIES, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresWorkItemReader(pool) },
      { provide: WEBHOOK_SUBSCRIPTIONS, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresWebhookStore(pool) },
      {
        provide: WEBHOOK_URL_POLICY,
        useValue: { allowLoopbackHttp: config.WEBHOOK_ALLOW_LOOPBACK_HTTP === 'on' } satisfies WebhookUrlPolicy,
      },
      {
        provide: TIMELINE_REPLAYS,
        inject: [PG_POOL, EVENT_STORE, LOGGER],
        useFactory: (pool: Pool, store: EventStore, logger: HubLogger) =>
          new TimelineReplayJobs({
            pool,
            store,
            logger,
            databaseUrl: config.DATABASE_URL,
            openSchemaPool: (schema) => {
              const rebuild = createPgPool({
                connectionString: config.DATABASE_URL,
                max: 4,
                searchPath: schema,
                lockTimeoutMs: 0,
                readTimeoutMs: 0,
              });
              rebuild.on('error', (err) => logger.warn({ err: String(err), schema }, 'query.replay.pg_error'));
              return rebuild;
            },
          }),
      },
      ReplayLifecycle,
      {
        provide: OPERATOR_INFRA_SETTINGS,
        useValue: {
          kafka: kafkaConnection(config, 'hub-query-api-operator'),
          redisUrl: config.REDIS_URL,
          ...(config.HUB_NAMESPACE ? { namespace: config.HUB_NAMESPACE } : {}),
        } satisfies OperatorInfraSettings,
      },
      OperatorInfra,
      QueryResources,
    ],
  })
  class QueryApiModule {}
  return { module: QueryApiModule, config, edge };
}
