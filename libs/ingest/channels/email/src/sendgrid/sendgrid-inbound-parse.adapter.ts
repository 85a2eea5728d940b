import { createHash, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { HeaderLines } from 'mailparser';
import { mailparser } from '../mailparser';
import { validateAs, type AttachmentMeta, type FieldError, type InteractionReceived } from '@hub/contracts';
import {
  withinReplayWindow,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { decodeCharset } from '../charset';
import { emailBodyText } from '../email-body';
import { fieldError, headerDate, messageIds, sha256Hex, type InboundEmail } from '../inbound-email';
import { mapInboundEmail } from '../inbound-email.map';
import { addresses, attachmentMeta, headerValues, mailboxes, parseMimeMessage } from '../mime/mime-message.parse';
import { readMultipartForm, type FormFilePart, type MultipartForm } from './multipart-form';
import { sendGridVerificationKey, type SendGridInboundParseConfig } from './sendgrid-inbound-parse.config';
import { parseEnvelope, parseJsonObject, SendGridInboundParsePayload } from './sendgrid-inbound-parse.payload';

/**
 * SendGrid signs Inbound Parse requests when the Parse setting has a security policy with signature
 * verification: ECDSA (P-256, SHA-256) over `timestamp + raw body`, base64 DER in the signature
 * header, the same scheme as the Signed Event Webhook.
 * https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/securing-your-parse-webhooks
 */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** SendGrid documents no replay window; 5 minutes, as for our own hook. */
export const SENDGRID_REPLAY_WINDOW_SECONDS = 300;

export const SENDGRID_INBOUND_PARSE_MANIFEST: ChannelManifest = {
  id: 'email',
  displayName: 'Email (SendGrid Inbound Parse)',
  provider: 'sendgrid',
  docsUrl: 'https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook',
  route: { method: 'POST', path: '/webhooks/email/sendgrid' },
  // SendGrid's limit is 30 MB for the message with its attachments; the form adds a little.
  maxBodyBytes: 32 * 1024 * 1024,
};

/** Fields SendGrid sends in the charset `charsets` names (the others are UTF-8). */
const CHARSET_FIELDS = new Set(['text', 'html', 'subject', 'from', 'to', 'cc']);
const FORM_LIMITS = { fieldBytes: SENDGRID_INBOUND_PARSE_MANIFEST.maxBodyBytes, fields: 64, files: 100 };

export class SendGridInboundParseChannelAdapter implements ChannelAdapter<InboundEmail> {
  readonly manifest = SENDGRID_INBOUND_PARSE_MANIFEST;
  private readonly publicKey: KeyObject | undefined;
  /** SHA-256 of the configured `<user>:<password>`: compared in constant time, whatever the lengths. */
  private readonly credentialsDigest: Buffer | undefined;

  constructor(config: SendGridInboundParseConfig) {
    if (config.SENDGRID_INBOUND_PARSE_PUBLIC_KEY === undefined && config.SENDGRID_INBOUND_PARSE_BASIC_AUTH === undefined) {
      throw new Error('SendGrid Inbound Parse needs SENDGRID_INBOUND_PARSE_PUBLIC_KEY or SENDGRID_INBOUND_PARSE_BASIC_AUTH');
    }
    this.publicKey =
      config.SENDGRID_INBOUND_PARSE_PUBLIC_KEY === undefined
        ? undefined
        : sendGridVerificationKey(config.SENDGRID_INBOUND_PARSE_PUBLIC_KEY);
    this.credentialsDigest =
      config.SENDGRID_INBOUND_PARSE_BASIC_AUTH === undefined ? undefined : sha256(config.SENDGRID_INBOUND_PARSE_BASIC_AUTH);
  }

  /**
   * A post that carries SendGrid's signature is judged by it when a key is configured (a forged
   * signature is refused even with good credentials); any other post by its basic auth credentials
   * when those are configured (the stock, unsigned setup). Neither: `signature_missing`.
   */
  verify(request: WebhookRequest, context: VerifyContext): VerifyResult {
    const signed = request.headers[SENDGRID_SIGNATURE_HEADER] !== undefined || request.headers[SENDGRID_TIMESTAMP_HEADER] !== undefined;
    if (this.publicKey && (signed || !this.credentialsDigest)) return this.verifySignature(request, this.publicKey, context);
    if (this.credentialsDigest) return verifyBasicAuth(request.headers['authorization'], this.credentialsDigest);
    return { ok: false, reason: 'signature_missing' };
  }

  private verifySignature(request: WebhookRequest, publicKey: KeyObject, { nowMs }: VerifyContext): VerifyResult {
    const signature = request.headers[SENDGRID_SIGNATURE_HEADER];
    const timestamp = request.headers[SENDGRID_TIMESTAMP_HEADER];
    if (!signature || !timestamp) return { ok: false, reason: 'signature_missing' };
    if (!/^\d{1,12}$/.test(timestamp))
      return { ok: false, reason: 'signature_invalid', detail: `${SENDGRID_TIMESTAMP_HEADER} is not unix seconds` };
    let valid: boolean;
    try {
      valid = verifySignature(
        'sha256',
        Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]),
        publicKey,
        Buffer.from(signature, 'base64'),
      );
    } catch {
      valid = false; // not a DER signature at all
    }
    if (!valid) return { ok: false, reason: 'signature_invalid' };
    if (!withinReplayWindow(Number(timestamp), nowMs, SENDGRID_REPLAY_WINDOW_SECONDS)) return { ok: false, reason: 'signature_stale' };
    return { ok: true };
  }

  async parse(body: unknown, headers: WebhookRequest['headers']): Promise<ParseResult<InboundEmail>> {
    const contentType = headers['content-type'] ?? '';
    if (!Buffer.isBuffer(body) || !/^multipart\/form-data\b/i.test(contentType)) {
      return { ok: false, errors: [fieldError('(body)', 'must be multipart/form-data, as SendGrid Inbound Parse posts it')] };
    }
    const read = await readMultipartForm(body, contentType, FORM_LIMITS);
    if (!read.ok) return { ok: false, errors: [fieldError('(body)', `not a readable multipart/form-data body: ${read.reason}`)] };
    const { form } = read;

    const fields = await decodeFields(form);
    const validated = validateAs(SendGridInboundParsePayload, fields, { allowUnknown: true });
    const errors: FieldError[] = validated.ok ? [] : [...validated.errors];
    const raw = form.fields.get('email');
    if (
      raw === undefined &&
      fields.attachments !== undefined &&
      /^\d+$/.test(fields.attachments) &&
      Number(fields.attachments) !== form.files.length
    ) {
      errors.push(fieldError('attachments', `says ${fields.attachments} attachments, the form has ${form.files.length} files`));
    }
    if (errors.length > 0) return { ok: false, errors };

    const deliveredTo = parseEnvelope(fields.envelope)
      ?.to.find((address) => address.trim() !== '')
      ?.trim();
    const email = raw !== undefined ? await parseMimeMessage(raw, 'email') : await defaultModeEmail(fields, form);
    if (!email.ok) return email;
    return { ok: true, value: deliveredTo !== undefined ? { ...email.value, deliveredTo } : email.value };
  }

  map(email: InboundEmail, context: MapContext): InteractionReceived[] {
    return mapInboundEmail(email, this.manifest.provider, context);
  }
}

