import { DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from './retry.policy';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 };

describe('the retry policy', () => {
  describe('given a Retry-After header', () => {
    it('reads delta-seconds as milliseconds', () => {
      expect(parseRetryAfter('1', 0)).toBe(1_000);
      expect(parseRetryAfter(' 0 ', 0)).toBe(0);
      expect(parseRetryAfter('120', 0)).toBe(120_000);
    });

    it('reads an HTTP date relative to now, never negative', () => {
      const now = Date.parse('2026-12-07T10:00:00.000Z');
      expect(parseRetryAfter('Mon, 07 Dec 2026 10:00:03 GMT', now)).toBe(3_000);
      expect(parseRetryAfter('Mon, 07 Dec 2026 09:59:00 GMT', now)).toBe(0);
    });

    it('ignores what it cannot read, and its absence', () => {
      expect(parseRetryAfter('soon', 0)).toBeUndefined();
      expect(parseRetryAfter('-1', 0)).toBeUndefined();
      expect(parseRetryAfter(null, 0)).toBeUndefined();
      expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    });

    it('waits what it says, plus at most baseDelayMs of jitter', () => {
      expect(retryDelayMs(1, 1_000, policy, () => 0)).toBe(1_000);
      expect(retryDelayMs(3, 1_000, policy, () => 0.999)).toBe(1_199);
    });
  });

  describe('given no Retry-After', () => {
    it('backs off exponentially from baseDelayMs, between half and all of the step', () => {
      expect(retryDelayMs(1, undefined, policy, () => 0)).toBe(100);
      expect(retryDelayMs(1, undefined, policy, () => 0.999)).toBe(199);
      expect(retryDelayMs(2, undefined, policy, () => 0)).toBe(200);
      expect(retryDelayMs(3, undefined, policy, () => 0)).toBe(400);
    });

    it('never waits longer than maxDelayMs', () => {
      for (const attempt of [4, 5, 10, 40]) expect(retryDelayMs(attempt, undefined, policy, () => 0.999)).toBeLessThanOrEqual(1_000);
    });
  });

  it('retries 429 and 5xx, no other status', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 408, 413, 415].some(isRetryableStatus)).toBe(false);
  });

  it('is bounded by default', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
    expect(Number.isFinite(DEFAULT_RETRY_POLICY.maxRetryAfterMs)).toBe(true);
  });
});
