/** Where a rebuild is: what the rebuild's projector reports about every second. */
export interface ProgressSample {
  /** Events handled so far in this run. */
  done: number;
  /** Global position reached (the last event handled). */
  position: bigint;
  /** Global position to reach: the head of the log (`max(global_position)`). */
  head: bigint;
}

/** A sample with what follows from the recent ones. */
export interface ProgressEstimate {
  done: number;
  /** Events per second over the recent window (10 s). */
  rate: number;
  /** 0–100, of the head position. */
  percent: number;
  /** Seconds left at the recent pace of positions; undefined while unknown. */
  etaSeconds: number | undefined;
}

const WINDOW_MS = 10_000;

/**
 * Rates and ETA from successive samples. Rates are over the last 10 s; the ETA divides the positions
 * left to the head by the recent pace of positions (with a tenant filter the position jumps over
 * other tenants' events, which is what the remaining work is measured in).
 */
export class ProgressMeter {
  private readonly samples: { at: number; done: number; position: bigint }[] = [];

  /**
   * `start`: where the work began (a rebuild: nothing done, position 0), counted as the first sample,
   * so the first report already has a rate and an ETA instead of "0 events/s · ETA ?".
   */
  constructor(
    private readonly now: () => number = Date.now,
    start?: { done: number; position: bigint },
  ) {
    if (start) this.samples.push({ at: now(), done: start.done, position: start.position });
  }

  estimate(s: ProgressSample): ProgressEstimate {
    const now = this.now();
    this.samples.push({ at: now, done: s.done, position: s.position });
    while (this.samples.length > 2 && now - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (s.done - first.done) / seconds : 0;
    const pace = seconds > 0 ? Number(s.position - first.position) / seconds : 0;
    const left = s.head > s.position ? Number(s.head - s.position) : 0;
    const percent = s.head > 0n ? Math.min(100, (Number(s.position) / Number(s.head)) * 100) : 100;
    return { done: s.done, rate, percent, etaSeconds: left === 0 ? 0 : pace > 0 ? left / pace : undefined };
  }
}
