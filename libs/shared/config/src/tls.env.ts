import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

const bool = ({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
  typeof obj[key] === 'string' ? obj[key] === 'true' : obj[key];

/** Why a file given as a certificate, key or CA cannot be used, or `undefined` when it can be read. */
export function unreadableFileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? String(err)})`;
  }
}

@ValidatorConstraint({ name: 'readableFile' })
class ReadableFile implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && unreadableFileProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    // loadConfig puts the variable's name in front
    return typeof args.value === 'string' ? (unreadableFileProblem(args.value) ?? '') : 'must be a file path';
  }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------

/**
 * The `sslmode`s the hub accepts, with libpq's meaning (so `pg_dump` under `hub backup` and the apps
 * agree): `disable` no TLS; `require` encrypted, the server not checked (unless a CA is given: then as
 * `verify-ca`); `verify-ca` the server's certificate is signed by the CA; `verify-full` that, and its
 * name is the host connected to. `allow` and `prefer` fall back to plain text when TLS fails, so they
 * are refused: say `disable` or one of the others.
 */
export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

/** Where each file variable goes in the connection string (libpq's own parameter names). */
const DATABASE_SSL_FILE_PARAMS = {
  DATABASE_SSL_CA_FILE: 'sslrootcert',
  DATABASE_SSL_CERT_FILE: 'sslcert',
  DATABASE_SSL_KEY_FILE: 'sslkey',
} as const;

/** The variables that set TLS for PostgreSQL besides the URL's own query. */
export type DatabaseTlsSettings = Partial<Record<keyof typeof DATABASE_SSL_FILE_PARAMS | 'PGSSLMODE', string>>;

/**
 * DATABASE_URL as every PostgreSQL client of the hub opens it: the URL of the environment with the
 * TLS settings folded in, so that each pool, listener and lock connection (and `pg_dump`, through
 * `libpqConnectionString`) gets the same TLS without each being told. `DATABASE_SSL_CA_FILE`,
 * `_CERT_FILE` and `_KEY_FILE` become `sslrootcert`, `sslcert` and `sslkey` (replacing the URL's
 * own); the mode is the URL's `sslmode`, else `PGSSLMODE`, else `verify-full` when a file is given,
 * else none (plain, as before). node-postgres reads the files on every new connection, so a rotated
 * certificate is used without a restart. `uselibpqcompat=true` gives `sslmode` libpq's meaning in
 * node-postgres (without it `require` and `verify-ca` would mean `verify-full`).
 */
export function databaseUrlWithTls(raw: string, settings: DatabaseTlsSettings): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw; // reported by the URL's own validation
  }
  const q = url.searchParams;
  let fileGiven = false;
  for (const [variable, param] of Object.entries(DATABASE_SSL_FILE_PARAMS)) {
    const file = settings[variable as keyof typeof DATABASE_SSL_FILE_PARAMS];
    if (file !== undefined && file !== '') q.set(param, file);
    if (q.has(param)) fileGiven = true;
  }
  const pgsslmode = settings.PGSSLMODE;
  if (!q.has('sslmode')) {
    if (pgsslmode !== undefined && pgsslmode !== '') q.set('sslmode', pgsslmode);
    else if (fileGiven) q.set('sslmode', 'verify-full');
  }
  if (q.has('sslmode') && !q.has('uselibpqcompat')) q.set('uselibpqcompat', 'true');
  return url.href === raw ? raw : url.href;
}

/** What is wrong with the TLS settings of an (effective) DATABASE_URL, one line each. */
export function databaseTlsProblems(effectiveUrl: string, filesCheckedElsewhere: ReadonlySet<string>): string[] {
  let url: URL;
  try {
    url = new URL(effectiveUrl);
  } catch {
    return [];
  }
  const q = url.searchParams;
  const problems: string[] = [];
  const mode = q.get('sslmode');
  if (mode !== null && !(DATABASE_SSL_MODES as readonly string[]).includes(mode))
    problems.push(`sslmode=${mode} (from DATABASE_URL or PGSSLMODE) is not one of ${DATABASE_SSL_MODES.join(', ')}`);
  const files = Object.values(DATABASE_SSL_FILE_PARAMS).flatMap((param): [string, string][] => {
    const file = q.get(param);
    return file === null ? [] : [[param, file]];
  });
  if (mode === 'disable' && files.length > 0)
    problems.push(`sslmode=disable, yet ${files.map(([p]) => p).join(', ')} is given: remove it or choose a TLS mode`);
  if (mode === 'verify-ca' && !q.has('sslrootcert')) problems.push('sslmode=verify-ca needs the CA: set DATABASE_SSL_CA_FILE');
  if (q.has('sslcert') !== q.has('sslkey'))
    problems.push(
      'a client certificate needs its key and the key its certificate: set both DATABASE_SSL_CERT_FILE and DATABASE_SSL_KEY_FILE',
    );
  for (const [param, file] of files) {
    if (filesCheckedElsewhere.has(file)) continue;
    const problem = unreadableFileProblem(file);
    if (problem) problems.push(`${param}: ${problem}`);
  }
  return problems;
}

/**
 * The connection string for libpq's own tools (`pg_dump`, `pg_restore`, `psql`): the same settings,
 * without node-postgres's `uselibpqcompat`, which libpq refuses as an unknown parameter.
 */
export function libpqConnectionString(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (!u.searchParams.has('uselibpqcompat')) return url;
  u.searchParams.delete('uselibpqcompat');
  return u.href;
}

@ValidatorConstraint({ name: 'databaseTls' })
export class DatabaseTls implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return typeof value !== 'string' || databaseTlsProblems(value, checkedElsewhere(args.object)).length === 0;
  }
  defaultMessage(args: ValidationArguments): string {
    return typeof args.value === 'string' ? databaseTlsProblems(args.value, checkedElsewhere(args.object)).join('; ') : '';
  }
}

/** Files of the DATABASE_SSL_*_FILE variables: their own validation names the variable. */
function checkedElsewhere(env: object): ReadonlySet<string> {
  const values = Object.keys(DATABASE_SSL_FILE_PARAMS).map((k) => (env as Record<string, unknown>)[k]);
  return new Set(values.filter((v): v is string => typeof v === 'string'));
}

// ---------------------------------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------------------------------

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

@ValidatorConstraint({ name: 'needsKafkaSsl' })
class NeedsKafkaSsl implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as { KAFKA_SSL?: boolean }).KAFKA_SSL === true;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is set but KAFKA_SSL is not true`;
  }
}

