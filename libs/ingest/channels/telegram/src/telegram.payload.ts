import { IsOptionalNonNull } from '@hub/contracts';
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
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/**
 * The last second of the year 9999: a `date` beyond it is no time a `Date` can print (a correctly
 * signed update with `date: 1e300` answered 500; found by the fuzz campaign, issue #15).
 */
export const TELEGRAM_MAX_UNIX_SECONDS = 253_402_300_799;

/**
 * The parts of a Telegram Bot API `Update` the hub reads, as Telegram posts it to the webhook
 * (application/json). https://core.telegram.org/bots/api#update
 * Unknown fields are allowed (Telegram adds fields with every Bot API version); update types the
 * hub does not record (channel posts, chat member changes…) pass validation and are refused by the
 * adapter's `map` with a reason, so they are dead-lettered rather than dropped.
 *
 * Ids: user and chat ids have up to 52 significant bits, so a JS number holds them exactly.
 */

/** Telegram's own limit on a message text (and, for Premium senders, on a caption). */
export const TELEGRAM_MAX_TEXT_LENGTH = 4096;

/** https://core.telegram.org/bots/api#user */
export class TelegramUser {
  @IsInt() @Min(1) id!: number;
  @IsBoolean() is_bot!: boolean;
  @IsString() first_name!: string;
  @IsOptionalNonNull() @IsString() last_name?: string;
  @IsOptionalNonNull() @IsString() username?: string;
  @IsOptionalNonNull() @IsString() language_code?: string;
}

/** https://core.telegram.org/bots/api#chat — negative ids are groups and channels. */
export class TelegramChat {
  @IsInt() id!: number;
  @IsIn(['private', 'group', 'supergroup', 'channel']) type!: 'private' | 'group' | 'supergroup' | 'channel';
  @IsOptionalNonNull() @IsString() title?: string;
  @IsOptionalNonNull() @IsString() username?: string;
}

/** Every file Telegram describes has a `file_id` (to download it, with getFile) and a `file_unique_id`. */
class TelegramFile {
  @IsString() @Length(1, 512) file_id!: string;
  @IsString() @Length(1, 128) file_unique_id!: string;
  @IsOptionalNonNull() @IsInt() @Min(0) file_size?: number;
}

/** One size of a photo: https://core.telegram.org/bots/api#photosize */
export class TelegramPhotoSize extends TelegramFile {
  @IsInt() @Min(0) width!: number;
  @IsInt() @Min(0) height!: number;
}

/** https://core.telegram.org/bots/api#document (also sent, for compatibility, with an `animation`). */
export class TelegramDocument extends TelegramFile {
  @IsOptionalNonNull() @IsString() file_name?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(255) mime_type?: string;
}

/** https://core.telegram.org/bots/api#audio */
export class TelegramAudio extends TelegramDocument {
  @IsInt() @Min(0) duration!: number;
}

/** https://core.telegram.org/bots/api#voice (OGG/Opus unless mime_type says otherwise). */
export class TelegramVoice extends TelegramFile {
  @IsInt() @Min(0) duration!: number;
  @IsOptionalNonNull() @IsString() @MaxLength(255) mime_type?: string;
}

/** https://core.telegram.org/bots/api#video */
export class TelegramVideo extends TelegramDocument {
  @IsInt() @Min(0) width!: number;
  @IsInt() @Min(0) height!: number;
  @IsInt() @Min(0) duration!: number;
}

/** https://core.telegram.org/bots/api#videonote (round video messages, always MPEG4). */
export class TelegramVideoNote extends TelegramFile {
  @IsInt() @Min(0) length!: number;
  @IsInt() @Min(0) duration!: number;
}

/** https://core.telegram.org/bots/api#sticker */
export class TelegramSticker extends TelegramFile {
  @IsIn(['regular', 'mask', 'custom_emoji']) type!: string;
  @IsInt() @Min(0) width!: number;
  @IsInt() @Min(0) height!: number;
  @IsBoolean() is_animated!: boolean;
  @IsBoolean() is_video!: boolean;
  @IsOptionalNonNull() @IsString() emoji?: string;
  @IsOptionalNonNull() @IsString() set_name?: string;
}

/** https://core.telegram.org/bots/api#location */
export class TelegramLocation {
  @IsNumber() @Min(-90) @Max(90) latitude!: number;
  @IsNumber() @Min(-180) @Max(180) longitude!: number;
  @IsOptionalNonNull() @IsNumber() @Min(0) horizontal_accuracy?: number;
}

/** https://core.telegram.org/bots/api#contact — `user_id` is set when the contact is a Telegram user. */
export class TelegramContact {
  @IsString() @Length(1, 64) phone_number!: string;
  @IsString() first_name!: string;
  @IsOptionalNonNull() @IsString() last_name?: string;
  @IsOptionalNonNull() @IsInt() @Min(1) user_id?: number;
  @IsOptionalNonNull() @IsString() vcard?: string;
}

/**
 * https://core.telegram.org/bots/api#message — `from` is optional in Telegram's schema only for
 * channel posts (which arrive as `channel_post`); in a `message` or `edited_message` it is always
 * there (a placeholder user when sent on behalf of a chat, see `sender_chat`), so it is required here.
 */
