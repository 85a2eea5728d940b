import { createPgPool } from '@hub/platform';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import pino from 'pino';
import { identityHashing, kafkaConnection, loadConfig } from '@hub/config';
import { customerStream } from '@hub/contracts';
import { createCustomerStores, customerStoresOptions, type CustomerStores } from '@hub/customer-records';
import { postgresEventStoreExists, postgresStreamsExist } from '@hub/event-store';
import { createKafka } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';
import type { CliIo } from './cli-io';
import { CliEnv } from './cli.env';
import { CliFailure } from './cli.errors';

/**
 * What the commands share, opened only when a command asks for it (`hub export` never builds the
 * encrypting store; `hub state` never connects to Kafka) and closed once by `run`.
 */
export class CliContext {
  readonly config: CliEnv;
  readonly logger: HubLogger;
  private pgPool: Pool | undefined;
  private customerStores: Promise<CustomerStores> | undefined;
  private kafkaClient: Kafka | undefined;
  private hubDatabase: Promise<void> | undefined;
  private readonly closers: (() => Promise<void>)[] = [];

  /** Throws `ConfigError` (one line per problem) before anything connects. */
  constructor(readonly io: CliIo) {
    this.config = loadConfig('hub', CliEnv, io.env);
    this.logger = pino(
      { name: 'hub-cli', level: this.config.LOG_LEVEL, base: { app: 'hub-cli' }, timestamp: pino.stdTimeFunctions.isoTime },
      io.stderr,
    );
  }

  /** The hub's database: event store, checkpoints, keys and the live read model (the connection's default schema). */
  get pool(): Pool {
    if (!this.pgPool) {
      // Exports and replays may run statements for long: no read timeout.
      const pool = createPgPool({ connectionString: this.config.DATABASE_URL, max: 8, readTimeoutMs: 0 });
      pool.on('error', (err) => this.logger.warn({ err: String(err) }, 'cli.pg.idle_client_error'));
      this.pgPool = pool;
    }
    return this.pgPool;
  }

  /** A new pool whose connections see `schema` first (a rebuild's tables); whoever opens it ends it (the replay does). */
  openSchemaPool(schema: string, max = 4): Pool {
    // A takeover waits for the live tables' readers as long as it must: no lock timeout here.
    const pool = createPgPool({ connectionString: this.config.DATABASE_URL, max, searchPath: schema, lockTimeoutMs: 0, readTimeoutMs: 0 });
    pool.on('error', (err) => this.logger.warn({ err: String(err) }, 'cli.pg.idle_client_error'));
    return pool;
  }

  /** Which database the commands read, for messages: `database "hub" on 127.0.0.1:5432` (never the credentials). */
  get where(): string {
    try {
      const url = new URL(this.config.DATABASE_URL);
      return `database ${JSON.stringify(decodeURIComponent(url.pathname.slice(1)) || url.username || 'postgres')} on ${url.hostname || 'localhost'}:${url.port || '5432'}`;
    } catch {
      return 'the database of DATABASE_URL';
    }
  }

  /**
   * Fails unless DATABASE_URL is a hub's database (its event store tables exist), before anything
   * is created in it: a mistyped URL must not read as an empty hub that answers "no differences".
   */
  requireHubDatabase(): Promise<void> {
    this.hubDatabase ??= postgresEventStoreExists(this.pool).then((present) => {
      if (!present)
        throw new CliFailure(
          'CLI_NOT_A_HUB_DATABASE',
          `${this.where} holds no hub event store (no hub_events table): is DATABASE_URL the hub's database? (\`npm run demo\` prints the one it writes to)`,
        );
    });
    return this.hubDatabase;
  }

  /** Fails unless the tenant has at least one customer stream in the hub's database: a typo is an error, not an empty result. */
  async requireTenant(tenantId: string): Promise<void> {
    await this.requireHubDatabase();
    if (!(await postgresStreamsExist(this.pool, customerStream(tenantId, ''))))
      throw new CliFailure('CLI_UNKNOWN_TENANT', `tenant ${JSON.stringify(tenantId)} has no events in ${this.where}`);
  }

  /** The record's stores exactly as the apps build them: personal fields are opened with `HUB_KEK`. */
  stores(): Promise<CustomerStores> {
    this.customerStores ??= this.requireHubDatabase().then(() =>
      createCustomerStores(this.pool, customerStoresOptions(this.config, identityHashing(this.config))),
    );
    return this.customerStores;
  }

  get kafka(): Kafka {
    this.kafkaClient ??= createKafka(kafkaConnection(this.config, 'hub-cli'), this.logger);
    return this.kafkaClient;
  }

  /** Register something to close before the pools end (a publisher, a subscription). */
  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse())
      await close().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'cli.close.failed'));
    if (this.customerStores) await (await this.customerStores.catch(() => undefined))?.store.close().catch(() => undefined);
    await this.pgPool?.end().catch(() => undefined);
  }
}
