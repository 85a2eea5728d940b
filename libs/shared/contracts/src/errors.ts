/**
 * The one base of every error the hub throws on purpose (docs/architecture.md, "Errors"). Callers
 * branch on the class or on `code`, never on a message; whoever decides whether to try again (the
 * Kafka consumer, a subscription, an HTTP client told 503 or 400) reads `retryable`:
 * - `retryable: true`: nothing is known to be done and the same call later may succeed (a store or
 *   the bus was unreachable, a lock was held, a concurrent write won);
 * - `retryable: false`: the same call can never succeed (the input is invalid, the data is gone,
 *   the configuration is wrong); a message failing so goes to the dead-letter topic.
 * An error that is not a `HubError` (a bug, a driver's own error) counts as retryable: the consumer
 * retries it rather than lose the message.
 */
export abstract class HubError extends Error {
  /** Stable and upper-snake-case (`EVENT_STORE_UNAVAILABLE`): what logs, dead-letter headers and API errors carry. */
  abstract readonly code: string;
  /** Can the same call succeed later, unchanged? */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A `HubError` that says trying again cannot help: a consumed message failing so is dead-lettered. */
export function isPermanentError(err: unknown): err is HubError {
  return err instanceof HubError && !err.retryable;
}

/** Whether trying again may help: false only for a `HubError` that says so; unknown errors are retryable. */
export function isRetryableError(err: unknown): boolean {
  return !isPermanentError(err);
}
