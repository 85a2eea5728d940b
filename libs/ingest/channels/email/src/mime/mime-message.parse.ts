import type { AddressObject, EmailAddress, HeaderLines, ParsedMail } from 'mailparser';
import { mailparser } from '../mailparser';
import type { AttachmentMeta } from '@hub/contracts';
import type { ParseResult } from '@hub/channels-core';
import { emailBodyText } from '../email-body';
import {
  bounded,
  fieldError,
  headerDate,
  MAX_ATTACHMENT_NAME_CHARS,
  MAX_CONTENT_TYPE_CHARS,
  messageIds,
  sha256Hex,
  type EmailMailbox,
  type InboundEmail,
} from '../inbound-email';

/** What mailparser is asked for: the parts as sent, no HTML↔text conversion (we summarise HTML ourselves). */
const PARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
  skipTextLinks: true,
  checksumAlgo: false,
} as const;

/**
 * Reads one RFC 5322 message (the exact bytes) into an `InboundEmail`: encoded words and body
 * charsets decoded by mailparser, the text part kept (or an HTML-only body summarised), attachments
 * reduced to name, type and size. Refuses (naming `field`, e.g. `mime` or `from`) what is not a
 * message or has no From; `field` is prefixed for a message inside another payload (`email.from`).
 */
export async function parseMimeMessage(bytes: unknown, field = ''): Promise<ParseResult<InboundEmail>> {
  const path = (name: string): string => (field === '' ? name : `${field}.${name}`);
  const mimeField = field === '' ? 'mime' : field;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
    return { ok: false, errors: [fieldError(mimeField, 'must be the raw message bytes (RFC 5322, content type message/rfc822)')] };
  }
  let parsed: ParsedMail;
  try {
    parsed = await mailparser().simpleParser(bytes, PARSER_OPTIONS);
  } catch (err) {
    return {
      ok: false,
      errors: [fieldError(mimeField, `not a parseable MIME message: ${err instanceof Error ? err.message : String(err)}`)],
    };
  }
  if (parsed.headers.size === 0) {
    return { ok: false, errors: [fieldError(mimeField, 'not an RFC 5322 message: it has no header fields')] };
  }

  const from = mailboxes(parsed.from);
  if (headerValues(parsed.headerLines, 'from').length === 0)
    return { ok: false, errors: [fieldError(path('from'), 'the message has no From header')] };
  if (from.length === 0) return { ok: false, errors: [fieldError(path('from'), 'the From header names no one')] };

  const { text, textFromHtml } = await emailBodyText(parsed.text, typeof parsed.html === 'string' ? parsed.html : undefined);
  const deliveredTo =
    firstAddress(headerValues(parsed.headerLines, 'delivered-to')) ?? firstAddress(headerValues(parsed.headerLines, 'x-original-to'));
  const headerIds = (name: string): string[] => messageIds(headerValues(parsed.headerLines, name).join(' '));
  const [messageId] = headerIds('message-id');
  const [inReplyTo] = headerIds('in-reply-to');
  const date = headerDate(headerValues(parsed.headerLines, 'date')[0]);
  return {
    ok: true,
    value: {
      ...(messageId !== undefined ? { messageId } : {}),
      rawSha256: sha256Hex(bytes),
      ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      from,
      to: addresses(parsed.to),
      cc: addresses(parsed.cc),
      ...(inReplyTo !== undefined ? { inReplyTo } : {}),
      references: headerIds('references'),
      ...(date !== undefined ? { date } : {}),
      ...(deliveredTo !== undefined ? { deliveredTo } : {}),
      ...(text !== undefined ? { text } : {}),
      textFromHtml,
      attachments: parsed.attachments.map((a, i) => attachmentMeta(a.filename, a.contentType, a.size, i)),
    },
  };
}

/**
 * Typed `string | undefined` by mailparser, but a message cut inside nested multiparts gave an
 * attachment whose `contentType` was not a string, and `.trim` threw: a 500 (fuzz campaign, issue #15).
 * So both are taken as `unknown` and used only when they are strings.
 */
export function attachmentMeta(filename: unknown, contentType: unknown, sizeBytes: number, index: number): AttachmentMeta {
  const name = typeof filename === 'string' ? filename.trim() : '';
  const type = typeof contentType === 'string' ? contentType.trim() : '';
  return {
    name: bounded(name ? name : `attachment-${index + 1}`, MAX_ATTACHMENT_NAME_CHARS),
    contentType: bounded(type || 'application/octet-stream', MAX_CONTENT_TYPE_CHARS),
    sizeBytes,
  };
}

/** The unfolded values of every header line named `key` (lower case), in order. */
export function headerValues(lines: HeaderLines, key: string): string[] {
  return lines
    .filter((l) => l.key === key)
    .map((l) =>
      l.line
        .slice(l.line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
}

function flatten(list: readonly EmailAddress[]): EmailAddress[] {
  return list.flatMap((a) => (a.group ? flatten(a.group) : [a]));
}

function addressObjects(value: AddressObject | AddressObject[] | undefined): AddressObject[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function mailboxes(value: AddressObject | AddressObject[] | undefined): EmailMailbox[] {
  return addressObjects(value).flatMap((o) => flatten(o.value).map((a) => ({ name: a.name ?? '', address: (a.address ?? '').trim() })));
}

export function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  return mailboxes(value)
    .map((m) => m.address)
    .filter((a) => a !== '');
}

function firstAddress(values: readonly string[]): string | undefined {
  for (const value of values) {
    const [address] = addresses(mailparser().parseAddressHeader(value));
    if (address !== undefined) return address;
  }
  return undefined;
}
