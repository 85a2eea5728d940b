import { IsOptionalNonNull } from '@hub/contracts';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/**
 * Typeform's webhook (`application/json`), as documented at
 * https://www.typeform.com/developers/webhooks/example-payload/ — only what the adapter reads is
 * declared; Typeform adds fields (`calculated`, `variables`, `ending`, …) without notice.
 */

/** Which field an answer belongs to. `ref` is the form author's readable id (Typeform fills a UUID when none was set). */
export class TypeformAnswerField {
  @IsString() @Length(1, 128) id!: string;
  @IsString() @Length(1, 64) type!: string;
  @IsOptional() @IsString() @Length(1, 128) ref?: string;
}

export class TypeformChoice {
  @IsOptional() @IsString() id?: string;
  @IsOptional() @IsString() ref?: string;
  @IsOptional() @IsString() label?: string;
  /** The respondent's own text when they chose "Other". */
  @IsOptional() @IsString() other?: string;
}

export class TypeformChoices {
  @IsOptionalNonNull() @IsArray() @IsString({ each: true }) labels?: string[];
  @IsOptional() @IsString() other?: string;
}

/**
 * One answer. Its value sits under the key named by `type` (`text`, `number`, `choice`…); the
 * types whose value we read are checked here, any other type Typeform adds passes through.
 */
export class TypeformAnswer {
  @IsString() @Length(1, 32) type!: string;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TypeformAnswerField) field!: TypeformAnswerField;

  @ValidateIf((a: TypeformAnswer) => a.type === 'text') @IsString() text?: string;
  @ValidateIf((a: TypeformAnswer) => a.type === 'number') @IsNumber({ allowNaN: false, allowInfinity: false }) number?: number;
  @ValidateIf((a: TypeformAnswer) => a.type === 'boolean') @IsBoolean() boolean?: boolean;
  @ValidateIf((a: TypeformAnswer) => a.type === 'email') @IsString() email?: string;
  @ValidateIf((a: TypeformAnswer) => a.type === 'phone_number') @IsString() phone_number?: string;
  @ValidateIf((a: TypeformAnswer) => a.type === 'url') @IsString() url?: string;
  @ValidateIf((a: TypeformAnswer) => a.type === 'file_url') @IsString() file_url?: string;
  @ValidateIf((a: TypeformAnswer) => a.type === 'date') @IsString() date?: string;
  @ValidateIf((a: TypeformAnswer) => a.type === 'choice')
  @IsDefined()
  @ValidateNested()
  @IsObject()
  @Type(() => TypeformChoice)
  choice?: TypeformChoice;
  @ValidateIf((a: TypeformAnswer) => a.type === 'choices')
  @IsDefined()
  @ValidateNested()
  @IsObject()
  @Type(() => TypeformChoices)
  choices?: TypeformChoices;

  [key: string]: unknown;
}

/** A question of the form as it was when answered: its title, type and (sometimes) its `properties`. */
export class TypeformDefinitionField {
  @IsString() @Length(1, 128) id!: string;
  @IsOptional() @IsString() title?: string;
  @IsString() @Length(1, 64) type!: string;
  @IsOptional() @IsString() ref?: string;
  /** `steps`, `start_at_one`… for scales; often sent empty (`{}`) or not at all. */
  @IsOptional() @IsObject() properties?: Record<string, unknown>;
}

export class TypeformDefinition {
  @IsString() @Length(1, 64) id!: string;
  @IsOptional() @IsString() title?: string;
  @IsArray()
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => TypeformDefinitionField)
  fields!: TypeformDefinitionField[];
}

export class TypeformFormResponse {
  @IsString() @Length(1, 64) form_id!: string;
  /** The response's id: the same in every delivery of this response. */
  @IsString() @Length(1, 128) token!: string;
  @IsOptional() @IsISO8601({ strict: true }) landed_at?: string;
  /** Absent only on `form_response_partial`; the parser requires it for `form_response`. */
  @IsOptional() @IsISO8601({ strict: true }) submitted_at?: string;
  /** Hidden fields carried by the survey link (`…#email=…&conversation_id=…`); values are strings. */
  @IsOptional() @IsObject() hidden?: Record<string, unknown>;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TypeformDefinition) definition!: TypeformDefinition;
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => TypeformAnswer) answers!: TypeformAnswer[];

  [key: string]: unknown;
}

export class TypeformWebhookPayload {
  /** Typeform's id of this webhook event. */
  @IsString() @Length(1, 64) event_id!: string;
  /** `form_response` (a submitted response) or `form_response_partial`. */
  @IsString() @MaxLength(64) event_type!: string;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TypeformFormResponse) form_response!: TypeformFormResponse;

  [key: string]: unknown;
}
