import { IsBoolean, IsInt, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { TENANT_ID_PATTERN } from '@hub/contracts';
import { ApiPropertyOptional } from '@hub/platform/openapi';

/**
 * `POST /replays` body; every field optional. The same choices as `hub replay`'s flags, except that
 * `diff` is on by default (a replay over the API is run for its report) and the rebuild schema is
 * always dropped at the end (inspect one with `hub replay --keep`).
 */
export class StartReplayDto {
  /** Only this tenant's customers; every customer when absent. */
  @ApiPropertyOptional({
    type: String,
    pattern: TENANT_ID_PATTERN.source,
    description: "Only this tenant's customers; every customer when absent",
  })
  @IsOptional()
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be lower-case letters, digits, - or _' })
  @Length(1, 64)
  tenantId?: string;
  /** Compare the live timeline entries with the rebuild's (default true). */
  @ApiPropertyOptional({ type: Boolean, default: true }) @IsOptional() @IsBoolean() diff?: boolean;
  /** Replace the live read model (the tenant's rows, or all) with the rebuild, atomically (default false). */
  @ApiPropertyOptional({ type: Boolean, default: false }) @IsOptional() @IsBoolean() takeover?: boolean;
  /** With takeover: let an empty rebuild replace a non-empty live read model (default false). */
  @ApiPropertyOptional({ type: Boolean, default: false }) @IsOptional() @IsBoolean() allowEmpty?: boolean;
  /** Customers the diff lists in detail (default 20; the counts cover all). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100_000, default: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  diffLimit?: number;
  /** Events per projector transaction (default 500). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10_000, default: 500 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  batchSize?: number;
  /** Seconds the takeover spends, in all its lock attempts, on the live tables before giving up unchanged (default 30). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3_600, default: 30 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3_600)
  lockTimeoutSeconds?: number;
  /** Seconds the last catch-up, under the lock, may take (default 120). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3_600, default: 120 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3_600)
  catchUpTimeoutSeconds?: number;
}
