/**
 * When a delivery is tried again, and when a subscription is disabled (docs/operations.md, "Outgoing
 * webhooks"). Pure: the time is passed in.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The delays between attempts, Svix's schedule: the first attempt at once, then after 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h and 10 h — 8 attempts over 27 h 35 min 5 s.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

/** Every attempt a message gets: the first and one per delay. */
export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/** The delay before the attempt after `attemptsMade` failed ones (1 = the first failed), or undefined when none is left. */
export function retryDelayMs(schedule: readonly number[], attemptsMade: number): number | undefined {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) throw new RangeError('attemptsMade counts from 1');
  return schedule[attemptsMade - 1];
}

/** How long a message is tried for, first attempt to last. */
export function retryWindowMs(schedule: readonly number[]): number {
  return schedule.reduce((a, b) => a + b, 0);
}

export interface DisablePolicy {
  /** Disabled once it has failed continuously this long (and a message exhausted its attempts). Default 5 days. */
  failingForMs: number;
  /** … or once this many messages in a row exhausted their attempts. Default 50. */
  exhaustedMessages: number;
}

export const DEFAULT_DISABLE_POLICY: DisablePolicy = { failingForMs: 5 * DAY, exhaustedMessages: 50 };

/** What the disable rule reads of a subscription, after the failure just recorded. */
export interface FailureRecord {
  /** Since when every attempt failed (null after a success). */
  failingSince: Date | null;
  /** Messages that exhausted every attempt since the last success, the one just exhausted included. */
  exhaustedSinceSuccess: number;
}

/**
 * Whether a subscription is disabled, decided when a message has just exhausted its attempts: the
 * endpoint answered nothing but failures for `failingForMs`, or `exhaustedMessages` messages in a row
 * were given up. One success resets both. Never while no message was given up: a slow retry is not
 * a failure of the endpoint yet.
 */
export function shouldDisable(record: FailureRecord, now: Date, policy: DisablePolicy = DEFAULT_DISABLE_POLICY): boolean {
  if (record.exhaustedSinceSuccess < 1 || record.failingSince === null) return false;
  const failingFor = now.getTime() - record.failingSince.getTime();
  return failingFor >= policy.failingForMs || record.exhaustedSinceSuccess >= policy.exhaustedMessages;
}
