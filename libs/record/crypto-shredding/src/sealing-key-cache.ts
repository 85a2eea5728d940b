import type { KeyStore, KeySubject } from './key-store.port';

export interface SealingKeyCacheOptions {
  /** How long a key opened or made here may seal later writes; 0 turns the cache off. */
  ttlMs: number;
  /** How many subjects' keys are kept at most (oldest dropped first). Default 10,000. */
  maxEntries?: number;
  clock?: () => number;
}

/**
 * A key store that remembers, for a few seconds, the data keys it just read or made, and seals the
 * next writes about the same subjects with them instead of asking the store again: the decide job
 * reads a customer's stream and appends a decision to it, the recorder reads identity claims and
 * appends to the customers they name, so without it each write paid one more round trip for a key
 * the process had opened milliseconds before (issue #11).
 *
 * Only `getOrCreateMany` (what `EncryptingEventStore` seals with) is served from the cache. Reads
 * (`get`, `getMany`) always ask the store, so a destroyed key stops opening anything at once, in
 * every process; `getOrCreate` (snapshots) too, so it still refuses an erased subject. `destroy`
 * drops the subject here. What the cache changes: a key destroyed by *another* process may still
 * seal this process's writes for at most `ttlMs` (instead of a one-off key nobody kept); those
 * events read as erased all the same, because no reader can get the key any more. A process holds
 * a key for at most `ttlMs` after it last fetched it (a kept key is not renewed by use).
 */
export class SealingKeyCache implements KeyStore {
  private readonly entries = new Map<string, { key: Buffer; keptAt: number }>();
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(
    private readonly inner: KeyStore,
    private readonly options: SealingKeyCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  getOrCreate(tenantId: string, subjectId: string): Promise<Buffer> {
    return this.inner.getOrCreate(tenantId, subjectId);
  }

  async getOrCreateMany(subjects: readonly KeySubject[]): Promise<(Buffer | undefined)[]> {
    const found = subjects.map((s) => this.kept(s));
    const missing = subjects.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const fetched = await this.inner.getOrCreateMany(missing);
    this.keepAll(missing, fetched);
    let next = 0;
    return found.map((key) => key ?? fetched[next++]);
  }

  async get(tenantId: string, subjectId: string): Promise<Buffer | undefined> {
    const key = await this.inner.get(tenantId, subjectId);
    this.keepAll([{ tenantId, subjectId }], [key]);
    return key;
  }

  async getMany(subjects: readonly KeySubject[]): Promise<(Buffer | undefined)[]> {
    const keys = await this.inner.getMany(subjects);
    this.keepAll(subjects, keys);
    return keys;
  }

  async destroy(tenantId: string, subjectId: string): Promise<boolean> {
    this.entries.delete(idOf({ tenantId, subjectId }));
    try {
      return await this.inner.destroy(tenantId, subjectId);
    } finally {
      // A write that fetched the key while the destroy was in flight must not keep it either.
      this.entries.delete(idOf({ tenantId, subjectId }));
    }
  }

  private kept(subject: KeySubject): Buffer | undefined {
    const id = idOf(subject);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (this.clock() - entry.keptAt >= this.options.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.key;
  }

  private keepAll(subjects: readonly KeySubject[], keys: readonly (Buffer | undefined)[]): void {
    if (this.options.ttlMs <= 0) return;
    const now = this.clock();
    subjects.forEach((subject, i) => {
      const id = idOf(subject);
      const key = keys[i];
      this.entries.delete(id);
      // An erased subject's absence is never kept: the next write asks the store again.
      if (key) this.entries.set(id, { key, keptAt: now });
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

const idOf = (s: KeySubject): string => `${s.tenantId}\u0000${s.subjectId}`;
