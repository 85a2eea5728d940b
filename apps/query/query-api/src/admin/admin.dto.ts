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

/** `POST /admin/v1/tenants`. */
export class CreateTenantDto {
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be lower-case letters, digits, - or _' })
  @Length(1, 64)
  tenantId!: string;
  @IsString() @Length(1, 200) name!: string;
}

/** `POST /admin/v1/tenants/:tenantId/keys`: a `query` key (scopes, default read) or an `ingest` key (its source). */
export class CreateKeyDto {
  @IsIn(['query', 'ingest']) kind!: 'query' | 'ingest';
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'source must be lower-case letters, digits, - or _' })
  source?: string;
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayUnique() @IsIn(KEY_SCOPES, { each: true }) scopes?: KeyScope[];
  @IsOptional() @IsISO8601({ strict: true }) expiresAt?: string;
  @IsOptional() @IsInt() @Min(1) @Max(10_000_000) rateLimitPerMinute?: number;
}

/** `POST /admin/v1/keys/:keyId/rotate`: how long the old key keeps working (default 24 h; 0: refused at once). */
export class RotateKeyDto {
  @IsOptional() @IsInt() @Min(0) @Max(30 * 86_400) graceSeconds?: number;
}
