/**
 * When the client tries a request again. Pure: time and chance enter as arguments.
 * Retried: 429 and 5xx answers, and requests that got no answer (refused, reset, timed out): the
 * API's event ids make a resend the same event. Never retried: any other 4xx (`HubApiError`).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (1: never retry). */
  maxAttempts: number;
  /** The first backoff without `Retry-After`; doubled per attempt, with jitter. */
  baseDelayMs: number;
  /** The longest backoff without `Retry-After`. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails with `HubApiUnavailableError` at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/** Whether an answer with this status may be tried again (429 and every 5xx). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * `Retry-After` in milliseconds: delta-seconds (`1`, `0`) or an HTTP date (then relative to `nowMs`,
 * never negative); undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2026 07:28:00 GMT`); Date.parse alone would take `-1` for a year.
  const at = /^[A-Za-z]{3}, /.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * How long to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed:
 * - the API said `Retry-After`: that, plus up to `baseDelayMs` of jitter (clients told the same
 *   second do not all come back in the same millisecond);
 * - it did not: exponential backoff with "equal jitter", half of `min(maxDelayMs, baseDelayMs·2^(attempt-1))`
 *   plus a random part of the other half.
 * `random` is in [0, 1), as `Math.random`.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: RetryPolicy, random: () => number): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(random() * policy.baseDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
