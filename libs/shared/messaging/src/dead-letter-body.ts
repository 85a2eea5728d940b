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

/**
 * A dead letter that points at its message instead of carrying it: where it is (topic, partition,
 * offset: the source topic keeps it for its retention) and what it was (size and SHA-256, so a
 * re-drive can tell it found the same bytes). Nothing of the value itself.
 */
export interface DeadLetterReference {
  reference: { topic: string; partition: number; offset: string };
  rawBytes: number;
  /** Null for a message without a value. */
  rawSha256: string | null;
}

export function deadLetterReference(topic: string, partition: number, offset: string, raw: Buffer | null): DeadLetterReference {
  return {
    reference: { topic, partition, offset },
    rawBytes: raw?.length ?? 0,
    rawSha256: raw ? createHash('sha256').update(raw).digest('hex') : null,
  };
}
