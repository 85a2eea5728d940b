import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError } from './crypto-shredding.errors';

/**
 * AES-256-GCM envelopes for single values (node:crypto only).
 *
 * A sealed value is the string `enc:v1:<base64(iv | tag | ciphertext)>`: a random 12-byte IV per
 * value, the 16-byte authentication tag, then the ciphertext of the value's JSON. The associated
 * data (AAD) binds the ciphertext to where it belongs (tenant, subject, event id, field path), so a
 * ciphertext copied to another field or event fails authentication instead of decrypting there.
 *
 * RENAMING THE PREFIX OR CHANGING THE LAYOUT NEEDS A MIGRATION: stored events hold these strings.
 * A new layout gets a new prefix (`enc:v2:`) and both are read.
 */
export const ENVELOPE_PREFIX = 'enc:v1:';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when `value` looks like a sealed value (it may still fail to open). */
export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX);
}

/** `iv | tag | ciphertext` of `plaintext` under `key`, authenticated together with `aad`. */
export function encryptBytes(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** The inverse of `encryptBytes`. Throws `DecryptionError` when anything was changed. */
export function decryptBytes(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  assertKey(key);
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('malformed_envelope');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ciphertext = sealed.subarray(IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (err) {
    throw new DecryptionError('authentication_failed', {}, err);
  }
}

/** Seal one JSON value (a string, number, object, …) as an envelope string. */
export function sealValue(key: Buffer, value: unknown, aad: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('sealValue: the value is not JSON (undefined, a function or a symbol)');
  return ENVELOPE_PREFIX + encryptBytes(key, Buffer.from(json, 'utf8'), Buffer.from(aad, 'utf8')).toString('base64');
}

/** Open an envelope made by `sealValue` with the same key and AAD. Throws `DecryptionError`. */
export function openValue(key: Buffer, envelope: string, aad: string): unknown {
  if (!isEnvelope(envelope)) throw new DecryptionError('malformed_envelope');
  const body = envelope.slice(ENVELOPE_PREFIX.length);
  // Buffer.from(…, 'base64') skips what is not base64: check the text first, so a mangled envelope
  // fails as malformed rather than as a shorter ciphertext.
  if (body.length % 4 !== 0 || !BASE64.test(body)) throw new DecryptionError('malformed_envelope');
  const plaintext = decryptBytes(key, Buffer.from(body, 'base64'), Buffer.from(aad, 'utf8'));
  try {
    return JSON.parse(plaintext.toString('utf8')) as unknown;
  } catch (err) {
    throw new DecryptionError('not_json', {}, err);
  }
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
}
