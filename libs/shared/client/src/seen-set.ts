/**
 * The ids seen lately, bounded two ways: at most `maxEntries` (the least recently seen go first) and
 * none older than `ttlMs` since it was last seen. Time enters as `nowMs`. A redelivered decision
 * arrives within seconds to minutes of the first (a relay's crash and restart): the window must
 * cover that; the bound keeps memory flat however long the consumer runs.
 */
export class BoundedSeenSet {
  /** id → when last seen; Map order is insertion order, so the first entry is the least recently seen. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly options: { maxEntries: number; ttlMs: number }) {
    if (!(options.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
    if (!(options.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
  }

  get size(): number {
    return this.seen.size;
  }

  /** Whether `id` was seen within the window (an expired entry is forgotten). */
  has(id: string, nowMs: number): boolean {
    const at = this.seen.get(id);
    if (at === undefined) return false;
    if (nowMs - at >= this.options.ttlMs) {
      this.seen.delete(id);
      return false;
    }
    return true;
  }

  /** Remember `id` as seen at `nowMs` (again: it becomes the most recent), then drop what is expired or over the bound. */
  add(id: string, nowMs: number): void {
    this.seen.delete(id);
    this.seen.set(id, nowMs);
    for (const [oldest, at] of this.seen) {
      if (this.seen.size <= this.options.maxEntries && nowMs - at < this.options.ttlMs) break;
      this.seen.delete(oldest);
    }
  }
}
