import { createHash } from 'node:crypto';
import { DEAD_LETTER_RAW_LIMIT_BYTES, deadLetterBody } from './ingest.service';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('deadLetterBody: what a dead letter keeps of the raw request', () => {
  it('given a small text body, then it is kept whole as text, with its size and digest', () => {
    const raw = Buffer.from('From=%2B14155550123&Body=%F0%9F%98%80 مرحبا');
    expect(deadLetterBody(raw)).toEqual({ raw: raw.toString('utf8'), rawBytes: raw.length, rawSha256: sha(raw), truncated: false });
  });

  it('given a binary body (not UTF-8), then it is kept as base64, byte for byte', () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x41]);
    const out = deadLetterBody(raw);
    expect(out).toMatchObject({ rawBytes: 5, truncated: false });
    expect(Buffer.from(out.rawBase64!, 'base64')).toEqual(raw);
    expect(out).not.toHaveProperty('raw');
  });

  it('given a body over the limit (a 3 MB email), then only its head is kept, saying so, with the digest of the whole', () => {
    const raw = Buffer.alloc(3 * 1024 * 1024, 'a');
    const out = deadLetterBody(raw);
    expect(out).toMatchObject({ rawBytes: raw.length, rawSha256: sha(raw), truncated: true });
    expect(out.raw).toHaveLength(DEAD_LETTER_RAW_LIMIT_BYTES);
  });

  it('given text JSON would escape past the size of base64 (quotes and backslashes), then it is kept as base64, so the dead letter stays under the message limit', () => {
    const raw = Buffer.from(`{"text":"${'"\\'.repeat(400_000)}"}`);
    const out = deadLetterBody(raw);
    expect(out).toMatchObject({ rawBytes: raw.length, truncated: true });
    expect(out).not.toHaveProperty('raw');
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(800 * 1024);
    expect(Buffer.from(out.rawBase64!, 'base64').equals(raw.subarray(0, DEAD_LETTER_RAW_LIMIT_BYTES))).toBe(true);
  });
});
