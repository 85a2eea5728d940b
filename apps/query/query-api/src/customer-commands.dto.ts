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
import { IDENTITY_KINDS, type IdentityKind } from '@hub/contracts';

export class IdentityDto {
  @IsIn(IDENTITY_KINDS) kind!: IdentityKind;
  @IsString() @Length(1, 320) value!: string;
  @IsOptional() @IsString() @MaxLength(64) namespace?: string;
}

export class EvidenceDto {
  /** Which policy applies: `paid_order`, `authenticated_session`, `agent_confirmed`, `chat_typed_detail`, … */
  @IsString() @Matches(/^[a-z][a-z0-9_]{1,63}$/) source!: string;
  @IsString() @MaxLength(500) detail!: string;
  @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => IdentityDto) identities!: IdentityDto[];
}

export class MergeRequestDto {
  @IsArray() @ArrayMinSize(2) @ArrayMaxSize(2) @IsString({ each: true }) customerIds!: [string, string];
  @ValidateNested() @Type(() => EvidenceDto) evidence!: EvidenceDto;
  /** Idempotency key: the same request id is the same merge. */
  @IsString() @Length(1, 128) requestId!: string;
}

export class UnmergeRequestDto {
  @IsString() @Length(1, 128) mergeId!: string;
  @IsString() @Length(1, 200) reason!: string;
  @IsString() @Length(1, 128) requestId!: string;
}

export class RejectProposalRequestDto {
  /** Why the records are not one person, in the analyst's words (sealed with the customer's key). */
  @IsString() @Length(1, 200) reason!: string;
}

export class EraseRequestDto {
  /** A code or ticket reference (`gdpr-art17`, `TICKET-123`): never free text about the person. */
  @IsString() @Matches(/^[A-Za-z0-9._:-]{1,64}$/, { message: 'reason must be a code or ticket reference' }) reason!: string;
  @IsString() @Matches(/^[A-Za-z0-9._:@-]{1,128}$/) requestedBy!: string;
}
