import { createHash } from 'node:crypto';
import type { AttachmentMeta, FieldError } from '@hub/contracts';

/**
 * One received email, read from whatever the provider posted (raw MIME or SendGrid's parsed
 * form) into the same plain, JSON-safe shape, so both providers share one mapping. Decoded:
 * encoded words (RFC 2047) and body charsets are already text here.
 */
export interface InboundEmail {
  /** The Message-ID as written, angle brackets included; absent when the message has none. */
  messageId?: string;
  /** SHA-256 (hex) of the message's bytes as received: what identifies a message without Message-ID. */
  rawSha256: string;
  subject?: string;
  /** Every mailbox of the From header, in order (members of a group flattened). */
  from: EmailMailbox[];
  to: string[];
  cc: string[];
  inReplyTo?: string;
  references: string[];
  /** The Date header in ISO 8601, only when it is a valid date. */
  date?: string;
  /** Our address the transport delivered it to (Delivered-To / X-Original-To, SendGrid's envelope). */
  deliveredTo?: string;
  /** The text part, or a summary of the HTML for HTML-only mail; bounded (see the limits below). */
  text?: string;
  textFromHtml: boolean;
  /** Metadata only: the content of an attachment is never kept. */
  attachments: AttachmentMeta[];
}

export interface EmailMailbox {
  name: string;
  /** '' when the header names someone without an address (`From: Mail Delivery System`). */
  address: string;
}

/** The canonical contract's limit on `content.text`: longer text parts are cut there. */
export const MAX_TEXT_CHARS = 100_000;
/** A summary of an HTML-only body is kept short: it stands in for a body nobody wrote as text. */
export const MAX_HTML_SUMMARY_CHARS = 10_000;
/** HTML beyond this is not read for the summary (bounded CPU on hostile or huge HTML). */
export const MAX_HTML_TO_SUMMARISE_CHARS = 1_000_000;
/** Contract limits of the email facet. */
export const MAX_SUBJECT_CHARS = 998;
export const MAX_ATTACHMENT_NAME_CHARS = 512;
export const MAX_CONTENT_TYPE_CHARS = 255;
/** At most this many To / Cc addresses and References are kept (a mass mailing's list is not history). */
export const MAX_LISTED = 100;

/** `s` cut to at most `max` characters, ending in '…' when cut, never splitting a surrogate pair. */
export function bounded(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

export function sha256Hex(...parts: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** The Date header value as ISO 8601, or undefined when it is absent or not a date. */
export function headerDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value.trim());
  // Years 1970–9999: outside them a "date" is a broken header, not a time worth ordering by.
  return Number.isFinite(ms) && ms >= 0 && ms < 253_402_300_800_000 ? new Date(ms).toISOString() : undefined;
}

/** The longest message id kept (the email facet's limit); a longer one is ignored. */
export const MAX_MESSAGE_ID_CHARS = 998;

/** The message ids of a Message-ID / In-Reply-To / References value, each as `<id>`. */
export function messageIds(value: string | undefined): string[] {
  if (value === undefined) return [];
  const bracketed = value.match(/<[^<>\s]+>/g);
  // Some mailers leave the brackets out: then take the words that look like ids.
  const ids =
    bracketed ??
    value
      .split(/[\s,]+/)
      .filter((w) => /^[^\s<>@]+@[^\s<>@]+$/.test(w))
      .map((w) => `<${w}>`);
  return ids.filter((id) => id.length <= MAX_MESSAGE_ID_CHARS);
}

export const fieldError = (field: string, ...messages: string[]): FieldError => ({ field, messages });
