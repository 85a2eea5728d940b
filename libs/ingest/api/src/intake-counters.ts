/** Counts of every outcome by reason code, for /metrics. */
export class IntakeCounters {
  private readonly counts = new Map<string, number>();

  inc(key: string, by = 1): void {
    if (by > 0) this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
