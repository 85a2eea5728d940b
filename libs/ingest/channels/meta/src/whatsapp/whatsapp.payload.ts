import { IsOptionalNonNull } from '@hub/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/**
 * WhatsApp Cloud API `messages` webhook (application/json), as documented at
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 *
 *   { object: 'whatsapp_business_account',
 *     entry: [ { id: <WABA id>, changes: [ { field: 'messages',
 *       value: { messaging_product: 'whatsapp', metadata: { display_phone_number, phone_number_id },
 *                contacts?: [...], messages?: [...], statuses?: [...], errors?: [...] } } ] } ] }
 *
 * Only what the adapter reads is validated; Meta adds fields without notice (`allowUnknown`).
 * Changes of other fields (`account_update`, template status…) are not validated here: the adapter
 * dead-letters them.
 */

/** Meta's unix time in seconds, as a string of digits. */
const UNIX_SECONDS = /^\d{9,11}$/;
const unixSeconds = (what: string) => Matches(UNIX_SECONDS, { message: `${what} must be unix seconds (a string of 9 to 11 digits)` });

export class WhatsAppErrorData {
  @IsOptionalNonNull() @IsString() details?: string;
}

export class WhatsAppError {
  @IsInt() code!: number;
  @IsOptionalNonNull() @IsString() title?: string;
  @IsOptionalNonNull() @IsString() message?: string;
  @IsOptionalNonNull() @Type(() => WhatsAppErrorData) @ValidateNested() @IsObject() error_data?: WhatsAppErrorData;
}

export class WhatsAppText {
  @IsString() @MaxLength(65_536) body!: string;
}

/** image / audio / video / document / sticker: Meta gives a media id to download, not a URL. */
export class WhatsAppMedia {
  @IsString() @Matches(/^\d{1,32}$/, { message: 'id must be a numeric media id' }) id!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(255) mime_type?: string;
  @IsOptionalNonNull() @IsString() sha256?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(65_536) caption?: string;
  @IsOptionalNonNull() @IsString() filename?: string;
}

export class WhatsAppLocation {
  @IsNumber() latitude!: number;
  @IsNumber() longitude!: number;
  @IsOptionalNonNull() @IsString() name?: string;
  @IsOptionalNonNull() @IsString() address?: string;
  @IsOptionalNonNull() @IsString() url?: string;
}

export class WhatsAppSharedContactName {
  @IsOptionalNonNull() @IsString() formatted_name?: string;
  @IsOptionalNonNull() @IsString() first_name?: string;
  @IsOptionalNonNull() @IsString() last_name?: string;
}

export class WhatsAppSharedContactPhone {
  @IsOptionalNonNull() @IsString() phone?: string;
  @IsOptionalNonNull() @IsString() wa_id?: string;
  @IsOptionalNonNull() @IsString() type?: string;
}

export class WhatsAppSharedContactEmail {
  @IsOptionalNonNull() @IsString() email?: string;
}

/** A contact card the customer shared (many properties are omitted when the user does not share them). */
export class WhatsAppSharedContact {
  @IsOptionalNonNull() @Type(() => WhatsAppSharedContactName) @ValidateNested() @IsObject() name?: WhatsAppSharedContactName;
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppSharedContactPhone)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  phones?: WhatsAppSharedContactPhone[];
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppSharedContactEmail)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  emails?: WhatsAppSharedContactEmail[];
}

export class WhatsAppReplyChoice {
  @IsString() @IsNotEmpty() id!: string;
  @IsOptionalNonNull() @IsString() title?: string;
  @IsOptionalNonNull() @IsString() description?: string;
}

/** A reply to an interactive message: `button_reply`, `list_reply` (others, e.g. Flows' `nfm_reply`, are kept as a message). */
export class WhatsAppInteractive {
  @IsString() @IsNotEmpty() type!: string;
  @ValidateIf((o: WhatsAppInteractive) => o.type === 'button_reply' || o.button_reply !== undefined)
  @IsDefined()
  @Type(() => WhatsAppReplyChoice)
  @ValidateNested()
  @IsObject()
  button_reply?: WhatsAppReplyChoice;
  @ValidateIf((o: WhatsAppInteractive) => o.type === 'list_reply' || o.list_reply !== undefined)
  @IsDefined()
  @Type(() => WhatsAppReplyChoice)
  @ValidateNested()
  @IsObject()
  list_reply?: WhatsAppReplyChoice;
}

/** A tap on a template's quick-reply button (the legacy `button` message type). */
export class WhatsAppButton {
  @IsString() @IsNotEmpty() text!: string;
  @IsOptionalNonNull() @IsString() payload?: string;
}

export class WhatsAppReaction {
  @IsString() @IsNotEmpty() message_id!: string;
  /** Absent (or, in older payloads, '') when the customer removed their reaction. */
  @IsOptionalNonNull() @IsString() emoji?: string;
}

export class WhatsAppContext {
  @IsOptionalNonNull() @IsString() from?: string;
  @IsOptionalNonNull() @IsString() id?: string;
}

export class WhatsAppUnsupported {
  @IsOptionalNonNull() @IsString() type?: string;
}

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;
export type WhatsAppMediaType = (typeof MEDIA_TYPES)[number];
export const isWhatsAppMediaType = (type: string): type is WhatsAppMediaType => (MEDIA_TYPES as readonly string[]).includes(type);