/**
 * TLS and SASL of the hub's PostgreSQL and Kafka connections (docs/operations.md, "TLS"). Every app's
 * settings extend it (through `HubEnv`), so each is validated at boot: a CA, certificate or key that
 * does not exist or cannot be read stops the app, naming the variable.
 */
export class ConnectionSecurityEnv {
  /** Kafka over TLS (the brokers' SSL or SASL_SSL listener). */
  @Transform(bool) @IsBoolean() KAFKA_SSL = false;

  /** CA bundle (PEM) the brokers' certificates are checked against; default: Node's public CAs. */
  @ValidateIf((env: ConnectionSecurityEnv) => env.KAFKA_SSL_CA_FILE !== undefined)
  @Validate(ReadableFile)
  @Validate(NeedsKafkaSsl)
  KAFKA_SSL_CA_FILE?: string;

  /** This client's certificate chain (PEM), for brokers that require client certificates (`ssl.client.auth=required`). */
  @ValidateIf((env: ConnectionSecurityEnv) => env.KAFKA_SSL_CERT_FILE !== undefined || env.KAFKA_SSL_KEY_FILE !== undefined)
  @IsString({ message: 'KAFKA_SSL_CERT_FILE: a client key needs its certificate' })
  @Validate(ReadableFile)
  @Validate(NeedsKafkaSsl)
  KAFKA_SSL_CERT_FILE?: string;

