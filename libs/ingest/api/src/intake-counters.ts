import { hubMetrics } from '@hub/metrics';

/**
 * Counts of every outcome by reason code: `hub_ingest_outcomes_total{outcome,code}` on /metrics
 * (`http.rejected.invalid_event` is outcome `rejected`, code `invalid_event`; `http.accepted.<fact>`
 * outcome `accepted`, code the fact; `raw.dead_lettered.<code>` outcome `raw_dead_lettered`), and
 * this app's own view of them by key for `/metrics?format=json`.
 */
export class IntakeCounters {
  private readonly counts = new Map<string, number>();

  inc(key: string, by = 1): void {
    if (by <= 0) return;
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
    hubMetrics.ingestOutcomes().inc(outcomeLabels(key), by);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** `http.rejected.invalid_event` → rejected / invalid_event; `raw.dead_lettered.x` → raw_dead_lettered / x; `http.batches` → batches / ''. */
export function outcomeLabels(key: string): { outcome: string; code: string } {
  const parts = key.replace(/^http\./, '').split('.');
  const [outcome, rest] = parts[0] === 'raw' && parts.length > 1 ? [`raw_${parts[1]}`, parts.slice(2)] : [parts[0]!, parts.slice(1)];
  return { outcome, code: rest.join('.') };
}
