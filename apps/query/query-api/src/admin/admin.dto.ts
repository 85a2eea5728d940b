import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { TENANT_ID_PATTERN } from '@hub/contracts';
import { KEY_SCOPES, type KeyScope } from '@hub/platform';
import { ApiProperty, ApiPropertyOptional } from '@hub/platform/openapi';

/** `POST /admin/v1/tenants`. */
export class CreateTenantDto {
  @ApiProperty({ type: String, pattern: TENANT_ID_PATTERN.source, minLength: 1, maxLength: 64, example: 'acme' })
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be lower-case letters, digits, - or _' })
  @Length(1, 64)
  tenantId!: string;
  @ApiProperty({ type: String, minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;
}

/** `POST /admin/v1/tenants/:tenantId/keys`: a `query` key (scopes, default read) or an `ingest` key (its source). */
export class CreateKeyDto {
  @ApiProperty({ enum: ['query', 'ingest'] }) @IsIn(['query', 'ingest']) kind!: 'query' | 'ingest';
  @ApiPropertyOptional({
    type: String,
    pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
    description: 'An ingest key only: the source that sends with it',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'source must be lower-case letters, digits, - or _' })
  source?: string;
  @ApiPropertyOptional({ enum: KEY_SCOPES, isArray: true, description: 'A query key only (default read)' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(KEY_SCOPES, { each: true })
  scopes?: KeyScope[];
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) expiresAt?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10_000_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  rateLimitPerMinute?: number;
}

/** `POST /admin/v1/keys/:keyId/rotate`: how long the old key keeps working (default 24 h; 0: refused at once). */
export class RotateKeyDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 30 * 86_400, description: 'Default 86400 (24 h)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  graceSeconds?: number;
}
