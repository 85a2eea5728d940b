import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** A request body after decoding: its bytes and how many came over the wire, or why not. */
export type DecodedBody =
  | { kind: 'decoded'; body: Buffer; encodedBytes: number }
  | { kind: 'too_large'; bytes: number }
  | { kind: 'invalid'; reason: string };

/** The encoding a request names, normalised (`identity` when none). */
export function requestEncoding(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  return value === '' ? 'identity' : value;
}

/**
 * Decodes a gzip body without ever holding more than `limitBytes + 1` decoded bytes: a small "zip
 * bomb" is refused as too large instead of filling memory.
 */
async function gunzipBounded(compressed: Buffer, limitBytes: number): Promise<DecodedBody> {
  try {
    const body = await gunzipAsync(compressed, { maxOutputLength: limitBytes + 1 });
    return body.length > limitBytes
      ? { kind: 'too_large', bytes: body.length }
      : { kind: 'decoded', body, encodedBytes: compressed.length };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { kind: 'too_large', bytes: limitBytes + 1 };
    return { kind: 'invalid', reason: `not a gzip body: ${(err as Error).message}` };
  }
}

/** Reads a request stream whole, stopping as soon as it exceeds `limitBytes` (undefined then). */
async function readBounded(stream: AsyncIterable<Buffer>, limitBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > limitBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** Reads a gzip request body (at most `limitBytes` of it) and decodes it (at most `limitBytes` decoded). */
export async function decodeBody(stream: AsyncIterable<Buffer>, limitBytes: number): Promise<DecodedBody> {
  const compressed = await readBounded(stream, limitBytes);
  return compressed === undefined ? { kind: 'too_large', bytes: limitBytes + 1 } : gunzipBounded(compressed, limitBytes);
}

/**
 * The decoded body as the stream Fastify's body parsers read. `receivedEncodedLength` is what came
 * over the wire: Fastify compares it with `Content-Length` (and the decoded size with the body limit).
 */
export function decodedPayload(decoded: Buffer, encodedLength: number): Readable {
  return Object.assign(Readable.from([decoded], { objectMode: false }), { receivedEncodedLength: encodedLength });
}
