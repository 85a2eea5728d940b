import { createECDH, createHash, createPrivateKey, createPublicKey, sign as ecdsaSign, type KeyObject } from 'node:crypto';
import type { WebhookRequest } from '@hub/channels-core';
import { SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER } from '../sendgrid/sendgrid-inbound-parse.adapter';

/**
 * Test and demo helpers that post Inbound Parse webhooks the way SendGrid does
 * (https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook):
 * multipart/form-data with SendGrid's boundary and user agent, signed like a Parse webhook with a
 * signature security policy (ECDSA P-256 over `timestamp + body`). Never imported by production code.
 */

/** The boundary SendGrid's mailer (`Sendlib/1.0`) uses for every Inbound Parse post. */
export const SENDGRID_FORM_BOUNDARY = 'xYzZY';

/**
 * A recorded Inbound Parse post in a fixture: the form fields in the order SendGrid sends them
 * (a value given as lines is joined with LF, as SendGrid's `headers` field is), the charset of fields sent as 8-bit Latin-1, and
 * the attachment files, described (their bytes are made up to the size given).
 */
export interface SendGridFixturePayload {
  fields: Record<string, string | string[]>;
  encodings?: Record<string, 'utf8' | 'latin1'>;
  files?: { field: string; filename: string; contentType: string; sizeBytes: number }[];
}

export interface P256KeyPair {
  privateKey: KeyObject;
  /** As SendGrid returns it in a security policy: base64 of the DER SubjectPublicKeyInfo. */
  publicKeyBase64: string;
}

const b64url = (b: Buffer): string => b.toString('base64url');

/** An ECDSA P-256 key pair derived from `seed`: the same seed gives the same keys in every process. */
export function p256KeyPair(seed: string): P256KeyPair {
  const d = createHash('sha256').update(`sendgrid-test-key:${seed}`).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
  const privateKey = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64url(d), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
    format: 'jwk',
  });
  return { privateKey, publicKeyBase64: createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64') };
}

/** Made-up file content of `size` bytes, starting with the format's magic bytes. */
export function attachmentBytes(contentType: string, size: number): Buffer {
  const magic: Record<string, Buffer> = {
    'application/pdf': Buffer.from('%PDF-1.7\n', 'latin1'),
    'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  };
  const start = magic[contentType] ?? Buffer.alloc(0);
  const filler = Buffer.from('hub-attachment-bytes;', 'latin1');
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i < start.length ? start[i]! : filler[i % filler.length]!;
  return out;
}

/** The multipart/form-data body SendGrid posts for `payload`. */
export function sendGridFormBody(payload: SendGridFixturePayload): { body: Buffer; contentType: string } {
  const crlf = Buffer.from('\r\n');
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(payload.fields)) {
    const text = Array.isArray(value) ? value.join('\n') : value;
    parts.push(
      Buffer.from(`--${SENDGRID_FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`, 'utf8'),
      Buffer.from(text, payload.encodings?.[name] ?? 'utf8'),
      crlf,
    );
  }
  for (const file of payload.files ?? []) {
    parts.push(
      Buffer.from(
        `--${SENDGRID_FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
        'utf8',
      ),
      attachmentBytes(file.contentType, file.sizeBytes),
      crlf,
    );
  }
  parts.push(Buffer.from(`--${SENDGRID_FORM_BOUNDARY}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${SENDGRID_FORM_BOUNDARY}` };
}

/** A fixture payload checked for shape: a mistake in a fixture fails loudly. */
export function sendGridFixturePayload(payload: Record<string, unknown>): SendGridFixturePayload {
  const { fields, encodings, files } = payload;
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (
    !isRecord(fields) ||
    !Object.values(fields).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((l) => typeof l === 'string')))
  ) {
    throw new Error('a SendGrid fixture payload is { "fields": { name: string | string[] }, "encodings"?: {...}, "files"?: [...] }');
  }
  if (encodings !== undefined && !isRecord(encodings)) throw new Error('"encodings" must be an object');
  if (files !== undefined && !Array.isArray(files)) throw new Error('"files" must be an array');
  return payload as unknown as SendGridFixturePayload;
}

/** The request SendGrid sends: its form body, signed with `privateKey` at `timestampSeconds`. */
export function signedSendGridRequest(args: {
  privateKey: KeyObject;
  url: string;
  body: Buffer;
  contentType: string;
  timestampSeconds: number;
}): WebhookRequest {
  const timestamp = String(args.timestampSeconds);
  const signature = ecdsaSign('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), args.body]), args.privateKey).toString('base64');
  return {
    method: 'POST',
    url: args.url,
    headers: {
      'content-type': args.contentType,
      'user-agent': 'Sendlib/1.0',
      [SENDGRID_SIGNATURE_HEADER]: signature,
      [SENDGRID_TIMESTAMP_HEADER]: timestamp,
    },
    rawBody: args.body,
    // multipart/form-data reaches `parse` as the exact bytes.
    body: args.body,
  };
}
