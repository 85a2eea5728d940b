import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

/**
 * Twilio's inbound message webhook (application/x-www-form-urlencoded).
 * https://www.twilio.com/docs/messaging/guides/webhook-request
 * MediaUrl{N} / MediaContentType{N} are read by index in the adapter.
 */
export class TwilioInboundSmsPayload {
  @Matches(/^(SM|MM)[0-9a-f]{32}$/i, { message: 'MessageSid must be SM or MM followed by 32 hex digits' })
  MessageSid!: string;

  @Matches(/^AC[0-9a-f]{32}$/i, { message: 'AccountSid must be AC followed by 32 hex digits' })
  AccountSid!: string;

  @IsOptional() @Matches(/^MG[0-9a-f]{32}$/i) MessagingServiceSid?: string;

  @IsString() @Length(1, 64) From!: string;
  @IsString() @Length(1, 64) To!: string;

  /** Empty for a media-only MMS. Twilio caps bodies at 1,600 characters. */
  @IsOptional() @IsString() @MaxLength(1600) Body?: string;

  @Matches(/^(?:[0-9]|10)$/, { message: 'NumMedia must be a whole number from 0 to 10' })
  NumMedia!: string;

  @IsOptional() @Matches(/^\d{1,2}$/) NumSegments?: string;
  @IsOptional() @IsIn(['received', 'receiving', 'accepted', 'queued']) SmsStatus?: string;
  @IsOptional() @IsString() ApiVersion?: string;
  @IsOptional() @IsString() FromCountry?: string;

  [field: string]: unknown;
}

/** Every `MessageStatus` Twilio documents. */
export const TWILIO_MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'read',
  'accepted',
  'scheduled',
  'canceled',
  'partially_delivered',
  'receiving',
  'received',
] as const;

export const isTwilioStatusCallback = (body: unknown): boolean => typeof body === 'object' && body !== null && 'MessageStatus' in body;

/**
 * A status callback about a message we sent (the `StatusCallback` URL of a send, when it points at
 * this route). https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
 * It has `MessageStatus` and no `NumMedia`; inbound messages have no `MessageStatus`.
 */
export class TwilioMessageStatusPayload {
  @Matches(/^(SM|MM)[0-9a-f]{32}$/i, { message: 'MessageSid must be SM or MM followed by 32 hex digits' })
  MessageSid!: string;

  @Matches(/^AC[0-9a-f]{32}$/i, { message: 'AccountSid must be AC followed by 32 hex digits' })
  AccountSid!: string;

  @IsIn(TWILIO_MESSAGE_STATUSES) MessageStatus!: (typeof TWILIO_MESSAGE_STATUSES)[number];

  @IsString() @Length(1, 64) From!: string;
  @IsString() @Length(1, 64) To!: string;
  @IsOptional() @Matches(/^\d{1,6}$/, { message: 'ErrorCode must be a Twilio error number' }) ErrorCode?: string;

  [field: string]: unknown;
}
