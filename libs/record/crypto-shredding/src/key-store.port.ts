/**
 * Per-data-subject encryption keys (crypto-shredding): every personal field about a customer is
 * encrypted with that customer's data key, so destroying the key erases the data everywhere it was
 * written with it, even in an append-only log. Adapter: PostgreSQL (`postgres.key-store.ts`).
 */
export const KEY_STORE = Symbol('KEY_STORE');

/** Whose key: a data subject of one tenant. */
export interface KeySubject {
  tenantId: string;
  subjectId: string;
}

export interface KeyStore {
  /**
   * The subject's 32-byte data key, made on first use. Concurrent calls for one subject return the
   * same key (exactly one is ever stored). Throws `SubjectErasedError` once the key was destroyed:
   * an erased subject never gets a new key.
   */
  getOrCreate(tenantId: string, subjectId: string): Promise<Buffer>;
  /**
   * `getOrCreate` for many subjects at once (PostgreSQL: one round trip, two when a concurrent
   * writer made some of the keys meanwhile): the keys in request order, `undefined` for an erased
   * subject (the one case where `getOrCreate` throws `SubjectErasedError`: it never gets a key).
   * For sealing a batch of events about many customers.
   */
  getOrCreateMany(subjects: readonly KeySubject[]): Promise<(Buffer | undefined)[]>;
  /** The subject's data key; undefined when it never had one or it was destroyed. */
  get(tenantId: string, subjectId: string): Promise<Buffer | undefined>;
  /** `get` for many subjects at once (PostgreSQL: one round trip): the keys in request order. */
  getMany(subjects: readonly KeySubject[]): Promise<(Buffer | undefined)[]>;
  /**
   * Destroys the subject's key for good and remembers that it did (so `getOrCreate` refuses to make
   * a new one). True when a key was destroyed by this call; false when there was none or it was
   * already destroyed. Idempotent.
   */
  destroy(tenantId: string, subjectId: string): Promise<boolean>;
}
