/**
 * Per-data-subject encryption keys (crypto-shredding): every personal field about a customer is
 * encrypted with that customer's data key, so destroying the key erases the data everywhere it was
 * written with it, even in an append-only log. Adapter: PostgreSQL (`postgres.key-store.ts`).
 */
export const KEY_STORE = Symbol('KEY_STORE');

export interface KeyStore {
  /**
   * The subject's 32-byte data key, made on first use. Concurrent calls for one subject return the
   * same key (exactly one is ever stored). Throws `SubjectErasedError` once the key was destroyed:
   * an erased subject never gets a new key.
   */
  getOrCreate(tenantId: string, subjectId: string): Promise<Buffer>;
  /** The subject's data key; undefined when it never had one or it was destroyed. */
  get(tenantId: string, subjectId: string): Promise<Buffer | undefined>;
  /**
   * Destroys the subject's key for good and remembers that it did (so `getOrCreate` refuses to make
   * a new one). True when a key was destroyed by this call; false when there was none or it was
   * already destroyed. Idempotent.
   */
  destroy(tenantId: string, subjectId: string): Promise<boolean>;
}
