import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

/**
 * Beyond this, a dead letter keeps the head of the raw body, its size and its SHA-256: Kafka's
 * default message limit is 1 MB and an email with attachments can be 25 MB.
 */
export const DEAD_LETTER_RAW_LIMIT_BYTES = 512 * 1024;

export interface DeadLetterBody {
  raw?: string;
  rawBase64?: string;
  rawBytes: number;
  rawSha256: string;
  truncated: boolean;
}

/**
 * The raw body as a dead letter carries it: UTF-8 text when it is text, base64 otherwise; bounded.
 * Text JSON escapes more than base64 would grow it (quotes, backslashes, control characters: up to
 * 6×) is carried as base64 too, so the dead letter itself always fits under Kafka's message limit.
 */
export function deadLetterBody(raw: Buffer): DeadLetterBody {
  const truncated = raw.length > DEAD_LETTER_RAW_LIMIT_BYTES;
  const head = truncated ? raw.subarray(0, DEAD_LETTER_RAW_LIMIT_BYTES) : raw;
  const meta = { rawBytes: raw.length, rawSha256: createHash('sha256').update(raw).digest('hex'), truncated };
  // A cut may split a UTF-8 sequence: judge text-ness on the whole body.
  if (isUtf8(raw)) {
    const text = head.toString('utf8');
    if (Buffer.byteLength(JSON.stringify(text)) <= Math.ceil(head.length / 3) * 4 + 2) return { raw: text, ...meta };
  }
  return { rawBase64: head.toString('base64'), ...meta };
}
