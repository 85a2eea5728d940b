import { randomBytes } from 'node:crypto';
import { DecryptionError } from './crypto-shredding.errors';
import { decryptBytes, encryptBytes, ENVELOPE_PREFIX, isEnvelope, openValue, sealValue } from './envelope';

const key = randomBytes(32);
const AAD = '["hub-field",1,"acme","c1","e1","data.content.text"]';

/** The envelope with one byte of its decoded body changed at `offset`. */
function flipByte(envelope: string, offset: number): string {
  const body = Buffer.from(envelope.slice(ENVELOPE_PREFIX.length), 'base64');
  body[offset] = body[offset]! ^ 0x01;
  return ENVELOPE_PREFIX + body.toString('base64');
}

describe('envelope', () => {
  describe('when a value is sealed', () => {
    const envelope = sealValue(key, 'Where is my order?', AAD);

    it('then it is an enc:v1 string of base64 that does not contain the plaintext', () => {
      expect(envelope.startsWith('enc:v1:')).toBe(true);
      expect(isEnvelope(envelope)).toBe(true);
      expect(envelope).not.toContain('order');
      expect(envelope.slice(ENVELOPE_PREFIX.length)).toMatch(/^[A-Za-z0-9+/]+=*$/);
    });

    it('then it opens to the same value with the same key and AAD', () => {
      expect(openValue(key, envelope, AAD)).toBe('Where is my order?');
    });

    it('then the layout is iv (12) | tag (16) | ciphertext of the JSON', () => {
      const body = Buffer.from(envelope.slice(ENVELOPE_PREFIX.length), 'base64');
      expect(body.length).toBe(12 + 16 + Buffer.byteLength(JSON.stringify('Where is my order?')));
    });

    it('then sealing it again gives another envelope (a fresh IV each time)', () => {
      expect(sealValue(key, 'Where is my order?', AAD)).not.toBe(envelope);
    });
  });

  it('round-trips JSON values that are not strings', () => {
    for (const value of [42, true, { a: [1, 'b'] }, '', 'ünïcødé ✓'])
      expect(openValue(key, sealValue(key, value, AAD), AAD)).toEqual(value);
  });

  describe('when anything was changed', () => {
    const envelope = sealValue(key, '+14155550101', AAD);

    it.each([
      ['the IV', 0],
      ['the tag', 12],
      ['the ciphertext', 28],
    ])('then a changed byte of %s fails authentication with a typed error', (_, offset) => {
      const error = catchError(() => openValue(key, flipByte(envelope, offset), AAD));
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error).toMatchObject({ code: 'CRYPTO_DECRYPTION_FAILED', reason: 'authentication_failed', retryable: false });
    });

    it('then another AAD (the ciphertext moved to another field or event) fails authentication', () => {
      expect(catchError(() => openValue(key, envelope, AAD.replace('text', 'endpoint')))).toMatchObject({
        reason: 'authentication_failed',
      });
    });

    it('then another key fails authentication', () => {
      expect(catchError(() => openValue(randomBytes(32), envelope, AAD))).toMatchObject({ reason: 'authentication_failed' });
    });

    it.each([
      ['no prefix', 'abc'],
      ['an unknown version', envelope.replace('enc:v1:', 'enc:v9:')],
      ['characters that are not base64', `${envelope.slice(0, -4)}*#!?`],
      ['a truncated body', `${ENVELOPE_PREFIX}AAAA`],
      ['a body shorter than iv and tag', ENVELOPE_PREFIX + Buffer.alloc(27).toString('base64')],
    ])('then an envelope with %s is malformed', (_, bad) => {
      expect(catchError(() => openValue(key, bad, AAD))).toMatchObject({ reason: 'malformed_envelope' });
    });
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => encryptBytes(randomBytes(16), Buffer.from('x'), Buffer.alloc(0))).toThrow(RangeError);
    expect(() => decryptBytes(randomBytes(31), Buffer.alloc(40), Buffer.alloc(0))).toThrow(RangeError);
  });

  it('refuses values that are not JSON', () => {
    expect(() => sealValue(key, undefined, AAD)).toThrow(TypeError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