  /** The private key (PEM, unencrypted) of KAFKA_SSL_CERT_FILE. */
  @ValidateIf((env: ConnectionSecurityEnv) => env.KAFKA_SSL_CERT_FILE !== undefined || env.KAFKA_SSL_KEY_FILE !== undefined)
  @IsString({ message: 'KAFKA_SSL_KEY_FILE: a client certificate needs its key' })
  @Validate(ReadableFile)
  @Validate(NeedsKafkaSsl)
  KAFKA_SSL_KEY_FILE?: string;

  /**
   * `false` accepts any broker certificate (no CA, no name check): an encrypted link to whoever
   * answers. For a test bench only.
   */
  @Transform(bool) @IsBoolean() KAFKA_SSL_REJECT_UNAUTHORIZED = true;

  /** SASL authentication to the brokers; without KAFKA_SSL the password of `plain` crosses the network readable. */
  @IsOptional()
  @IsIn(KAFKA_SASL_MECHANISMS, { message: `KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` })
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

  @ValidateIf((env: ConnectionSecurityEnv) => env.KAFKA_SASL_MECHANISM !== undefined)
  @IsString({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_USERNAME?: string;

  @ValidateIf((env: ConnectionSecurityEnv) => env.KAFKA_SASL_MECHANISM !== undefined)
  @IsString({ message: 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_PASSWORD?: string;

  /** libpq's variable: the TLS mode of PostgreSQL connections when DATABASE_URL names no `sslmode`. */
  @IsOptional() @IsString() PGSSLMODE?: string;

  /** CA bundle (PEM) the PostgreSQL server's certificate is checked against (`sslrootcert`). */
  @IsOptional() @Validate(ReadableFile) DATABASE_SSL_CA_FILE?: string;

  /** Client certificate (PEM) for servers that require one (`hostssl … cert` in pg_hba.conf): `sslcert`. */
  @IsOptional() @Validate(ReadableFile) DATABASE_SSL_CERT_FILE?: string;

  /** Its private key (PEM; mode 0600, or libpq's tools refuse it): `sslkey`. */
  @IsOptional() @Validate(ReadableFile) DATABASE_SSL_KEY_FILE?: string;
}

/** What kafkajs takes for TLS and SASL (structurally its `KafkaConfig['ssl' | 'sasl']`). */
export interface KafkaSecurity {
  ssl?: ConnectionOptions;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

/**
 * The TLS and SASL options of every Kafka client of the hub, from validated settings. The files are
 * read here, when the client is made: a rotated certificate is picked up by a restart.
 */
export function kafkaSecurity(env: Omit<KafkaClientSettings, 'KAFKA_BROKERS'>): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (env.KAFKA_SSL) {
    const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file, 'utf8'));
    const ssl: ConnectionOptions = { rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED };
    const ca = read(env.KAFKA_SSL_CA_FILE);
    const cert = read(env.KAFKA_SSL_CERT_FILE);
    const key = read(env.KAFKA_SSL_KEY_FILE);
    if (ca !== undefined) ssl.ca = ca;
    if (cert !== undefined) ssl.cert = cert;
    if (key !== undefined) ssl.key = key;
    security.ssl = ssl;
  }
  if (env.KAFKA_SASL_MECHANISM !== undefined)
    security.sasl = {
      mechanism: env.KAFKA_SASL_MECHANISM,
      username: env.KAFKA_SASL_USERNAME ?? '',
      password: env.KAFKA_SASL_PASSWORD ?? '',
    };
  return security;
}

/** The settings a Kafka client is made from. */
export type KafkaClientSettings = { KAFKA_BROKERS: string[] } & Pick<
  ConnectionSecurityEnv,
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
  | 'KAFKA_SSL_REJECT_UNAUTHORIZED'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
>;

/** Brokers, client id, TLS and SASL of one Kafka client of the hub: what `createKafka` takes. */
export type KafkaClientConnection = { brokers: string[]; clientId: string } & KafkaSecurity;

/** The one place every app and the CLI get their Kafka connection from (`createKafka(kafkaConnection(config, app))`). */
export function kafkaConnection(env: KafkaClientSettings, clientId: string): KafkaClientConnection {
  return { brokers: env.KAFKA_BROKERS, clientId, ...kafkaSecurity(env) };
}
