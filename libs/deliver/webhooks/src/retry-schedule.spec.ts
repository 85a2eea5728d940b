import {
  DEFAULT_DISABLE_POLICY,
  DEFAULT_RETRY_SCHEDULE_MS,
  maxAttempts,
  retryDelayMs,
  retryWindowMs,
  shouldDisable,
} from './retry-schedule';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const t0 = new Date('2026-12-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('the retry schedule', () => {
  describe('when a delivery keeps failing with the default schedule', () => {
    it('is tried 8 times: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h', () => {
      expect(maxAttempts(DEFAULT_RETRY_SCHEDULE_MS)).toBe(8);
      const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(DEFAULT_RETRY_SCHEDULE_MS, n));
      expect(delays).toEqual([5_000, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    });

    it('gives up after the eighth attempt', () => {
      expect(retryDelayMs(DEFAULT_RETRY_SCHEDULE_MS, 8)).toBeUndefined();
    });

    it('keeps trying for more than a day', () => {
      expect(retryWindowMs(DEFAULT_RETRY_SCHEDULE_MS)).toBe(27 * HOUR + 35 * MINUTE + 5_000);
      expect(retryWindowMs(DEFAULT_RETRY_SCHEDULE_MS)).toBeGreaterThan(DAY);
    });

    it('grows: each delay is at least the one before', () => {
      DEFAULT_RETRY_SCHEDULE_MS.slice(1).forEach((d, i) => expect(d).toBeGreaterThanOrEqual(DEFAULT_RETRY_SCHEDULE_MS[i]!));
    });
  });

  it('refuses an attempt count below 1', () => {
    expect(() => retryDelayMs(DEFAULT_RETRY_SCHEDULE_MS, 0)).toThrow(RangeError);
  });

  describe('with a short schedule (tests, development)', () => {
    it('is the same function of the attempt number', () => {
      expect([1, 2, 3].map((n) => retryDelayMs([50, 100], n))).toEqual([50, 100, undefined]);
      expect(maxAttempts([50, 100])).toBe(3);
    });
  });
});

describe('the disable rule', () => {
  describe('when no message has exhausted its attempts', () => {
    it('keeps the subscription, however long it has failed', () => {
      expect(shouldDisable({ failingSince: t0, exhaustedSinceSuccess: 0 }, at(30 * DAY))).toBe(false);
    });
  });

  describe('when a message was given up', () => {
    it('keeps the subscription while it has failed for less than 5 days', () => {
      expect(shouldDisable({ failingSince: t0, exhaustedSinceSuccess: 1 }, at(5 * DAY - 1))).toBe(false);
    });

    it('disables it once it has failed continuously for 5 days', () => {
      expect(shouldDisable({ failingSince: t0, exhaustedSinceSuccess: 1 }, at(5 * DAY))).toBe(true);
    });

    it('disables it once 50 messages in a row were given up, however recent the first failure', () => {
      expect(shouldDisable({ failingSince: t0, exhaustedSinceSuccess: 49 }, at(HOUR))).toBe(false);
      expect(shouldDisable({ failingSince: t0, exhaustedSinceSuccess: 50 }, at(HOUR))).toBe(true);
    });
  });

  describe('when it succeeded since (the failure record was reset)', () => {
    it('keeps it', () => {
      expect(shouldDisable({ failingSince: null, exhaustedSinceSuccess: 0 }, at(10 * DAY))).toBe(false);
    });
  });

  it('takes a policy of its own (a short one for tests)', () => {
    expect(shouldDisable({ failingSince: t0, exhaustedSinceSuccess: 1 }, t0, { failingForMs: 0, exhaustedMessages: 1 })).toBe(true);
    expect(DEFAULT_DISABLE_POLICY).toEqual({ failingForMs: 5 * DAY, exhaustedMessages: 50 });
  });
});
