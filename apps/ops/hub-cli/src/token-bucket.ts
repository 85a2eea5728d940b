export interface BucketClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: BucketClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `capacity` saved up (the largest burst).
 * It starts full. `take(n)` waits until n tokens are there and spends them, so over any interval
 * of t seconds at most `capacity + rate·t` are taken.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly clock: BucketClock = realClock,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
      throw new RangeError(`ratePerSecond must be above 0, not ${ratePerSecond}`);
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, not ${capacity}`);
    this.tokens = capacity;
    this.last = clock.now();
  }

  /** Resolves once `n` tokens were spent, or (without spending) when `signal` aborts. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    if (!(n >= 1) || n > this.capacity) throw new RangeError(`take(n) needs 1 <= n <= capacity (${this.capacity}), not ${n}`);
    for (;;) {
      if (signal?.aborted) return;
      this.refill();
      if (this.tokens >= n) {
        this.tokens -= n;
        return;
      }
      await this.clock.sleep(Math.ceil(((n - this.tokens) / this.ratePerSecond) * 1000), signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }
}
