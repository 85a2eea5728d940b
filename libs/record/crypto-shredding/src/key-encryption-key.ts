import { registerDecorator, type ValidationOptions } from 'class-validator';
import { KeyEncryptionKeyConfigError } from './crypto-shredding.errors';
import { KEY_BYTES } from './envelope';

/** The environment variable holding the key-encryption key: 32 random bytes, base64. */
export const KEK_ENV_VAR = 'HUB_KEK';

const CANONICAL_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decode(value: string): Buffer | undefined {
  const trimmed = value.trim();
  if (!CANONICAL_BASE64.test(trimmed) || trimmed.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
}

/**
 * `HUB_KEK` as bytes; undefined when it is not set (development: data keys are then stored in clear).
 * Throws `KeyEncryptionKeyConfigError` with a readable message when it is set but not 32 bytes of
 * base64. Make one with `openssl rand -base64 32`.
 */
export function parseKeyEncryptionKey(value: string | undefined): Buffer | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const bytes = decode(value);
  if (!bytes) throw new KeyEncryptionKeyConfigError(`${KEK_ENV_VAR} must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
  return bytes;
}

/**
 * For an app's env class (STYLE.md #16), so a bad key stops the app at boot:
 * `@IsOptional() @IsKeyEncryptionKey() HUB_KEK?: string;`
 */
export function IsKeyEncryptionKey(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isKeyEncryptionKey',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && decode(value) !== undefined },
    });
  };
}