type DecodedFields = Record<string, string | undefined>;

/** Every field as text: `text`, `html` and the address/subject fields in the charset SendGrid names, the rest UTF-8. */
async function decodeFields(form: MultipartForm): Promise<DecodedFields> {
  const charsets = parseJsonObject(form.fields.get('charsets')?.toString('utf8')) ?? {};
  const out: DecodedFields = {};
  for (const [name, bytes] of form.fields) {
    const charset = charsets[name];
    out[name] = CHARSET_FIELDS.has(name)
      ? await decodeCharset(bytes, typeof charset === 'string' ? charset : 'utf-8')
      : bytes.toString('utf8');
  }
  return out;
}

/** SendGrid's default mode: ids and date from the raw header block, the rest from the parsed fields. */
async function defaultModeEmail(fields: DecodedFields, form: MultipartForm): Promise<ParseResult<InboundEmail>> {
  const from = mailboxes(mailparser().parseAddressHeader(fields.from));
  if (from.length === 0) return { ok: false, errors: [fieldError('from', 'names no one')] };
  const headerLines = await headerBlock(fields.headers ?? '');
  const ids = (name: string): string[] => messageIds(headerValues(headerLines, name).join(' '));
  const [messageId] = ids('message-id');
  const [inReplyTo] = ids('in-reply-to');
  const date = headerDate(headerValues(headerLines, 'date')[0]);
  const subject = fields.subject;
  const { text, textFromHtml } = await emailBodyText(fields.text, fields.html);
  const attachmentInfo = parseJsonObject(fields['attachment-info']) ?? {};
  const field = (name: string): Buffer => form.fields.get(name) ?? Buffer.alloc(0);
  return {
    ok: true,
    value: {
      ...(messageId !== undefined ? { messageId } : {}),
      // The message as SendGrid delivered it: its header block and bodies, not the form's framing.
      rawSha256: sha256Hex(field('headers'), Buffer.from([0]), field('text'), Buffer.from([0]), field('html')),
      ...(subject !== undefined ? { subject } : {}),
      from,
      to: addresses(mailparser().parseAddressHeader(fields.to)),
      cc: addresses(mailparser().parseAddressHeader(fields.cc)),
      ...(inReplyTo !== undefined ? { inReplyTo } : {}),
      references: ids('references'),
      ...(date !== undefined ? { date } : {}),
      ...(text !== undefined ? { text } : {}),
      textFromHtml,
      attachments: form.files.map((file, i) => fileMeta(file, attachmentInfo[file.field], i)),
    },
  };
}

