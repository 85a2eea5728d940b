import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { HttpEnv } from '@hub/config';
import { TENANT_ID_PATTERN } from '@hub/contracts';

/** Settings shared by every ingestion app; each channel adds its own (its `configSchema`). */
export class IngestEnv extends HttpEnv {
  /** The tenant this deployment ingests for (single-tenant; not with INGEST_TENANTS). */
  @IsString()
  @Length(1, 64)
  @Matches(TENANT_ID_PATTERN, { message: 'TENANT_ID must be lower-case letters, digits, - or _' })
  TENANT_ID = 'default';

  /**
   * Many tenants in one app: a JSON document `{"tenants":[{"id","route"?,"providers"?,"settings"}]}`
   * (`ingest-tenants.ts`, docs/operations.md "Many tenants in one ingestion app"). Each tenant's
   * webhooks are at `/t/<route>/<provider path>`, verified with its own settings only.
   */
  @IsOptional() @IsString() INGEST_TENANTS?: string;

  /** The same document read from a file (a mounted secret); not with INGEST_TENANTS. */
  @IsOptional() @IsString() INGEST_TENANTS_FILE?: string;

  /** The public base URL providers call (what they sign), e.g. https://hooks.example.com. */
  @IsOptional()
  @Matches(/^https?:\/\/[^/]+$/, { message: 'PUBLIC_BASE_URL must be scheme://host[:port] with no path' })
  PUBLIC_BASE_URL?: string;

  /** Publishes in flight beyond which requests get 429 (no unbounded buffering). */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) INGEST_MAX_IN_FLIGHT = 1_000;

  /** How long to wait for Kafka's acknowledgement before answering 503. */
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000) INGEST_SEND_TIMEOUT_MS = 5_000;

  /**
   * Webhook requests per RATE_LIMIT_WINDOW_MS to one provider route of this tenant, from all addresses
   * together (a provider delivers from many); past it: 429, which providers retry.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000_000) RATE_LIMIT_PER_SOURCE = 50_000;
}
