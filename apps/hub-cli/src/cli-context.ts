import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import pino from 'pino';
import { loadConfig } from '@hub/config';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { createKafka } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';
import type { CliIo } from './cli-io';
import { CliEnv } from './cli.env';

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
  private readonly closers: (() => Promise<void>)[] = [];

  /** Throws `ConfigError` (one line per problem) before anything connects. */
  constructor(readonly io: CliIo) {
    this.config = loadConfig('hub', CliEnv, io.env);
    this.logger = pino({ name: 'hub-cli', level: this.config.LOG_LEVEL, base: { app: 'hub-cli' }, timestamp: pino.stdTimeFunctions.isoTime }, io.stderr);
  }

  /** The hub's database: event store, checkpoints, keys and the live read model (the connection's default schema). */
  get pool(): Pool {
    if (!this.pgPool) {
      const pool = new Pool({ connectionString: this.config.DATABASE_URL, max: 8, connectionTimeoutMillis: 10_000 });
      pool.on('error', (err) => this.logger.warn({ err: String(err) }, 'cli.pg.idle_client_error'));
      this.pgPool = pool;
    }
    return this.pgPool;
  }

  /** A new pool whose connections see `schema` first (a rebuild's tables); whoever opens it ends it (the replay does). */
  openSchemaPool(schema: string, max = 4): Pool {
    const pool = new Pool({ connectionString: this.config.DATABASE_URL, max, connectionTimeoutMillis: 10_000, options: `-c search_path=${schema}` });
    pool.on('error', (err) => this.logger.warn({ err: String(err) }, 'cli.pg.idle_client_error'));
    return pool;
  }

  /** The record's stores exactly as the apps build them: personal fields are opened with `HUB_KEK`. */
  stores(): Promise<CustomerStores> {
    this.customerStores ??= createCustomerStores(this.pool, { ...(this.config.HUB_KEK ? { kek: this.config.HUB_KEK } : {}), snapshotEvery: this.config.SNAPSHOT_EVERY });
    return this.customerStores;
  }

  get kafka(): Kafka {
    this.kafkaClient ??= createKafka({ brokers: this.config.KAFKA_BROKERS, clientId: 'hub-cli' }, this.logger);
    return this.kafkaClient;
  }

  /** Register something to close before the pools end (a publisher, a subscription). */
  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'cli.close.failed'));
    if (this.customerStores) await (await this.customerStores.catch(() => undefined))?.store.close().catch(() => undefined);
    await this.pgPool?.end().catch(() => undefined);
  }
}