/** The header lines of SendGrid's `headers` field (a header block without a body). */
async function headerBlock(headers: string): Promise<HeaderLines> {
  try {
    return (
      await mailparser().simpleParser(Buffer.from(`${headers.trimEnd()}\r\n\r\n`, 'utf8'), { skipHtmlToText: true, skipTextToHtml: true })
    ).headerLines;
  } catch {
    return [];
  }
}

/** An attachment as SendGrid describes it in `attachment-info` (filename, type), sized from its file part. */
function fileMeta(file: FormFilePart, info: unknown, index: number): AttachmentMeta {
  const described = typeof info === 'object' && info !== null ? (info as Record<string, unknown>) : {};
  const filename = typeof described['filename'] === 'string' ? described['filename'] : file.filename;
  const type = typeof described['type'] === 'string' ? described['type'] : file.contentType;
  return attachmentMeta(filename, type, file.sizeBytes, index);
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * `Authorization: Basic <base64 of user:password>` (RFC 7617; the scheme is case-insensitive), as
 * SendGrid sends the credentials of a Parse URL. The decoded credentials' SHA-256 is compared with
 * the configured one in constant time, so neither their content nor their length leaks.
 */
export function verifyBasicAuth(authorization: string | undefined, expectedDigest: Buffer): VerifyResult {
  if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'signature_missing' };
  const token = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization)?.[1];
  const decoded = token === undefined ? undefined : Buffer.from(token, 'base64');
  // Only the canonical encoding: Node's decoder ignores what follows the padding, and a token
  // that differs from the configured one must not be read as it.
  const canonical = decoded !== undefined && decoded.toString('base64') === token;
  const same = timingSafeEqual(sha256(canonical ? decoded.toString('utf8') : ''), expectedDigest);
  return canonical && same ? { ok: true } : { ok: false, reason: 'signature_invalid' };
}
