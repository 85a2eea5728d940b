import {
  DEFAULT_SUBSCRIPTION_BATCH_SIZE,
  MAX_SUBSCRIPTION_BATCH_SIZE,
  SubscriptionHandlerError,
  SubscriptionStoppedError,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionFilter,
} from './event-store.port';

/**
 * What both adapters' subscriptions share: option checks, the filter, retry delays, and the
 * delivery/stop/caught-up bookkeeping of `SubscriptionBase`. Each adapter only writes its read loop.
 */

export interface RetrySettings {
  /** Wait before the first retry, in ms; doubles per failure in a row. */
  initialMs: number;
  /** Longest wait between retries, in ms. */
  maxMs: number;
}

export const DEFAULT_SUBSCRIPTION_RETRY: RetrySettings = { initialMs: 100, maxMs: 5_000 };

/** Delay before retry number `failures` (0-based): exponential, capped, with ±20 % jitter so subscribers do not retry in step. */
export function retryDelay(failures: number, retry: RetrySettings): number {
  const base = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(failures, 30));
  return Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
}

export interface ValidatedSubscribeOptions {
  from: bigint | undefined;
  batchSize: number;
  streamPrefixes: readonly string[] | undefined;
  eventTypes: readonly string[] | undefined;
  onEvents: (events: RecordedEvent[]) => Promise<void>;
  onError: ((error: unknown) => void) | undefined;
}

/** Throws `RangeError`/`TypeError` for options that are a caller bug. */
export function validateSubscribeOptions(options: SubscribeToAllOptions): ValidatedSubscribeOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('subscribeToAll needs an options object');
  const { from, filter, batchSize = DEFAULT_SUBSCRIPTION_BATCH_SIZE, onEvents, onError } = options;
  if (from !== undefined && (typeof from !== 'bigint' || from < 0n))
    throw new RangeError(`from must be a bigint >= 0n, not ${String(from)}`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_SUBSCRIPTION_BATCH_SIZE) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_SUBSCRIPTION_BATCH_SIZE}, not ${batchSize}`);
  }
  if (typeof onEvents !== 'function') throw new TypeError('onEvents must be a function');
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError('onError must be a function');
  return {
    from,
    batchSize,
    streamPrefixes: filterList(filter?.streamPrefixes, 'streamPrefixes'),
    eventTypes: filterList(filter?.eventTypes, 'eventTypes'),
    onEvents: (events) => onEvents.call(options, events),
    onError: onError ? (error) => onError.call(options, error) : undefined,
  };
}

/** A filter given outside a subscription (`readEvent`), checked as a subscription's is. */
export function validateFilter(filter: SubscriptionFilter | undefined): Pick<ValidatedSubscribeOptions, 'streamPrefixes' | 'eventTypes'> {
  if (filter !== undefined && (typeof filter !== 'object' || filter === null)) throw new TypeError('a filter must be an object');
  return { streamPrefixes: filterList(filter?.streamPrefixes, 'streamPrefixes'), eventTypes: filterList(filter?.eventTypes, 'eventTypes') };
}

function filterList(list: readonly string[] | undefined, name: string): readonly string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new RangeError(`filter.${name} must be a non-empty array of non-empty strings (leave it out to match everything)`);
  }
  for (const item of list) {
    if (typeof item !== 'string' || item === '')
      throw new RangeError(`filter.${name} must hold non-empty strings, not ${JSON.stringify(item)}`);
  }
  return [...new Set(list)];
}

/** The filter of `options`, applied in memory (the PostgreSQL adapter applies the same in SQL). */
export function matchesFilter(
  options: Pick<ValidatedSubscribeOptions, 'streamPrefixes' | 'eventTypes'>,
  streamName: string,
  type: string,
): boolean {
  if (options.streamPrefixes && !options.streamPrefixes.some((prefix) => streamName.startsWith(prefix))) return false;
  if (options.eventTypes && !options.eventTypes.includes(type)) return false;
  return true;
}

/**
 * Delivery, stop, pauses and the caught-up promise. A subclass implements `run()` (its read loop,
 * which must return once `stopped` is true and must not throw) and calls `start()` once.
 */
export abstract class SubscriptionBase implements Subscription {
  readonly caughtUp: Promise<void>;
  protected stopped = false;
  private currentPosition: bigint;
  private reachedEnd = false;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (error: Error) => void;
  private readonly stopController = new AbortController();
  private wakePending = false;
  private wakeWaiter: (() => void) | undefined;
  private done: Promise<void> | undefined;

  constructor(
    protected readonly options: ValidatedSubscribeOptions,
    protected readonly retry: RetrySettings,
  ) {
    this.currentPosition = options.from ?? 0n;
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // Nobody has to await `caughtUp`: its rejection on stop must not be an unhandled rejection.
    this.caughtUp.catch(() => undefined);
  }

  get position(): bigint {
    return this.currentPosition;
  }

  get isCaughtUp(): boolean {
    return this.reachedEnd;
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.stopController.abort();
    }
    await this.done;
  }

  /** Starts the read loop; `stop()` waits for it. `onFinished` runs once the loop has ended. */
  start(onFinished?: () => void): this {
    if (this.done) return this;
    this.done = this.run()
      .catch((err: unknown) => this.report(err))
      .finally(() => {
        this.stopped = true;
        if (!this.reachedEnd) this.rejectCaughtUp(new SubscriptionStoppedError());
        onFinished?.();
      });
    return this;
  }

  protected abstract run(): Promise<void>;

  /** Aborted when `stop()` is called. */
  protected get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  /** New events may be there: ends a wakeable pause now, or the next one at once. */
  wake(): void {
    this.wakePending = true;
    const waiter = this.wakeWaiter;
    this.wakeWaiter = undefined;
    waiter?.();
  }

  /** Forget earlier wake-ups: call right before reading, so only a wake-up after the read counts. */
  protected clearWake(): void {
    this.wakePending = false;
  }

  /** Waits `ms`, less when stopped, and (when `wakeable`) less when woken. Leaves no timer behind. */
  protected pause(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (wakeable && this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.stopSignal.removeEventListener('abort', done);
        if (this.wakeWaiter === done) this.wakeWaiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopSignal.addEventListener('abort', done, { once: true });
      if (wakeable) this.wakeWaiter = done;
    });
  }

  /**
   * Hands `events` (not empty) to `onEvents` until it succeeds (true: `position` moves to the last
   * event) or the subscription is stopped (false). Each failure goes to `onError`, then a backoff.
   */
  protected async deliver(events: RecordedEvent[]): Promise<boolean> {
    const first = events[0]!.globalPosition;
    const last = events[events.length - 1]!.globalPosition;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return false;
      try {
        await this.options.onEvents(events);
        this.currentPosition = last;
        return true;
      } catch (err) {
        this.report(new SubscriptionHandlerError(first, last, attempt, err));
        await this.pause(retryDelay(attempt - 1, this.retry), false);
      }
    }
  }

  protected markCaughtUp(): void {
    if (this.reachedEnd) return;
    this.reachedEnd = true;
    this.resolveCaughtUp();
  }

  protected report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // onError must not throw; if it does, the subscription carries on regardless.
    }
  }
}
