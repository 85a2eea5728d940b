import type { WebhookRequest } from '@hub/channels-core';
import { MIME_SIGNATURE_HEADER, MIME_TIMESTAMP_HEADER, mimeSignature } from '../mime/raw-mime-email.adapter';

/**
 * Test and demo helpers that post raw messages the way our MTA hook does (see the contract in
 * raw-mime-email.adapter.ts). Never imported by production code.
 */

/**
 * A recorded message in a fixture: the message text, or its lines (joined with CRLF, as on the
 * wire); `encoding: 'latin1'` when the message has 8-bit Latin-1 bytes (each character one byte).
 */
export interface MimeFixturePayload {
  mime: string | string[];
  encoding?: 'utf8' | 'latin1';
}

export function mimeFixtureBytes(payload: Record<string, unknown>): Buffer {
  const { mime, encoding } = payload;
  const text = Array.isArray(mime) && mime.every((l) => typeof l === 'string') ? mime.join('\r\n') : mime;
  if (typeof text !== 'string') throw new Error('a MIME fixture payload is { "mime": string | string[], "encoding"?: "utf8" | "latin1" }');
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'latin1')
    throw new Error(`unknown encoding ${JSON.stringify(encoding)}`);
  return Buffer.from(text, encoding ?? 'utf8');
}

/** The request our hook sends for `raw`, signed with `secret` at `timestampSeconds`. */
export function signedMimeRequest(args: { secret: string; url: string; raw: Buffer; timestampSeconds: number }): WebhookRequest {
  const timestamp = String(args.timestampSeconds);
  return {
    method: 'POST',
    url: args.url,
    headers: {
      'content-type': 'message/rfc822',
      'user-agent': 'hub-mta-hook/1.0',
      [MIME_TIMESTAMP_HEADER]: timestamp,
      [MIME_SIGNATURE_HEADER]: mimeSignature(args.secret, timestamp, args.raw),
    },
    rawBody: args.raw,
    // What the ingestion app hands `parse` for message/rfc822: the exact bytes.
    body: args.raw,
  };
}

export interface TestMessageInput {
  from: string;
  to: string;
  cc?: string;
  subject?: string;
  /** With brackets, e.g. `<abc@example.com>`; omitted: no Message-ID header. */
  messageId?: string;
  inReplyTo?: string;
  references?: readonly string[];
  date?: string;
  text?: string;
  html?: string;
  attachments?: readonly { filename: string; contentType: string; content: Buffer }[];
}

const b64Lines = (b: Buffer): string => (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

/** A small, well-formed RFC 5322 message (UTF-8, base64 bodies) for tests and demos. */
export function testMessage(m: TestMessageInput): string {
  const head = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    ...(m.cc !== undefined ? [`Cc: ${m.cc}`] : []),
    ...(m.subject !== undefined ? [`Subject: =?UTF-8?B?${Buffer.from(m.subject, 'utf8').toString('base64')}?=`] : []),
    ...(m.date !== undefined ? [`Date: ${m.date}`] : []),
    ...(m.messageId !== undefined ? [`Message-ID: ${m.messageId}`] : []),
    ...(m.inReplyTo !== undefined ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references !== undefined && m.references.length > 0 ? [`References: ${m.references.join('\r\n ')}`] : []),
    'MIME-Version: 1.0',
  ];
  const part = (type: string, body: string): string =>
    `Content-Type: ${type}; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64Lines(Buffer.from(body, 'utf8'))}`;
  const bodies = [
    ...(m.text !== undefined ? [part('text/plain', m.text)] : []),
    ...(m.html !== undefined ? [part('text/html', m.html)] : []),
  ];
  const files = (m.attachments ?? []).map(
    (a) =>
      `Content-Type: ${a.contentType}; name="${a.filename}"\r\nContent-Disposition: attachment; filename="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64Lines(a.content)}`,
  );
  const multipart = (type: string, boundary: string, parts: readonly string[]): string =>
    `Content-Type: multipart/${type}; boundary="${boundary}"\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--`;
  const body = bodies.length > 1 ? multipart('alternative', 'alt-boundary', bodies) : (bodies[0] ?? part('text/plain', ''));
  const whole = files.length > 0 ? multipart('mixed', 'mixed-boundary', [body, ...files]) : body;
  return `${head.join('\r\n')}\r\n${whole}\r\n`;
}
