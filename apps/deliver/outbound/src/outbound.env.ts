import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ProbeServerEnv } from '@hub/config';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
const bool = ({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
  typeof obj[key] === 'string' ? obj[key] === 'true' : obj[key];

/** The channels the outbound app has a sender for (a decision on another channel is recorded as skipped, `no_sender`). */
export const OUTBOUND_SENDER_CHANNELS = ['sms', 'telegram', 'whatsapp', 'email'] as const;
export type OutboundSenderChannel = (typeof OUTBOUND_SENDER_CHANNELS)[number];

const smsOn = (env: OutboundEnv) => env.OUTBOUND_CHANNELS.includes('sms');
const telegramOn = (env: OutboundEnv) => env.OUTBOUND_CHANNELS.includes('telegram');
const whatsappOn = (env: OutboundEnv) => env.OUTBOUND_CHANNELS.includes('whatsapp');
const emailOn = (env: OutboundEnv) => env.OUTBOUND_CHANNELS.includes('email');

/** `action=template:language` entries, comma-separated. */
export const APPROVED_TEMPLATE_ENTRY = /^([a-z0-9_]+)=([a-z0-9_]+):([A-Za-z_]{2,10})$/;

export class OutboundEnv extends ProbeServerEnv {
  /** `GET /health/live`, `/health/ready` and `/metrics` (docs/operations.md, "Health"); `off` serves none. */
  override HEALTH_PORT: number | 'off' = 3106;

  /** The channels to send on; each needs its provider's settings below. */
  @Transform(csv)
  @IsArray()
  @IsIn(OUTBOUND_SENDER_CHANNELS, {
    each: true,
    message: `each OUTBOUND_CHANNELS entry must be one of ${OUTBOUND_SENDER_CHANNELS.join(', ')}`,
  })
  OUTBOUND_CHANNELS: OutboundSenderChannel[] = ['sms'];

  /**
   * A consumer group seen for the first time starts at the decisions topic's beginning (`true`) or
   * only with decisions published from now on (`false`, the default: a new deployment must not send
   * a week of old decisions).
   */
  @Transform(bool) @IsBoolean() OUTBOUND_FROM_BEGINNING = false;

  /**
   * The consumer group's session timeout: how long an instance that died unannounced (SIGKILL, a lost
   * node) holds its partitions before another takes them over. Kafka's broker allows 6 s at least.
   */
  @Type(() => Number) @IsInt() @Min(6_000) @Max(300_000) OUTBOUND_KAFKA_SESSION_TIMEOUT_MS = 30_000;

  /** One provider request's deadline; past it the send is in doubt and settled by a lookup, never sent again blind. */
  @Type(() => Number) @IsInt() @Min(500) @Max(120_000) OUTBOUND_PROVIDER_TIMEOUT_MS = 10_000;

  /**
   * How long after an intent a lookup's "no such message" is believed and the send may be made
   * again: a request still being taken by the provider is not in its list yet.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(3_600_000) OUTBOUND_IN_DOUBT_GRACE_MS = 60_000;

  /** Twilio's API (a local fake in tests). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) TWILIO_API_BASE_URL = 'https://api.twilio.com';
  @ValidateIf(smsOn) @Matches(/^AC[0-9a-zA-Z]{8,}$/, { message: 'TWILIO_ACCOUNT_SID must be an account SID (AC…)' }) TWILIO_ACCOUNT_SID =
    '';
  @ValidateIf(smsOn) @IsString() @MinLength(8) TWILIO_AUTH_TOKEN = '';
  /** Our number (E.164) or a Messaging Service SID (MG…). */
  @ValidateIf(smsOn)
  @Matches(/^(\+[1-9][0-9]{6,14}|MG[0-9a-zA-Z]{8,})$/, { message: 'TWILIO_FROM must be an E.164 number or a Messaging Service SID' })
  TWILIO_FROM = '';
  /** Where Twilio posts statuses (ingest-sms's status route); each request's carries `hubSendId`. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) TWILIO_STATUS_CALLBACK_URL?: string;

  /** Telegram's Bot API (a local fake in tests). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) TELEGRAM_API_BASE_URL = 'https://api.telegram.org';
  /** The bot's token (`123456:ABC…`, from @BotFather): the bot the customers wrote to. */
  @ValidateIf(telegramOn)
  @Matches(/^\d+:[A-Za-z0-9_-]{10,}$/, { message: 'TELEGRAM_BOT_TOKEN must be a bot token (<id>:<secret>)' })
  TELEGRAM_BOT_TOKEN = '';

  /** The WhatsApp Cloud API (Graph API; a local fake in tests) and its version. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) WHATSAPP_API_BASE_URL = 'https://graph.facebook.com';
  @Matches(/^v\d+\.\d+$/) WHATSAPP_API_VERSION = 'v21.0';
  /** The business phone number's id (Meta's, not the number) and a system user's access token. */
  @ValidateIf(whatsappOn)
  @Matches(/^\d{5,}$/, { message: 'WHATSAPP_PHONE_NUMBER_ID must be the phone number id (digits)' })
  WHATSAPP_PHONE_NUMBER_ID = '';
  @ValidateIf(whatsappOn) @IsString() @MinLength(16) WHATSAPP_ACCESS_TOKEN = '';
  /**
   * The message templates Meta approved, per action: `schedule_callback=callback_offer_v1:en_US,…`.
   * Outside the 24-hour window only these may be sent; an action without one is skipped there.
   */
  @Transform(csv)
  @IsArray()
  @Matches(APPROVED_TEMPLATE_ENTRY, { each: true, message: 'each WHATSAPP_APPROVED_TEMPLATES entry must be action=template:language' })
  WHATSAPP_APPROVED_TEMPLATES: string[] = [];

  /** SendGrid's v3 API (a local fake in tests) and an API key with Mail Send access. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) SENDGRID_API_BASE_URL = 'https://api.sendgrid.com';
  @ValidateIf(emailOn) @IsString() @MinLength(16) SENDGRID_API_KEY = '';
  /** The From of every email (a verified sender identity), and its display name. */
  @ValidateIf(emailOn) @IsEmail() EMAIL_FROM = '';
  @IsOptional() @IsString() EMAIL_FROM_NAME?: string;
  /**
   * The one-click unsubscribe endpoint every email's `List-Unsubscribe` points at (RFC 8058), and the
   * secret its links are signed with (`unsubscribeToken`; the endpoint checks them with the same one).
   */
  @ValidateIf(emailOn) @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) EMAIL_UNSUBSCRIBE_URL = '';
  @ValidateIf(emailOn) @IsString() @MinLength(16) EMAIL_UNSUBSCRIBE_SECRET = '';
}
