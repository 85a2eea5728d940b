import { Transform, Type } from 'class-transformer';
import { ArrayNotEmpty, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, Validate, ValidateIf } from 'class-validator';
import { IDENTITY_HASH_KEY_PATTERN } from '@hub/contracts';
import { ConnectionSecurityEnv, DatabaseTls, databaseUrlWithTls } from './tls.env';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/hub';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/** Settings every hub app shares. Each app extends this with its own. */
export class HubEnv extends ConnectionSecurityEnv {
  @Transform(csv)
  @ArrayNotEmpty()
  @Matches(/^[^:\s]+:\d+$/, { each: true, message: 'KAFKA_BROKERS must be host:port[,host:port]' })
  KAFKA_BROKERS: string[] = ['127.0.0.1:9092'];

  /**
   * Copies of each hub topic an app creates (an existing topic is left as it is): 1 for the one-broker
   * dev setup; 3 on a cluster (then `min.insync.replicas` is 2). See docs/operations.md, "Durability".
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  KAFKA_REPLICATION_FACTOR = 1;

  /**
   * How long a hot-path consumer's fetch (the recorder's, the NBA worker's) may wait on the broker
   * for more messages, unless 64 KiB are there sooner: at low rates a turn of the consumer then
   * carries the messages of a few milliseconds instead of one each (each turn pays fixed round
   * trips downstream). 0 answers every fetch as soon as one message is there. docs/benchmarks.md.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000)
  KAFKA_FETCH_WAIT_MS = 0;

  /** DATABASE_URL as the environment gives it; read DATABASE_URL, which carries the TLS settings too. */
  private givenDatabaseUrl = DEFAULT_DATABASE_URL;

  /**
   * The hub's database, with the TLS settings (`DATABASE_SSL_*_FILE`, `PGSSLMODE`) folded into its
   * query (`databaseUrlWithTls`): every PostgreSQL client opened from it speaks TLS as configured,
   * without being told. An accessor, so that the fold sees the other variables however they are set.
   */
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  @Validate(DatabaseTls)
  get DATABASE_URL(): string {
    return databaseUrlWithTls(this.givenDatabaseUrl, this);
  }
  set DATABASE_URL(url: string) {
    this.givenDatabaseUrl = url;
  }

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Prefix of every Kafka topic, consumer group and BullMQ queue (see `hubNames`); empty by default. */
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'HUB_NAMESPACE must be lower-case letters, digits and -, at most 40' })
  HUB_NAMESPACE?: string;

  /**
   * `development` and `test` allow running without an `IDENTITY_HASH_KEY` (the published dev key is
   * used). Defaults to the process's own NODE_ENV, so an app started in-process with an explicit env
   * (a test under Jest, which sets `test`) is judged by the process it runs in.
   */
  @IsOptional() @IsString() NODE_ENV?: string = process.env['NODE_ENV'];

  /**
   * The secret that names identity claim streams and keys interactions on Kafka (HMAC-SHA-256,
   * derived per tenant: `IdentityHasher`): 32 bytes, base64 (`openssl rand -base64 32`). The same in
   * every app of a deployment. Required unless NODE_ENV is `development` or `test`; rotating it means
   * `hub identities migrate` (docs/operations.md, "Identity hash key").
   */
  @ValidateIf((env: HubEnv) => env.IDENTITY_HASH_KEY !== undefined || !isDevelopmentEnv(env.NODE_ENV))
  @Matches(IDENTITY_HASH_KEY_PATTERN, {
    message: 'IDENTITY_HASH_KEY must be set (unless NODE_ENV is development or test) to 32 bytes in base64: openssl rand -base64 32',
  })
  IDENTITY_HASH_KEY?: string;

  /**
   * The key before the last rotation, while `hub identities migrate` has not moved every claim yet:
   * look-ups fall back to the names it gives. Remove it once the migration has run.
   */
  @IsOptional()
  @Matches(IDENTITY_HASH_KEY_PATTERN, { message: 'IDENTITY_HASH_PREVIOUS_KEY must be 32 bytes in base64' })
  IDENTITY_HASH_PREVIOUS_KEY?: string;

  /**
   * What an app does at boot about its tables' schema migrations (docs/operations.md, "Schema
   * migrations"): `auto` applies what is pending (under a lock: one instance migrates); `check`
   * refuses to start while anything is pending, naming it (`hub migrate up` first). Default: `check`
   * when NODE_ENV is `production`, else `auto` (a fresh dev or test database just works).
   */
  @IsOptional() @IsIn(['auto', 'check'], { message: 'HUB_MIGRATE must be auto or check' }) HUB_MIGRATE?: 'auto' | 'check';
}

