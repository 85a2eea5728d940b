import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { IDENTITY_KINDS, type IdentityKind } from '@hub/contracts';
import { NBA_CONTACT_MODES, type NbaContactMode } from '@hub/customer';
import { RULE_OPS, type RuleOp, type RuleValue } from '../policy/rule';
import { CATALOG_ACTION_KINDS, type CatalogActionKind } from './catalog.types';

/**
 * The shape of a catalog file, checked field by field at load (unknown fields are errors, so a typo
 * never silently drops a policy). What the shape cannot say — a rule reads a fact that exists, with
 * an operator that fits it; ids are unique; levers and channels are declared — `load-catalog.ts`
 * checks after this, with the same field paths.
 */

const ID = /^[a-z][a-z0-9_]{0,63}$/;
const ID_MESSAGE = { message: '$property must be lower_snake_case (a-z, 0-9, _), starting with a letter' };
const CHANNEL = /^[a-z][a-z0-9_-]{0,31}$/;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

@ValidatorConstraint({ name: 'isRuleValue' })
class IsRuleValue implements ValidatorConstraintInterface {
  validate(v: unknown): boolean {
    const scalar = (x: unknown) =>
      x === null || typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));
    return scalar(v) || (Array.isArray(v) && v.every(scalar));
  }
  defaultMessage(): string {
    return 'value must be a string, finite number, boolean, null, or a list of those';
  }
}

export class RuleDto {
  @IsOptional() @Matches(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { message: 'id must be lower-case letters, digits, _ . -' }) id?: string;
  @IsOptional() @IsString() description?: string;
  @IsOptional() @IsString() fact?: string;
  @IsOptional() @IsIn(RULE_OPS) op?: RuleOp;
  @IsOptional() @Validate(IsRuleValue) value?: RuleValue;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => RuleDto) all?: RuleDto[];
  @IsOptional() @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => RuleDto) any?: RuleDto[];
  @IsOptional() @ValidateNested() @Type(() => RuleDto) not?: RuleDto;
}

export class PoliciesDto {
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => RuleDto) eligibility?: RuleDto[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => RuleDto) applicability?: RuleDto[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => RuleDto) suitability?: RuleDto[];
}

export class CapDto {
  @IsInt() @Min(0) max!: number;
  @IsNumber() @IsPositive() windowDays!: number;
}

export class CooldownDto {
  @IsNumber() @Min(0) afterDeclineDays!: number;
  @IsNumber() @Min(0) afterNoResponseDays!: number;
  @IsNumber() @Min(0) minDaysBetween!: number;
}

export class PartialCooldownDto {
  @IsOptional() @IsNumber() @Min(0) afterDeclineDays?: number;
  @IsOptional() @IsNumber() @Min(0) afterNoResponseDays?: number;
  @IsOptional() @IsNumber() @Min(0) minDaysBetween?: number;
}

export class ContextWeightDto {
  @IsDefined() @ValidateNested() @Type(() => RuleDto) when!: RuleDto;
  @IsNumber() @Min(0) weight!: number;
}

export class ActionDto {
  @Matches(ID, ID_MESSAGE) id!: string;
  @IsIn(CATALOG_ACTION_KINDS) kind!: CatalogActionKind;
  @Matches(ID, ID_MESSAGE) strategy!: string;
  @IsString() @MinLength(1) detail!: string;
  @IsArray() @Matches(CHANNEL, { each: true, message: 'each channel must be a channel id (a-z, 0-9, _ -)' }) channels!: string[];
  @IsIn(NBA_CONTACT_MODES) contactMode!: NbaContactMode;
  @IsOptional() @IsBoolean() requiresOptIn?: boolean;
  @IsOptional() @Matches(ID, ID_MESSAGE) queue?: string;
  @IsNumber() @Min(0) value!: number;
  @IsNumber() @Min(0.001) @Max(0.999) basePropensity!: number;
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => ContextWeightDto)
  contextWeights?: ContextWeightDto[];
  @IsOptional() @IsArray() @IsString({ each: true }) levers?: string[];
  @IsOptional() @ValidateNested() @Type(() => PartialCooldownDto) cooldown?: PartialCooldownDto;
  @IsOptional() @ValidateNested() @Type(() => PoliciesDto) policies?: PoliciesDto;
  @IsOptional() @IsNumber() @Min(0.001) @Max(0.5) controlGroupShare?: number;
}

