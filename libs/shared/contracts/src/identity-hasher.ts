import { createHmac, hkdfSync } from 'node:crypto';
import { HubError } from './errors';

/** Bytes of an identity hash key (`IDENTITY_HASH_KEY`): 32, given as base64 (`openssl rand -base64 32`). */
export const IDENTITY_HASH_KEY_BYTES = 32;

/** A base64 identity hash key as `IDENTITY_HASH_KEY` takes it: 32 bytes, 44 characters. */
export const IDENTITY_HASH_KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The published development key: what the hub uses when `NODE_ENV` is `development` or `test` and
 * no `IDENTITY_HASH_KEY` is set (the demo, `npm test`, the benchmarks). It is in this file, so it
 * hides nothing: a production deployment refuses to boot without a key of its own.
 */
export const DEV_IDENTITY_HASH_KEY = 'aHViLWRldmVsb3BtZW50LWlkZW50aXR5LWtleS0wMDE=';

export class InvalidIdentityHashKeyError extends HubError {
  readonly code = 'IDENTITY_HASH_KEY_INVALID';
  readonly retryable = false;
}

/** What an identity hash is for: each purpose has its own derived key, so one never equals the other. */
type Purpose = 'stream' | 'kafka-key';

/**
 * Names an identity (a phone number, an email, a handle) without revealing it: HMAC-SHA-256 under a
 * key derived per tenant and purpose (HKDF-SHA-256) from one deployment secret. Without the secret,
 * a stream name or a Kafka key cannot be recomputed from a guessed phone number (an unkeyed hash
 * can, by enumerating numbers); and two tenants' hashes of the same number differ and cannot be
 * matched. A value object: pure and deterministic, passed in where names are built (no globals).
 */
export class IdentityHasher {
  private readonly derived = new Map<string, Buffer>();

  private constructor(
    private readonly secret: Buffer,
    /** A short non-secret fingerprint of the key, for logs and the migration report ("which key?"). */
    readonly fingerprint: string,
  ) {}

  /** From `IDENTITY_HASH_KEY` (base64 of 32 bytes). Throws `InvalidIdentityHashKeyError`. */
  static fromBase64(key: string): IdentityHasher {
    if (!IDENTITY_HASH_KEY_PATTERN.test(key))
      throw new InvalidIdentityHashKeyError('IDENTITY_HASH_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
    const secret = Buffer.from(key, 'base64');
    if (secret.length !== IDENTITY_HASH_KEY_BYTES)
      throw new InvalidIdentityHashKeyError('IDENTITY_HASH_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
    const fingerprint = createHmac('sha256', secret).update('hub.identity.fingerprint').digest('hex').slice(0, 8);
    return new IdentityHasher(secret, fingerprint);
  }

  /** The hasher of the published development key (`DEV_IDENTITY_HASH_KEY`): tests, the demo, benchmarks. */
  static development(): IdentityHasher {
    return IdentityHasher.fromBase64(DEV_IDENTITY_HASH_KEY);
  }

  /** The hex digest naming one identity of one tenant (`kind` includes a handle's namespace). */
  digest(tenantId: string, kind: string, value: string, purpose: Purpose = 'stream'): string {
    return createHmac('sha256', this.keyFor(tenantId, purpose)).update(`${kind}:${value}`).digest('hex');
  }

  private keyFor(tenantId: string, purpose: Purpose): Buffer {
    const id = `${purpose}\u0000${tenantId}`;
    let key = this.derived.get(id);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, 'hub.identity.v1', `${purpose}:${tenantId}`, 32));
      this.derived.set(id, key);
    }
    return key;
  }
}
