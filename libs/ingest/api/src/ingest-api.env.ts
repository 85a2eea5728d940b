import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { HttpEnv } from '@hub/config';
import { TENANT_ID_PATTERN } from '@hub/contracts';
import { AttributeSchemas } from './attribute-schemas';
import { parseSourceKeys } from './source-keys';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
const KIB = 1024;
const MIB = 1024 * KIB;

@ValidatorConstraint({ name: 'sourceKeyList' })
class SourceKeyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && parseSourceKeys(value.map(String)).problems.length === 0;
  }
  defaultMessage(args: ValidationArguments): string {
    const value: unknown = args.value;
    return Array.isArray(value) ? parseSourceKeys(value.map(String)).problems.join('; ') : 'INGEST_API_KEYS must be a comma-separated list';
  }
}

@ValidatorConstraint({ name: 'attributeSchemas' })
class AttributeSchemaSetting implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && AttributeSchemas.load(value).ok;
  }
  defaultMessage(args: ValidationArguments): string {
    const loaded = typeof args.value === 'string' ? AttributeSchemas.load(args.value) : undefined;
    return loaded && !loaded.ok ? loaded.problems.join('; ') : 'INGEST_ATTRIBUTE_SCHEMAS must be JSON or the path of a JSON file';
  }
}

/** ingest-api's settings, validated at boot (STYLE.md #16). */
export class IngestApiEnv extends HttpEnv {
  /**
   * `<source>:<tenant>:<sha256 hex of the key>[,…]`: who may send, for which tenant. Empty: the HTTP
   * API refuses every request (the raw topic still works).
   */
  @Transform(csv)
  @IsArray()
  @Validate(SourceKeyList)
  INGEST_API_KEYS: string[] = [];

  /**
   * Also take the `ingest` keys made through the query API's `/admin/v1` (the key store in
   * DATABASE_URL's database), without a restart. Off: only INGEST_API_KEYS (and no PostgreSQL needed).
   */
  @Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
    typeof obj[key] === 'string' ? obj[key] === 'true' : obj[key],
  )
  @IsBoolean()
  INGEST_KEY_STORE_ENABLED = false;

  /** How long an answer of the key store is kept: a key created or revoked is taken or refused at most this long after. */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000) HUB_KEY_CACHE_TTL_MS = 5_000;

  /** Tenants whose events are taken from the raw topic; any other tenant's message is dead-lettered. */
  @Transform(csv)
  @IsArray()
  @Matches(TENANT_ID_PATTERN, {
    each: true,
    message: 'INGEST_RAW_TENANTS must be tenant ids (lower-case letters, digits, - or _), comma-separated',
  })
  INGEST_RAW_TENANTS: string[] = [];

  /**
   * Each tenant's extension attributes (`data.attributes`): `{ "<tenant>": <JSON Schema of an
   * object>, … }` as JSON, or the path of a file holding it. Compiled at boot (a bad schema fails
   * it); a tenant without one may send no attributes.
   */
  @IsString()
  @Validate(AttributeSchemaSetting)
  INGEST_ATTRIBUTE_SCHEMAS = '';

  /** Consume the raw topic (`hub.raw-interactions.v1`). */
  @Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
    typeof obj[key] === 'string' ? obj[key] === 'true' : obj[key],
  )
  @IsBoolean()
  INGEST_RAW_ENABLED = true;

  /** Raw-topic partitions processed in parallel. */
  @Type(() => Number) @IsInt() @Min(1) @Max(64) INGEST_RAW_CONCURRENCY = 3;

  /** A request body larger than this gets 413 before it is read further. */
  @Type(() => Number) @IsInt() @Min(KIB) @Max(64 * MIB) INGEST_MAX_BODY_BYTES = 5 * MIB;

  /** Events (non-blank lines) per NDJSON request; more gets 413 before any line is parsed. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) INGEST_MAX_BATCH_EVENTS = 1_000;

  /** Bytes of one event: a JSON body (413 beyond), an NDJSON line (that line invalid), a raw message (dead-lettered). */
  @Type(() => Number) @IsInt() @Min(KIB) @Max(16 * MIB) INGEST_MAX_EVENT_BYTES = 512 * KIB;

  /** Publishes in flight beyond which requests get 429 (no unbounded buffering). */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) INGEST_MAX_IN_FLIGHT = 1_000;

  /** How long to wait for Kafka's acknowledgement before answering 503. */
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000) INGEST_SEND_TIMEOUT_MS = 5_000;

  /** Requests per RATE_LIMIT_WINDOW_MS one source key may make (an NDJSON batch is one request); past it: 429. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000_000) RATE_LIMIT_PER_KEY = 30_000;
}
