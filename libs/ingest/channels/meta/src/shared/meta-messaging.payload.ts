import { IsOptionalNonNull } from '@hub/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/**
 * The Messenger Platform webhook envelope, shared by Messenger (`object: 'page'`) and Instagram
 * Messaging (`object: 'instagram'`):
 *
 *   { object, entry: [ { id: <Page id | IG professional account id>, time, messaging: [ {
 *       sender: { id }, recipient: { id }, timestamp,
 *       message | postback | reaction | read | delivery | message_edit } ] } ] }
 *
 * https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
 * https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks
 *
 * Only what the adapters read is validated; Meta adds fields without notice (`allowUnknown`).
 */

/** Meta's millisecond timestamps (Instagram's `messaging_seen` uses seconds: both are accepted). */
const MetaTimestamp = () => (target: object, property: string | symbol) => {
  IsInt({ message: `${String(property)} must be an integer (unix time)` })(target, property);
  Min(1_000_000_000)(target, property);
  Max(9_999_999_999_999)(target, property);
};

export class MetaMessagingSender {
  /** PSID (Messenger) or IGSID (Instagram). Absent only for Messenger chat-plugin guests, who have a `user_ref`. */
  @ValidateIf((o: MetaMessagingSender) => o.user_ref === undefined) @IsString() @IsNotEmpty() id?: string;
  @IsOptionalNonNull() @IsString() user_ref?: string;
}

export class MetaMessagingRecipient {
  @IsString() @IsNotEmpty() id!: string;
}

export class MetaAttachmentPayload {
  @IsOptionalNonNull() @IsString() url?: string;
  @IsOptionalNonNull() @IsString() title?: string;
}

export class MetaAttachment {
  /** image, video, audio, file, reel, ig_reel, share, story_mention, fallback, template… */
  @IsString() @IsNotEmpty() type!: string;
  /** Messenger's `fallback` (an unsupported share) names what was shared here. */
  @IsOptionalNonNull() @IsString() title?: string;
  @IsOptionalNonNull() @Type(() => MetaAttachmentPayload) @ValidateNested() @IsObject() payload?: MetaAttachmentPayload;
}

export class MetaQuickReply {
  @IsString() @IsNotEmpty() payload!: string;
}

export class MetaMessage {
  @IsString() @Length(1, 256) mid!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(65_536) text?: string;
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => MetaAttachment)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  attachments?: MetaAttachment[];
  @IsOptionalNonNull() @Type(() => MetaQuickReply) @ValidateNested() @IsObject() quick_reply?: MetaQuickReply;
  /** Our own outbound message, echoed back (Messenger `message_echoes`; Instagram within `messages`). */
  @IsOptionalNonNull() @IsBoolean() is_echo?: boolean;
  /** Instagram: the customer unsent this message. */
  @IsOptionalNonNull() @IsBoolean() is_deleted?: boolean;
  /** Instagram: a message type the API does not deliver (GIFs, stickers…). */
  @IsOptionalNonNull() @IsBoolean() is_unsupported?: boolean;
}

export class MetaPostback {
  /** Present from Graph API v11 (Instagram) and on current Messenger versions. */
  @IsOptionalNonNull() @IsString() @Length(1, 256) mid?: string;
  @IsOptionalNonNull() @IsString() title?: string;
  @IsString() @IsNotEmpty() payload!: string;
}

export class MetaReaction {
  /** The message reacted to. */
  @IsString() @Length(1, 256) mid!: string;
  @IsIn(['react', 'unreact']) action!: 'react' | 'unreact';
  @IsOptionalNonNull() @IsString() reaction?: string;
  @IsOptionalNonNull() @IsString() emoji?: string;
}

export class MetaRead {
  /** Messenger: every message sent up to this time was read. */
  @IsOptionalNonNull() @MetaTimestamp() watermark?: number;
  /** Instagram (`messaging_seen`): the message read. */
  @ValidateIf((o: MetaRead) => o.watermark === undefined) @IsString() @Length(1, 256) mid?: string;
}

export class MetaDelivery {
  @IsOptionalNonNull() @IsArray() @IsString({ each: true }) @Length(1, 256, { each: true }) mids?: string[];
  @MetaTimestamp() watermark!: number;
}

export class MetaMessageEdit {
  @IsString() @Length(1, 256) mid!: string;
  @IsString() @MaxLength(65_536) text!: string;
  @IsInt() @Min(0) num_edit!: number;
}

export class MetaMessagingEvent {
  @IsDefined() @Type(() => MetaMessagingSender) @ValidateNested() @IsObject() sender!: MetaMessagingSender;
  @IsDefined() @Type(() => MetaMessagingRecipient) @ValidateNested() @IsObject() recipient!: MetaMessagingRecipient;
  /** Delivery events carry no timestamp of their own (their watermark is the time). */
  @ValidateIf((o: MetaMessagingEvent) => o.delivery === undefined || o.timestamp !== undefined) @MetaTimestamp() timestamp?: number;
  @IsOptionalNonNull() @Type(() => MetaMessage) @ValidateNested() @IsObject() message?: MetaMessage;
  @IsOptionalNonNull() @Type(() => MetaPostback) @ValidateNested() @IsObject() postback?: MetaPostback;
  @IsOptionalNonNull() @Type(() => MetaReaction) @ValidateNested() @IsObject() reaction?: MetaReaction;
  @IsOptionalNonNull() @Type(() => MetaRead) @ValidateNested() @IsObject() read?: MetaRead;
  @IsOptionalNonNull() @Type(() => MetaDelivery) @ValidateNested() @IsObject() delivery?: MetaDelivery;
  @IsOptionalNonNull() @Type(() => MetaMessageEdit) @ValidateNested() @IsObject() message_edit?: MetaMessageEdit;
}

export class MetaMessagingEntry {
  /** The Page id (Messenger) or Instagram professional account id. */
  @IsString() @Matches(/^\d{1,32}$/, { message: 'id must be the numeric Page or Instagram account id' }) id!: string;
  @IsOptionalNonNull() @IsInt() time?: number;
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => MetaMessagingEvent)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  messaging?: MetaMessagingEvent[];
  /** Handover protocol: updates for a conversation another app controls. Mapped like `messaging`. */
  @IsOptionalNonNull()
  @IsArray()
  @Type(() => MetaMessagingEvent)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  standby?: MetaMessagingEvent[];
}

export class MessengerWebhookPayload {
  @IsIn(['page']) object!: 'page';
  @IsArray()
  @ArrayMinSize(1)
  @Type(() => MetaMessagingEntry)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  entry!: MetaMessagingEntry[];
}

export class InstagramWebhookPayload {
  @IsIn(['instagram']) object!: 'instagram';
  @IsArray()
  @ArrayMinSize(1)
  @Type(() => MetaMessagingEntry)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  entry!: MetaMessagingEntry[];
}

export type MetaMessagingPayload = MessengerWebhookPayload | InstagramWebhookPayload;
