import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@hub/platform/openapi';
import { IDENTITY_KINDS, type IdentityKind } from '@hub/contracts';

export class IdentityDto {
  @ApiProperty({ enum: IDENTITY_KINDS }) @IsIn(IDENTITY_KINDS) kind!: IdentityKind;
  @ApiProperty({ type: String, minLength: 1, maxLength: 320 }) @IsString() @Length(1, 320) value!: string;
  @ApiPropertyOptional({ type: String, maxLength: 64 }) @IsOptional() @IsString() @MaxLength(64) namespace?: string;
}

export class EvidenceDto {
  /** Which policy applies: `paid_order`, `authenticated_session`, `agent_confirmed`, `chat_typed_detail`, … */
  @ApiProperty({ type: String, pattern: '^[a-z][a-z0-9_]{1,63}$', example: 'paid_order' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{1,63}$/)
  source!: string;
  @ApiProperty({ type: String, maxLength: 500 }) @IsString() @MaxLength(500) detail!: string;
  @ApiProperty({ type: [IdentityDto], maxItems: 20 })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => IdentityDto)
  identities!: IdentityDto[];
}

/** `merge-preview`'s body: a merge request without the `requestId` it does not need. */
export class MergePreviewRequestDto {
  @ApiProperty({ type: [String], minItems: 2, maxItems: 2 })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsString({ each: true })
  customerIds!: [string, string];
  @ApiProperty({ type: EvidenceDto }) @ValidateNested() @Type(() => EvidenceDto) evidence!: EvidenceDto;
}

export class MergeRequestDto extends MergePreviewRequestDto {
  /** Idempotency key: the same request id is the same merge. */
  @ApiProperty({ type: String, minLength: 1, maxLength: 128, description: 'Idempotency key: the same request id is the same merge' })
  @IsString()
  @Length(1, 128)
  requestId!: string;
}

export class UnmergeRequestDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: 128 }) @IsString() @Length(1, 128) mergeId!: string;
  @ApiProperty({ type: String, minLength: 1, maxLength: 200 }) @IsString() @Length(1, 200) reason!: string;
  @ApiProperty({ type: String, minLength: 1, maxLength: 128 }) @IsString() @Length(1, 128) requestId!: string;
}

export class RejectProposalRequestDto {
  /** Why the records are not one person, in the analyst's words (sealed with the customer's key). */
  @ApiProperty({ type: String, minLength: 1, maxLength: 200, description: "Why the records are not one person, in the analyst's words" })
  @IsString()
  @Length(1, 200)
  reason!: string;
}

export class EraseRequestDto {
  /** A code or ticket reference (`gdpr-art17`, `TICKET-123`): never free text about the person. */
  @ApiProperty({
    type: String,
    pattern: '^[A-Za-z0-9._:-]{1,64}$',
    example: 'gdpr-art17',
    description: 'A code or ticket reference, never free text',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,64}$/, { message: 'reason must be a code or ticket reference' })
  reason!: string;
  @ApiProperty({ type: String, pattern: '^[A-Za-z0-9._:@-]{1,128}$' })
  @IsString()
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/)
  requestedBy!: string;
}
