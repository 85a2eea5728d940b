import { EventStoreError } from '@hub/event-store';
import { HubError } from '@hub/contracts';

/**
 * Typed errors of crypto-shredding: callers branch on the class (or `code`), never on a message.
 * Errors thrown through the `EventStore` port extend `EventStoreError`, so code that already handles
 * store errors by `retryable` keeps working when the store is wrapped by `EncryptingEventStore`.
 */

/**
 * A personal field could not be decrypted: the envelope is malformed, or the authentication tag
 * does not match (the ciphertext, its IV or the field it was moved to were changed), or the key is
 * not the one it was sealed with. Never returned as garbage; never retry.
 */
export class DecryptionError extends EventStoreError {
  readonly code = 'CRYPTO_DECRYPTION_FAILED';
  readonly retryable = false;
  constructor(
    readonly reason: 'malformed_envelope' | 'authentication_failed' | 'not_json',
    readonly where: { stream?: string; eventId?: string; path?: string } = {},
    override readonly cause?: unknown,
  ) {
    super(
      `cannot decrypt personal field${where.path ? ` ${where.path}` : ''}${where.eventId ? ` of event ${where.eventId}` : ''}${where.stream ? ` in ${where.stream}` : ''}: ${reason}`,
    );
    this.name = 'DecryptionError';
  }
}

/**
 * The event has fields the personal-data policy says are personal, but the store cannot tell whose
 * data they are (not a customer or identity stream, or an identity claim without `customerId`).
 * Nothing was written: writing them in clear would defeat erasure. Never retry.
 */
export class NoDataSubjectError extends EventStoreError {
  readonly code = 'CRYPTO_NO_DATA_SUBJECT';
  readonly retryable = false;
  constructor(
    readonly stream: string,
    readonly eventId: string,
    readonly eventType: string,
  ) {
    super(`event ${eventId} (${eventType}) in ${stream} holds personal data but has no data subject: refused`);
    this.name = 'NoDataSubjectError';
  }
}

/** Errors of the `KeyStore` port. */
export abstract class KeyStoreError extends HubError {}

/**
 * The subject's key was destroyed (the customer was erased): no new key is ever made for it, so
 * nothing written later can be read again. `EncryptingEventStore` handles this itself (see there).
 */
export class SubjectErasedError extends KeyStoreError {
  readonly code = 'CRYPTO_SUBJECT_ERASED';
  readonly retryable = false;
  constructor(
    readonly tenantId: string,
    readonly subjectId: string,
  ) {
    super(`data subject ${tenantId}/${subjectId} was erased: its key is gone for good`);
    this.name = 'SubjectErasedError';
  }
}

/**
 * A stored data key could not be unwrapped: it was wrapped with a key-encryption key and none (or
 * another one) is configured, or the stored row was changed. Fix the configuration; never retry.
 */
export class KeyUnwrapError extends KeyStoreError {
  readonly code = 'CRYPTO_KEY_UNWRAP_FAILED';
  readonly retryable = false;
  constructor(
    readonly tenantId: string,
    readonly subjectId: string,
    readonly reason: 'no_kek_configured' | 'wrong_kek_or_tampered',
  ) {
    super(
      reason === 'no_kek_configured'
        ? `the key of ${tenantId}/${subjectId} is wrapped with a key-encryption key but HUB_KEK is not set`
        : `the key of ${tenantId}/${subjectId} does not unwrap with the configured HUB_KEK (wrong key, or the row was changed)`,
    );
    this.name = 'KeyUnwrapError';
  }
}

/** The key store's database could not be reached: nothing is known to have been written; retry. */
export class KeyStoreUnavailableError extends KeyStoreError {
  readonly code = 'CRYPTO_KEY_STORE_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'KeyStoreUnavailableError';
  }
}

/** `HUB_KEK` is set but is not 32 bytes of base64. Raised at boot. */
export class KeyEncryptionKeyConfigError extends HubError {
  readonly code = 'CRYPTO_KEK_INVALID';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'KeyEncryptionKeyConfigError';
  }
}