export abstract class TelegramMessageBase {
  @IsInt() @Min(1) message_id!: number;
  @IsOptionalNonNull() @IsInt() message_thread_id?: number;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramUser) from!: TelegramUser;
  /** Set when the message was sent on behalf of a chat (an anonymous group admin, a linked channel). */
  @IsOptionalNonNull() @IsObject() sender_chat?: Record<string, unknown>;
  /** Unix seconds. */
  @IsInt() @Min(1) @Max(TELEGRAM_MAX_UNIX_SECONDS) date!: number;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramChat) chat!: TelegramChat;
  /** Unix seconds of the last edit. */
  abstract edit_date?: number;
  @IsOptionalNonNull() @IsString() @MaxLength(TELEGRAM_MAX_TEXT_LENGTH) text?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(TELEGRAM_MAX_TEXT_LENGTH) caption?: string;
  /** The sizes Telegram made of the photo (in practice smallest first; the adapter takes the largest). */
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => TelegramPhotoSize)
  photo?: TelegramPhotoSize[];
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramDocument) document?: TelegramDocument;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramAudio) audio?: TelegramAudio;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramVoice) voice?: TelegramVoice;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramVideo) video?: TelegramVideo;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramVideoNote) video_note?: TelegramVideoNote;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramSticker) sticker?: TelegramSticker;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramLocation) location?: TelegramLocation;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramContact) contact?: TelegramContact;

  [field: string]: unknown;
}

/** A new message (`message`): normally without `edit_date`. */
export class TelegramMessage extends TelegramMessageBase {
  @IsOptionalNonNull() @IsInt() @Min(1) @Max(TELEGRAM_MAX_UNIX_SECONDS) edit_date?: number;
}

/** A new version of a message (`edited_message`): `edit_date` is always there, and tells the versions apart. */
export class TelegramEditedMessage extends TelegramMessageBase {
  @IsInt() @Min(1) @Max(TELEGRAM_MAX_UNIX_SECONDS) edit_date!: number;
}

/**
 * The message a callback button was attached to: a full message, or (older than 48 hours) an
 * `InaccessibleMessage` with `date` 0. https://core.telegram.org/bots/api#maybeinaccessiblemessage
 */
export class TelegramCallbackMessage {
  @IsInt() @Min(1) message_id!: number;
  @IsInt() @Min(0) @Max(TELEGRAM_MAX_UNIX_SECONDS) date!: number;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramChat) chat!: TelegramChat;
  /** The inline keyboard the button was on: read, leniently, for the pressed button's label. */
  @IsOptionalNonNull() @IsObject() reply_markup?: Record<string, unknown>;

  [field: string]: unknown;
}

/** https://core.telegram.org/bots/api#callbackquery — a press on an inline keyboard button. */
export class TelegramCallbackQuery {
  @IsString() @Length(1, 256) id!: string;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramUser) from!: TelegramUser;
  /** Absent when the button was on a message sent via inline mode (then `inline_message_id` is set). */
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramCallbackMessage) message?: TelegramCallbackMessage;
  @IsOptionalNonNull() @IsString() inline_message_id?: string;
  @IsString() chat_instance!: string;
  /** The button's `callback_data`, 1–64 bytes. Absent for a game button (`game_short_name`). */
  @IsOptionalNonNull() @IsString() @Length(1, 64) data?: string;
  @IsOptionalNonNull() @IsString() game_short_name?: string;
}

/** https://core.telegram.org/bots/api#update — at most one of the optional fields is present. */
/** https://core.telegram.org/bots/api#reactiontype: an emoji, a custom emoji or a paid (star) reaction. */
export class TelegramReactionType {
  @IsIn(['emoji', 'custom_emoji', 'paid']) type!: 'emoji' | 'custom_emoji' | 'paid';
  @IsOptionalNonNull() @IsString() @Length(1, 64) emoji?: string;
  @IsOptionalNonNull() @IsString() @Length(1, 64) custom_emoji_id?: string;
}

/** https://core.telegram.org/bots/api#messagereactionupdated (sent only when `allowed_updates` names it). */
export class TelegramMessageReactionUpdated {
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramChat) chat!: TelegramChat;
  @IsInt() @Min(1) message_id!: number;
  /** Absent when the reaction was set anonymously (then `actor_chat` says on behalf of which chat). */
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramUser) user?: TelegramUser;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramChat) actor_chat?: TelegramChat;
  @IsInt() @Min(0) @Max(TELEGRAM_MAX_UNIX_SECONDS) date!: number;
  @IsArray()
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => TelegramReactionType)
  old_reaction!: TelegramReactionType[];
  @IsArray()
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => TelegramReactionType)
  new_reaction!: TelegramReactionType[];
}

/** A chat member's status (https://core.telegram.org/bots/api#chatmember). */
export const TELEGRAM_CHAT_MEMBER_STATUSES = ['creator', 'administrator', 'member', 'restricted', 'left', 'kicked'] as const;

export class TelegramChatMember {
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramUser) user!: TelegramUser;
  @IsIn(TELEGRAM_CHAT_MEMBER_STATUSES) status!: (typeof TELEGRAM_CHAT_MEMBER_STATUSES)[number];
}

/** The bot's own membership in a chat changed (`my_chat_member`): in a private chat, the user blocked or unblocked it. */
export class TelegramChatMemberUpdated {
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramChat) chat!: TelegramChat;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramUser) from!: TelegramUser;
  @IsInt() @Min(0) @Max(TELEGRAM_MAX_UNIX_SECONDS) date!: number;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramChatMember) old_chat_member!: TelegramChatMember;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TelegramChatMember) new_chat_member!: TelegramChatMember;
}

export class TelegramUpdate {
  @IsInt() @Min(0) update_id!: number;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramMessage) message?: TelegramMessage;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramEditedMessage) edited_message?: TelegramEditedMessage;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramCallbackQuery) callback_query?: TelegramCallbackQuery;
  @IsOptionalNonNull()
  @ValidateNested()
  @IsObject()
  @Type(() => TelegramMessageReactionUpdated)
  message_reaction?: TelegramMessageReactionUpdated;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => TelegramChatMemberUpdated) my_chat_member?: TelegramChatMemberUpdated;

  [field: string]: unknown;
}