export class ChannelContactPolicyDto {
  @Matches(CHANNEL, { message: 'channel must be a channel id (a-z, 0-9, _ -)' }) channel!: string;
  @IsArray() @IsIn(IDENTITY_KINDS, { each: true }) reachableBy!: IdentityKind[];
  @IsDefined() @ValidateNested() @Type(() => CapDto) cap!: CapDto;
  @IsBoolean() quietHours!: boolean;
}

export class QuietHoursDto {
  @Matches(HH_MM, { message: 'from must be a local time HH:MM' }) from!: string;
  @Matches(HH_MM, { message: 'to must be a local time HH:MM' }) to!: string;
}

export class ContactPolicyDto {
  @IsString() defaultTimeZone!: string;
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'timeZoneTrait must be a trait key' }) timeZoneTrait!: string;
  @IsDefined() @ValidateNested() @Type(() => QuietHoursDto) quietHours!: QuietHoursDto;
  @IsNumber() @IsPositive() replyWindowHours!: number;
  @IsOptional() @ValidateNested() @Type(() => CapDto) totalCap?: CapDto;
  @IsDefined() @ValidateNested() @Type(() => CooldownDto) cooldown!: CooldownDto;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => ChannelContactPolicyDto)
  channels!: ChannelContactPolicyDto[];
}

export class ArbitrationDto {
  @IsInt() @Min(1) @Max(50) menuSize!: number;
  @IsNumber() @Min(0) minPriority!: number;
}

export class LearningDto {
  @IsString() segmentBy!: string;
  @IsNumber() @IsPositive() priorStrength!: number;
  @IsNumber() @Min(0) @Max(1) noResponseWeight!: number;
  @IsNumber() @IsPositive() noResponseAfterHours!: number;
}

export class LeverDto {
  @Matches(ID, ID_MESSAGE) id!: string;
  @IsNumber() @Min(0) value!: number;
  @IsOptional() @IsString() description?: string;
}

export class OutcomeKeywordListDto {
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'locale must be a BCP 47 language tag (en, de, pt-BR)' }) locale!: string;
  @IsArray() @IsString({ each: true }) @MinLength(1, { each: true }) accept!: string[];
  @IsArray() @IsString({ each: true }) @MinLength(1, { each: true }) decline!: string[];
}

export class CostToServeDto {
  @Matches(/^[A-Z]{3}$/, { message: 'costToServe.currency must be an ISO 4217 code (USD, EUR)' }) currency!: string;
  @IsInt() @Min(0) defaultPerInteraction!: number;
  /** Channel → cost in the currency's minor unit (the channels and amounts are checked with the catalog's semantics). */
  @IsObject() perInteraction!: Record<string, number>;
}

export class CatalogDto {
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'catalogVersion must be letters, digits, . _ - (e.g. 2025.06-1)' })
  catalogVersion!: string;
  @IsOptional() @IsString() description?: string;
  @IsDefined() @ValidateNested() @Type(() => ArbitrationDto) arbitration!: ArbitrationDto;
  @IsDefined() @ValidateNested() @Type(() => LearningDto) learning!: LearningDto;
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => LeverDto) levers!: LeverDto[];
  @IsDefined() @ValidateNested() @Type(() => ContactPolicyDto) contactPolicy!: ContactPolicyDto;
  @IsOptional() @ValidateNested() @Type(() => PoliciesDto) policyDefaults?: PoliciesDto;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => ActionDto) actions!: ActionDto[];
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => OutcomeKeywordListDto)
  outcomeKeywords?: OutcomeKeywordListDto[];
  @IsOptional() @ValidateNested() @Type(() => CostToServeDto) costToServe?: CostToServeDto;
}
