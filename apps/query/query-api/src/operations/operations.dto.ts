import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ApiPropertyOptional } from '@hub/platform/openapi';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** `GET /admin/v1/dead-letters`: newest first, filtered, paged by offset. */
export class DeadLettersQuery {
  /** The topic the messages were consumed from (`hub.interactions.v1`). */
  @IsOptional() @Transform(trimmed) @IsString() @MaxLength(249) topic?: string;
  /** Part of the code or the reason (case-insensitive). */
  @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) reason?: string;
  @IsOptional() @Transform(trimmed) @IsString() @MaxLength(100) tenant?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  /** Only those below this offset (the previous page's `nextBefore`). */
  @IsOptional() @IsString() @Matches(/^\d{1,19}$/, { message: 'before must be an offset' }) before?: string;
}

/**
 * `POST /admin/v1/dead-letters/redrive`: one dead letter (`partition` and `offset` on the dead-letter
 * topic), or every one of a source `topic` (optionally only a tenant's, of a code, from an offset on).
 */
export class RedriveDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'One dead letter: its partition (with `offset`)' })
  @ValidateIf((o: RedriveDto) => o.topic === undefined)
  @IsInt()
  @Min(0)
  partition?: number;
  @ApiPropertyOptional({ type: String, pattern: '^\\d{1,19}$', description: 'One dead letter: its offset (with `partition`)' })
  @ValidateIf((o: RedriveDto) => o.topic === undefined)
  @IsString()
  @Matches(/^\d{1,19}$/, { message: 'offset must be a dead letter offset' })
  offset?: string;
  @ApiPropertyOptional({
    type: String,
    maxLength: 249,
    description: 'Every dead letter of this source topic (instead of `partition` and `offset`)',
  })
  @ValidateIf((o: RedriveDto) => o.partition === undefined && o.offset === undefined)
  @IsString()
  @MaxLength(249)
  topic?: string;
  @ApiPropertyOptional({ type: String, maxLength: 100, description: "With `topic`: only this tenant's" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  tenant?: string;
  @ApiPropertyOptional({ type: String, pattern: '^[A-Z0-9_]{1,100}$', description: "With `topic`: only this code's" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z0-9_]{1,100}$/, { message: 'code must be a dead-letter code (INVALID_EVENT)' })
  code?: string;
  @ApiPropertyOptional({ type: String, pattern: '^\\d{1,19}$', description: 'With `topic`: from this dead-letter offset on' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,19}$/, { message: 'fromOffset must be an offset' })
  fromOffset?: string;
}
