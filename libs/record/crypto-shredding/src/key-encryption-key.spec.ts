import { randomBytes } from 'node:crypto';
import { validateSync } from 'class-validator';
import { KeyEncryptionKeyConfigError } from './crypto-shredding.errors';
import { IsKeyEncryptionKey, parseKeyEncryptionKey } from './key-encryption-key';

class Env {
  @IsKeyEncryptionKey() HUB_KEK?: string;
}

function envWith(value: string): Env {
  const env = new Env();
  env.HUB_KEK = value;
  return env;
}

describe('HUB_KEK', () => {
  const good = randomBytes(32).toString('base64');

  it('is optional: unset or empty means no key-encryption key', () => {
    expect(parseKeyEncryptionKey(undefined)).toBeUndefined();
    expect(parseKeyEncryptionKey('  ')).toBeUndefined();
  });

  it('is 32 bytes of base64', () => {
    expect(parseKeyEncryptionKey(good)).toEqual(Buffer.from(good, 'base64'));
    expect(validateSync(envWith(good))).toEqual([]);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['not base64', `${good.slice(0, -2)}!!`],
    ['hex', randomBytes(32).toString('hex')],
  ])('refuses %s with a readable message, at boot', (_, bad) => {
    expect(() => parseKeyEncryptionKey(bad)).toThrow(KeyEncryptionKeyConfigError);
    expect(() => parseKeyEncryptionKey(bad)).toThrow('HUB_KEK must be 32 bytes in base64');
    const [error] = validateSync(envWith(bad));
    expect(error?.constraints).toEqual({ isKeyEncryptionKey: 'HUB_KEK must be 32 bytes in base64 (openssl rand -base64 32)' });
  });
});
