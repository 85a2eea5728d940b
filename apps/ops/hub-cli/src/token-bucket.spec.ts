import { TokenBucket, type BucketClock } from './token-bucket';

/** A clock that only moves when the bucket sleeps. */
function fakeClock(): BucketClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('the token bucket', () => {
  it('lets a full bucket go at once, then paces at the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 5, clock);
    await bucket.take(5);
    expect(clock.now()).toBe(0);
    for (let i = 0; i < 10; i++) await bucket.take(1);
    expect(clock.now()).toBe(1000);
  });

  it('takes chunks: 100 tokens in chunks of 10 at 50/s need 1.8 s after the first chunk', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(50, 10, clock);
    for (let i = 0; i < 10; i++) await bucket.take(10);
    expect(clock.now()).toBe(1800);
  });

  it('saves up no more than its capacity', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    await clock.sleep(10_000);
    await bucket.take(2);
    const before = clock.now();
    await bucket.take(2);
    expect(clock.now() - before).toBe(200);
  });

  it('refuses a take larger than its capacity', async () => {
    await expect(new TokenBucket(10, 2, fakeClock()).take(3)).rejects.toThrow(RangeError);
  });

  it('returns without taking when aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const clock = fakeClock();
    const bucket = new TokenBucket(1, 1, clock);
    await bucket.take(1);
    await bucket.take(1, abort.signal);
    expect(clock.slept).toEqual([]);
  });
});