/** The object named by `type` is required when the type is one the adapter maps. */
const requiredFor = (type: string) =>
  ValidateIf((o: WhatsAppMessage) => o.type === type || (o as unknown as Record<string, unknown>)[type] !== undefined);

export class WhatsAppMessage {
  /** The customer's WhatsApp id: their phone number, digits only, with country code. */
  @IsString() @IsNotEmpty() from!: string;
  /** `wamid.…`: stable across redeliveries. */
  @IsString() @Length(1, 256) id!: string;
  @unixSeconds('timestamp') timestamp!: string;
  @IsString() @IsNotEmpty() type!: string;

  @requiredFor('text') @IsDefined() @Type(() => WhatsAppText) @ValidateNested() @IsObject() text?: WhatsAppText;
  @requiredFor('image') @IsDefined() @Type(() => WhatsAppMedia) @ValidateNested() @IsObject() image?: WhatsAppMedia;
  @requiredFor('audio') @IsDefined() @Type(() => WhatsAppMedia) @ValidateNested() @IsObject() audio?: WhatsAppMedia;
  @requiredFor('video') @IsDefined() @Type(() => WhatsAppMedia) @ValidateNested() @IsObject() video?: WhatsAppMedia;
  @requiredFor('document') @IsDefined() @Type(() => WhatsAppMedia) @ValidateNested() @IsObject() document?: WhatsAppMedia;
  @requiredFor('sticker') @IsDefined() @Type(() => WhatsAppMedia) @ValidateNested() @IsObject() sticker?: WhatsAppMedia;
  @requiredFor('location') @IsDefined() @Type(() => WhatsAppLocation) @ValidateNested() @IsObject() location?: WhatsAppLocation;
  @requiredFor('contacts')
  @IsArray()
  @ArrayMinSize(1)
  @Type(() => WhatsAppSharedContact)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  contacts?: WhatsAppSharedContact[];
  @requiredFor('interactive') @IsDefined() @Type(() => WhatsAppInteractive) @ValidateNested() @IsObject() interactive?: WhatsAppInteractive;
  @requiredFor('button') @IsDefined() @Type(() => WhatsAppButton) @ValidateNested() @IsObject() button?: WhatsAppButton;
  @requiredFor('reaction') @IsDefined() @Type(() => WhatsAppReaction) @ValidateNested() @IsObject() reaction?: WhatsAppReaction;

  @IsOptionalNonNull() @Type(() => WhatsAppContext) @ValidateNested() @IsObject() context?: WhatsAppContext;
  @IsOptionalNonNull() @Type(() => WhatsAppUnsupported) @ValidateNested() @IsObject() unsupported?: WhatsAppUnsupported;
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppError)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  errors?: WhatsAppError[];
}

export class WhatsAppStatus {
  /** The `wamid` of the message we sent. */
  @IsString() @Length(1, 256) id!: string;
  /** sent / delivered / read / failed (others are dead-lettered by the adapter, not refused). */
  @IsString() @IsNotEmpty() status!: string;
  @unixSeconds('timestamp') timestamp!: string;
  /** The customer's WhatsApp id (or a group id for group messages). */
  @IsString() @IsNotEmpty() recipient_id!: string;
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppError)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  errors?: WhatsAppError[];
}

export class WhatsAppContactProfile {
  @IsOptionalNonNull() @IsString() name?: string;
}

export class WhatsAppContact {
  @IsString() @IsNotEmpty() wa_id!: string;
  @IsOptionalNonNull() @Type(() => WhatsAppContactProfile) @ValidateNested() @IsObject() profile?: WhatsAppContactProfile;
}

export class WhatsAppMetadata {
  @IsOptionalNonNull() @IsString() display_phone_number?: string;
  @IsString() @Matches(/^\d{1,32}$/, { message: 'phone_number_id must be a numeric id' }) phone_number_id!: string;
}

export class WhatsAppChangeValue {
  @IsIn(['whatsapp']) messaging_product!: 'whatsapp';
  @IsDefined() @Type(() => WhatsAppMetadata) @ValidateNested() @IsObject() metadata!: WhatsAppMetadata;
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppContact)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  contacts?: WhatsAppContact[];
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppMessage)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  messages?: WhatsAppMessage[];
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppStatus)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  statuses?: WhatsAppStatus[];
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => WhatsAppError)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  errors?: WhatsAppError[];
}

export class WhatsAppChange {
  @IsString() @IsNotEmpty() field!: string;
  /** Validated for the `messages` field, the one this adapter maps. */
  @ValidateIf((o: WhatsAppChange) => o.field === 'messages')
  @IsDefined()
  @Type(() => WhatsAppChangeValue)
  @ValidateNested()
  @IsObject()
  value!: WhatsAppChangeValue;
}

export class WhatsAppEntry {
  /** The WhatsApp Business Account id. */
  @IsString() @Matches(/^\d{1,32}$/, { message: 'id must be the numeric WhatsApp Business Account id' }) id!: string;
  @IsArray()
  @ArrayMinSize(1)
  @Type(() => WhatsAppChange)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  changes!: WhatsAppChange[];
}

export class WhatsAppWebhookPayload {
  @IsIn(['whatsapp_business_account']) object!: 'whatsapp_business_account';
  @IsArray() @ArrayMinSize(1) @Type(() => WhatsAppEntry) @ValidateNested({ each: true }) @IsObject({ each: true }) entry!: WhatsAppEntry[];
}
