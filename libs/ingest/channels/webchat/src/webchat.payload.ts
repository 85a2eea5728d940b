import { IsOptionalNonNull } from '@hub/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsEmail,
  IsISO8601,
  IsInt,
  IsObject,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/**
 * The hub's own web chat webhook (application/json), posted by the web-chat gateway — the server
 * the chat widget talks to, which holds the signing secret (a browser cannot keep a secret, so it
 * never signs). One request carries one or more messages of one chat session:
 *
 *   {
 *     "sessionId": "ws_01JHG6Q8ZK3M4N5P6Q7R8S9T0V",
 *     "visitor": { "id": "8214467233501729133", "email"?: "dana@example.com", "phone"?: "+972501234567", "name"?: "Dana" },
 *     "messages": [
 *       { "id": "m_01JHG6R2", "sentAt": "2025-01-15T09:29:58.120Z", "text"?: "Hi!",
 *         "attachments"?: [{ "url": "https://…", "contentType": "image/png", "name"?: "a.png", "sizeBytes"?: 48213 }] }
 *     ],
 *     "page"?: { "url": "https://shop.example.com/orders/1234", "title"?: "Your order" }
 *   }
 *
 * Our own format, so it is strict: unknown fields are refused (a typo in the gateway is a 400, not
 * silently lost data).
 */

/** Characters per message (validator.js counting: an emoji is one). */
export const WEBCHAT_MAX_TEXT_LENGTH = 4000;
export const WEBCHAT_MAX_MESSAGES = 20;
export const WEBCHAT_MAX_ATTACHMENTS = 10;

/** Session and message ids: URL-safe, 1–128 characters (ULIDs, UUIDs, nanoids…). */
const ID = /^[A-Za-z0-9_-]{1,128}$/;
/** RFC 3339: a date-time with an explicit offset, so it never depends on the reader's time zone. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export class WebchatVisitor {
  /**
   * The widget's id for this browser, kept across sessions: a decimal number of 1–32 digits without a
   * leading zero (e.g. a random 64-bit integer), the form of every platform id the hub keys handles by.
   */
  @Matches(/^[1-9]\d{0,31}$/, { message: 'id must be a decimal id of 1–32 digits without a leading zero' })
  id!: string;

  /** Typed by the visitor (not verified): when present, it is the customer key. */
  @IsOptionalNonNull() @IsEmail({}, { message: 'email must be an email address' }) @MaxLength(320) email?: string;

  /** Typed by the visitor: E.164 preferably; a national number needs WEBCHAT_DEFAULT_REGION. */
  @IsOptionalNonNull()
  @Matches(/^\+?[\d\s().-]{4,32}$/, { message: 'phone must be a phone number (digits, spaces, + ( ) . -)' })
  phone?: string;

  /** Shown to agents by the gateway; not part of the canonical event. */
  @IsOptionalNonNull() @IsString() @MaxLength(256) name?: string;
}

export class WebchatAttachment {
  /** Where the gateway stored the upload. HTTPS only. */
  @IsUrl({ protocols: ['https'], require_protocol: true, require_tld: false }, { message: 'url must be an https URL' })
  @MaxLength(2048)
  url!: string;
  @Matches(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, { message: 'contentType must be a MIME type (type/subtype)' })
  @MaxLength(255)
  contentType!: string;
  @IsOptionalNonNull() @IsString() @Length(1, 255) name?: string;
  @IsOptionalNonNull() @IsInt() @Min(0) sizeBytes?: number;
}

export class WebchatMessage {
  /** Unique within the session: with the session id, it is what makes a redelivery the same event. */
  @Matches(ID, { message: 'id must be 1–128 characters of A-Z, a-z, 0-9, _ and -' }) id!: string;

  /** When the gateway received it from the browser. */
  @Matches(RFC3339, { message: 'sentAt must be an RFC 3339 date-time with an offset, e.g. 2025-01-15T09:29:58.120Z' })
  @IsISO8601({ strict: true }, { message: 'sentAt must be a real date' })
  sentAt!: string;

  /** Required unless the message has attachments. */
  @ValidateIf((m: WebchatMessage) => m.text !== undefined || !(Array.isArray(m.attachments) && m.attachments.length > 0))
  @IsString({ message: 'text is required (a string) when a message has no attachments' })
  @Length(1, WEBCHAT_MAX_TEXT_LENGTH, { message: `text must be 1–${WEBCHAT_MAX_TEXT_LENGTH} characters` })
  text?: string;

  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(WEBCHAT_MAX_ATTACHMENTS)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => WebchatAttachment)
  attachments?: WebchatAttachment[];
}

/**
 * The adapter reads the page's host with WHATWG `URL`; validator's `isURL` takes strings `URL` refuses
 * (`https:\uFFFD/www.example.com/help`), which answered 500 (found by the fuzz campaign, issue #15).
 */
const ParsesAsUrl = (): PropertyDecorator =>
  ValidateBy({
    name: 'parsesAsUrl',
    validator: { validate: (v: unknown) => typeof v === 'string' && URL.canParse(v), defaultMessage: () => '$property must be a URL' },
  });

export class WebchatPage {
  /** The page the widget was open on; its host is recorded as the endpoint the visitor reached. */
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }) @ParsesAsUrl() @MaxLength(2048) url!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(512) title?: string;
}

export class WebchatPayload {
  @Matches(ID, { message: 'sessionId must be 1–128 characters of A-Z, a-z, 0-9, _ and -' }) sessionId!: string;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => WebchatVisitor) visitor!: WebchatVisitor;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBCHAT_MAX_MESSAGES)
  @ArrayUnique((m: { id?: unknown } | null | undefined) => m?.id, { message: 'messages must have distinct ids' })
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => WebchatMessage)
  messages!: WebchatMessage[];

  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => WebchatPage) page?: WebchatPage;
}