/** The boot-time migration mode: `HUB_MIGRATE`, or its default for NODE_ENV (`check` in production only). */
export function schemaMigrateMode(env: Pick<HubEnv, 'HUB_MIGRATE' | 'NODE_ENV'>): 'auto' | 'check' {
  return env.HUB_MIGRATE ?? (env.NODE_ENV === 'production' ? 'check' : 'auto');
}

/** Environments where the published development identity key may stand in for a missing one. */
export const DEVELOPMENT_ENVS: readonly string[] = ['development', 'test'];

export function isDevelopmentEnv(nodeEnv: string | undefined): boolean {
  return nodeEnv !== undefined && DEVELOPMENT_ENVS.includes(nodeEnv);
}

/** Settings of apps that read or write the customer record. */
export class RecordEnv extends HubEnv {
  /**
   * Key-encryption key that wraps every customer's data key (32 bytes, base64: `openssl rand -base64 32`).
   * Without it, data keys are stored unwrapped in the same database: development only.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'HUB_KEK must be 32 bytes in base64 (openssl rand -base64 32)' })
  HUB_KEK?: string;

  /**
   * PostgreSQL store: the shortest time between two reads of a caught-up subscription (the
   * projection, the relays) and between two append notifications this process sends, so that at
   * low rates one read carries a few milliseconds of appends instead of one each. 0: none.
   * docs/benchmarks.md.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(500)
  EVENT_STORE_MIN_GAP_MS = 0;

  /** Take a snapshot of a customer's folded state every this many events. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) SNAPSHOT_EVERY = 50;

  /**
   * Where the events live (`createCustomerStores`): `postgres` (DATABASE_URL's database, the
   * default) or `eventstoredb` (EVENTSTORE_URL). Keys, snapshots, checkpoints and read models stay in
   * PostgreSQL either way (docs/operations.md, "Event store").
   */
  @IsIn(['postgres', 'eventstoredb'], { message: 'EVENT_STORE must be postgres or eventstoredb' })
  EVENT_STORE: 'postgres' | 'eventstoredb' = 'postgres';

  /** EventStoreDB connection string, e.g. `esdb://127.0.0.1:2113?tls=false`; required when EVENT_STORE=eventstoredb. */
  @ValidateIf((env: RecordEnv) => env.EVENT_STORE === 'eventstoredb' || env.EVENTSTORE_URL !== undefined)
  @Matches(/^esdb(\+discover)?:\/\/\S+$/, { message: 'EVENTSTORE_URL must be an esdb:// URL (required when EVENT_STORE=eventstoredb)' })
  EVENTSTORE_URL?: string;
}

export class HttpEnv extends HubEnv {
  @IsString() HOST = '127.0.0.1';
  /** 0 picks a free port (tests, the demo); the app logs the URL it got. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
}

/**
 * The probe server of an app that serves no HTTP otherwise (timeline-projector, nba-worker):
 * `GET /health/live` and `/health/ready` on `HEALTH_HOST:HEALTH_PORT`. `HEALTH_PORT=off` serves
 * nothing; `0` picks a free port (tests, the demo, the benchmarks: several instances on one host),
 * logged by the app. Each app sets its own default port.
 */
export class ProbeServerEnv extends RecordEnv {
  @IsString() HEALTH_HOST = '127.0.0.1';

  @Transform(({ value }: { value: unknown }) =>
    value === 'off' ? 'off' : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @ValidateIf((env: ProbeServerEnv) => env.HEALTH_PORT !== 'off')
  @IsInt({ message: 'HEALTH_PORT must be off or a port (0 picks a free one)' })
  @Min(0)
  @Max(65535)
  HEALTH_PORT: number | 'off' = 'off';
}
