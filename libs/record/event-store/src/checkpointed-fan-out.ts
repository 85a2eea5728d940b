import type { CheckpointStore } from './checkpoint-store.port';
import { checkpointedHandler, type CheckpointedHandler, type CheckpointedSubscriptionOptions } from './checkpointed-subscription';
import {
  SubscriptionHandlerError,
  SubscriptionStoppedError,
  type EventStore,
  type RecordedEvent,
  type SubscriptionFilter,
  type Subscription,
} from './event-store.port';
import {
  DEFAULT_SUBSCRIPTION_RETRY,
  matchesFilter,
  retryDelay,
  validateSubscribeOptions,
  type RetrySettings,
  type ValidatedSubscribeOptions,
} from './subscription-support';

/** One consumer of a fan-out: a checkpointed subscription's options under its checkpoint id. */
export interface CheckpointedConsumer extends CheckpointedSubscriptionOptions {
  /** Its checkpoint id (stable: changing it starts the consumer over). Unique within a fan-out. */
  subscriptionId: string;
}

export interface FanOutSettings {
  /**
   * How far (in events the shared reader read) a consumer may fall behind. The shared reader keeps
   * its last this many events; past that, while another consumer keeps pace, the slow or failing
   * one is detached (its waiting events dropped) and catches up with a subscription of its own from
   * where it got to; it rejoins once its own read reaches the oldest event kept, taking the rest of
   * them from there. Default 2,000 (four pages of 500).
   */
  maxLagEvents?: number;
  /** Backoff of a consumer whose `onEvents` (or checkpoint save) failed. Default 100 ms doubling to 5 s. */
  retry?: RetrySettings;
}

/** How far one consumer of a fan-out got: `Subscription` without `stop` (stop the fan-out). */
export type ConsumerProgress = Omit<Subscription, 'stop'>;

/** A running fan-out (`runCheckpointedSubscriptions`). */
export interface FanOutSubscription {
  /** Each consumer's progress, by subscription id. */
  readonly consumers: ReadonlyMap<string, ConsumerProgress>;
  /** Resolves once every consumer has caught up (see `Subscription.caughtUp`). */
  readonly caughtUp: Promise<void>;
  /** Stops the shared read and every consumer (each finishes its batch in flight), then saves deferred checkpoints. */
  stop(): Promise<void>;
}

export const DEFAULT_FAN_OUT_MAX_LAG_EVENTS = 2_000;

/**
 * Several checkpointed consumers (a projection and relays, say) fed by ONE subscription of the
 * store: each page the shared reader gets is handed to every consumer, filtered by that consumer's
 * own filter. It is `runCheckpointedSubscription` for each consumer — same checkpoint modes, same
 * leader fencing, same at-least-once delivery in global order, same retries — at the cost of one
 * store read (and one wake-up) per page instead of one per consumer.
 *
 * Port-level: it uses nothing but `EventStore.subscribeToAll` and the `CheckpointStore`, so it keeps
 * every guarantee of the adapter's subscription (PostgreSQL: the gap-free prefix under the position
 * lock, held-back transactions, NOTIFY with polling) and works on any adapter (EventStoreDB too).
 *
 * - The shared subscription reads the union of the consumers' filters (a stream prefix or an event
 *   type is filtered in the store only when every consumer names one) from the EARLIEST consumer's
 *   checkpoint; a consumer ahead of it skips what it handled already.
 * - Each consumer has its own queue and loop: it handles its pages in order, one at a time, and
 *   saves its own checkpoint; a failure is retried (backoff) with the same batch from its own
 *   position, while the others go on.
 * - A consumer with more than `maxLagEvents` waiting while another consumer keeps pace is detached:
 *   the pages waiting for it are dropped, and, once its batch in flight is handled, it reads on its
 *   own (`subscribeToAll` from the last position it handled, the shared filter). The shared reader
 *   keeps its last `maxLagEvents` events; when the detached consumer's own read reaches the oldest
 *   of them, it takes the rest of them from there and rejoins — in one synchronous step, so nothing
 *   is skipped or handed to it twice. When every consumer is that far behind the shared reader waits
 *   (back-pressure): it never runs ahead of all of them. So a consumer failing for minutes (Kafka
 *   down under a relay) holds nobody back, and costs a read of its own only while it catches up.
 * - `stop()` stops reading, waits for each consumer's batch in flight and saves deferred checkpoints.
 *   A consumer's `caughtUp` resolves once it has handled everything the shared reader found
 *   committed when it started.
 */
export async function runCheckpointedSubscriptions<Transaction>(
  store: EventStore,
  checkpoints: CheckpointStore<Transaction>,
  consumers: readonly CheckpointedConsumer[],
  settings: FanOutSettings = {},
): Promise<FanOutSubscription> {
  if (consumers.length === 0) throw new RangeError('a fan-out needs at least one consumer');
  const ids = new Set(consumers.map((c) => c.subscriptionId));
  if (ids.size !== consumers.length) throw new RangeError('each consumer of a fan-out needs its own subscriptionId');
  const maxLagEvents = settings.maxLagEvents ?? DEFAULT_FAN_OUT_MAX_LAG_EVENTS;
  if (!Number.isSafeInteger(maxLagEvents) || maxLagEvents < 1)
    throw new RangeError(`maxLagEvents must be a positive integer, not ${maxLagEvents}`);
  // The options' own checks (batch size, filter), as a subscription of each would make them.
  const validated = consumers.map((c) => validateSubscribeOptions(c));
  const froms = await Promise.all(consumers.map(async (c) => (await checkpoints.load(c.subscriptionId)) ?? c.fromWhenNoCheckpoint));
  const fanOut = new FanOut(
    store,
    consumers.map((c, i) => ({
      id: c.subscriptionId,
      from: froms[i],
      batchSize: validated[i]!.batchSize,
      filter: validated[i]!,
      handler: checkpointedHandler(checkpoints, c.subscriptionId, c),
      onError: c.onError ? (err: unknown) => c.onError?.(err) : undefined,
    })),
    { maxLagEvents, retry: settings.retry ?? DEFAULT_SUBSCRIPTION_RETRY },
  );
  fanOut.start();
  return fanOut;
}

/** `a >= b`, where undefined is the start of the log (before every position). */
function atLeast(a: bigint | undefined, b: bigint | undefined): boolean {
  return b === undefined || (a !== undefined && a >= b);
}

function later(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  return atLeast(a, b) ? a : b;
}

/** What reaches every consumer: a stream prefix or an event type filters only when every consumer names one. */
function unionFilter(filters: readonly Pick<SubscriptionFilter, 'streamPrefixes' | 'eventTypes'>[]): SubscriptionFilter {
  const union = (lists: (readonly string[] | undefined)[]): string[] | undefined =>
    lists.every((l): l is readonly string[] => l !== undefined) ? [...new Set(lists.flat())] : undefined;
  const streamPrefixes = union(filters.map((f) => f.streamPrefixes));
  const eventTypes = union(filters.map((f) => f.eventTypes));
  return { ...(streamPrefixes ? { streamPrefixes } : {}), ...(eventTypes ? { eventTypes } : {}) };
}

interface ConsumerSpec {
  id: string;
  from: bigint | undefined;
  batchSize: number;
  filter: Pick<ValidatedSubscribeOptions, 'streamPrefixes' | 'eventTypes'>;
  handler: CheckpointedHandler;
  onError: ((err: unknown) => void) | undefined;
}

/** A page for one consumer: its matching events (maybe none) and the shared position it covers. */
interface Chunk {
  events: RecordedEvent[];
  upTo: bigint;
}

/** A promise resolved from outside. */
class Signal {
  private waiters: (() => void)[] = [];
  wait(abort: AbortSignal): Promise<void> {
    if (abort.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        abort.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      abort.addEventListener('abort', done, { once: true });
    });
  }
  notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

class FanOut implements FanOutSubscription {
  readonly consumers: Map<string, Lane>;
  readonly caughtUp: Promise<void>;
  readonly filter: SubscriptionFilter;
  /** The shared reader's last events (at most `maxLagEvents`): every one matching `filter` in (`floor`, `upTo`]. */
  private window: RecordedEvent[] = [];
  private floor: bigint | undefined;
  private upTo: bigint | undefined;
  private shared: Subscription | undefined;
  private readonly abort = new AbortController();
  /** A consumer took a chunk, rejoined or stopped: the shared reader may go on. */
  readonly progressed = new Signal();

  constructor(
    readonly store: EventStore,
    specs: readonly ConsumerSpec[],
    readonly settings: Required<FanOutSettings>,
  ) {
    this.filter = unionFilter(specs.map((s) => s.filter));
    // The shared reader starts at the earliest checkpoint; a consumer ahead skips what it handled.
    // (Not at the furthest: a consumer behind would have to reach that very position on its own read
    // to rejoin, and a position that is not one of its events it may never reach exactly. A consumer
    // far behind is detached at the first page anyway, and catches up on its own.)
    const from = specs.map((s) => s.from).reduce((a, b) => (atLeast(a, b) ? b : a));
    this.floor = from;
    this.upTo = from;
    this.consumers = new Map(specs.map((s) => [s.id, new Lane(this, s)]));
    this.caughtUp = Promise.all([...this.consumers.values()].map((l) => l.caughtUp)).then(() => undefined);
    this.caughtUp.catch(() => undefined);
  }

  get stopSignal(): AbortSignal {
    return this.abort.signal;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  get sharedCaughtUp(): boolean {
    return this.shared?.isCaughtUp ?? false;
  }

  start(): void {
    for (const lane of this.consumers.values()) lane.start();
    const batchSize = Math.max(...[...this.consumers.values()].map((l) => l.spec.batchSize));
    this.shared = this.store.subscribeToAll({
      ...(this.upTo === undefined ? {} : { from: this.upTo }),
      ...(Object.keys(this.filter).length > 0 ? { filter: this.filter } : {}),
      batchSize,
      onEvents: (events) => this.fanOut(events),
      // Read failures (connection lost…): each consumer hears of them, as from a subscription of its own.
      onError: (err) => {
        for (const lane of this.consumers.values()) lane.report(err);
      },
    });
    this.shared.caughtUp.then(
      () => this.consumers.forEach((l) => l.checkCaughtUp()),
      () => undefined,
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.shared?.stop();
    await Promise.all([...this.consumers.values()].map((l) => l.stop()));
  }

  /** The shared reader's page: kept in the window, queued for each attached consumer; then back-pressure. */
  private async fanOut(events: RecordedEvent[]): Promise<void> {
    this.window.push(...events);
    if (this.window.length > this.settings.maxLagEvents) {
      const dropped = this.window.splice(0, this.window.length - this.settings.maxLagEvents);
      this.floor = dropped[dropped.length - 1]!.globalPosition;
    }
    this.upTo = events[events.length - 1]!.globalPosition;
    for (const lane of this.consumers.values()) if (lane.attached) lane.enqueue(events);
    const limit = this.settings.maxLagEvents;
    while (!this.stopped) {
      const attached = [...this.consumers.values()].filter((l) => l.attached);
      if (attached.some((l) => l.queuedEvents <= limit)) {
        for (const lane of attached) if (lane.queuedEvents > limit) lane.detach();
        return;
      }
      // Every consumer is behind (or detached): read no further until one takes a page or rejoins.
      await this.progressed.wait(this.stopSignal);
    }
  }

  /**
   * Called by a detached consumer after each batch of its own read, handled up to `seen`: when the
   * window reaches back to it, queues the window's events after it and reattaches (true). Synchronous:
   * no page of the shared reader can fall between the two.
   */
  tryRejoin(lane: Lane, seen: bigint | undefined): boolean {
    if (this.stopped || !atLeast(seen, this.floor)) return false;
    lane.attach(
      this.window.filter((e) => !atLeast(seen, e.globalPosition)),
      later(seen, this.upTo),
    );
    this.progressed.notify();
    return true;
  }
}

/** One consumer: its queue, its loop, its checkpointed handler. */
class Lane implements ConsumerProgress {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (err: Error) => void;
  private reachedEnd = false;
  private queue: Chunk[] = [];
  queuedEvents = 0;
  /** Shared position up to which events were handed to it (queued, or read on its own). */
  private queuedUpTo: bigint | undefined;
  /** Shared position up to which it handled (or skipped) every event: where its own read resumes. */
  private seen: bigint | undefined;
  private delivered: bigint | undefined;
  private inFlight = false;
  private readonly work = new Signal();
  private done: Promise<void> | undefined;
  attached = true;

  constructor(
    private readonly fanOut: FanOut,
    readonly spec: ConsumerSpec,
  ) {
    this.seen = spec.from;
    this.queuedUpTo = spec.from;
    this.delivered = spec.from;
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    this.caughtUp.catch(() => undefined);
  }

  get position(): bigint {
    return this.delivered ?? 0n;
  }

  get isCaughtUp(): boolean {
    return this.reachedEnd;
  }

  start(): void {
    this.done = this.run()
      .catch((err: unknown) => this.report(err))
      .finally(() => {
        if (!this.reachedEnd) this.rejectCaughtUp(new SubscriptionStoppedError());
        this.fanOut.progressed.notify();
      });
  }

  async stop(): Promise<void> {
    this.work.notify();
    await this.done;
    try {
      await this.spec.handler.close();
    } catch (err) {
      this.report(err);
    }
  }

  report(err: unknown): void {
    try {
      this.spec.onError?.(err);
    } catch {
      // onError must not throw; if it does, the consumer carries on regardless.
    }
  }

  /** Queues the part of a shared page it has not been handed yet, in chunks of its batch size. */
  enqueue(events: readonly RecordedEvent[]): void {
    const fresh = events.filter((e) => !atLeast(this.queuedUpTo, e.globalPosition));
    if (fresh.length === 0) return;
    this.push(fresh);
    this.queuedUpTo = fresh[fresh.length - 1]!.globalPosition;
    this.work.notify();
  }

  /** Too far behind while another consumer keeps pace: drop what waits, read on its own after the batch in flight. */
  detach(): void {
    this.attached = false;
    this.queue = [];
    this.queuedEvents = 0;
    this.work.notify();
  }

  /** Back from its own read: `rest` (the window's events after where it got to) queued; then the shared pages. */
  attach(rest: readonly RecordedEvent[], upTo: bigint | undefined): void {
    if (rest.length > 0) this.push(rest);
    this.queuedUpTo = upTo;
    this.attached = true;
    this.work.notify();
  }

  checkCaughtUp(): void {
    if (this.reachedEnd || !this.attached || this.inFlight || this.queue.length > 0 || !this.fanOut.sharedCaughtUp) return;
    this.reachedEnd = true;
    this.resolveCaughtUp();
  }

  private push(events: readonly RecordedEvent[]): void {
    const { batchSize, filter } = this.spec;
    let mine: RecordedEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (matchesFilter(filter, event.streamName, event.type)) mine.push(event);
      if (mine.length === batchSize || i === events.length - 1) {
        this.queue.push({ events: mine, upTo: event.globalPosition });
        this.queuedEvents += mine.length;
        mine = [];
      }
    }
  }

  private async run(): Promise<void> {
    while (!this.fanOut.stopped) {
      if (!this.attached) {
        await this.readOnItsOwn();
        continue;
      }
      const chunk = this.takeBatch();
      if (!chunk) {
        this.checkCaughtUp();
        await this.work.wait(this.fanOut.stopSignal);
        continue;
      }
      this.inFlight = true;
      this.fanOut.progressed.notify();
      try {
        if (chunk.events.length > 0 && !(await this.deliver(chunk.events))) return;
        this.seen = chunk.upTo;
      } finally {
        this.inFlight = false;
      }
    }
  }

  /**
   * The next batch: the queued chunks from the front, joined while they fit in one batch. The shared
   * reader reads on every wake-up, so at a steady rate its pages are small (an event or two); a
   * consumer whose handler was busy meanwhile takes what queued up in one call — one transaction for
   * a projection — as a subscription of its own would have read it in one page.
   */
  private takeBatch(): Chunk | undefined {
    const first = this.queue.shift();
    if (!first) return undefined;
    let events = first.events;
    let upTo = first.upTo;
    while (this.queue.length > 0 && events.length + this.queue[0]!.events.length <= this.spec.batchSize) {
      const next = this.queue.shift()!;
      events = events.length === 0 ? next.events : next.events.length === 0 ? events : events.concat(next.events);
      upTo = next.upTo;
    }
    this.queuedEvents -= events.length;
    return { events, upTo };
  }

  /** Hands `events` to the handler until it succeeds (true) or the fan-out stops (false); each failure reported, then a backoff. */
  private async deliver(events: RecordedEvent[]): Promise<boolean> {
    const first = events[0]!.globalPosition;
    const last = events[events.length - 1]!.globalPosition;
    for (let attempt = 1; ; attempt++) {
      if (this.fanOut.stopped) return false;
      try {
        await this.spec.handler.handle(events);
        this.delivered = last;
        return true;
      } catch (err) {
        this.report(new SubscriptionHandlerError(first, last, attempt, err));
        await pause(retryDelay(attempt - 1, this.fanOut.settings.retry), this.fanOut.stopSignal);
      }
    }
  }

  /**
   * Detached: a subscription of its own from where it got to, over the shared filter (so that where
   * it got to is comparable with the shared reader's window), until it rejoins or the fan-out stops.
   */
  private async readOnItsOwn(): Promise<void> {
    // Still within the window (it fell behind by less than a page, or starts a little behind): no read of its own.
    if (this.fanOut.tryRejoin(this, this.seen)) return;
    let rejoined = false;
    const back = new Signal();
    const own = this.fanOut.store.subscribeToAll({
      ...(this.seen === undefined ? {} : { from: this.seen }),
      ...(Object.keys(this.fanOut.filter).length > 0 ? { filter: this.fanOut.filter } : {}),
      batchSize: this.spec.batchSize,
      onEvents: async (events) => {
        // Rejoined already: the shared pages carry everything after where it was.
        if (rejoined) return;
        const mine = events.filter((e) => matchesFilter(this.spec.filter, e.streamName, e.type));
        if (mine.length > 0) {
          await this.spec.handler.handle(mine);
          this.delivered = mine[mine.length - 1]!.globalPosition;
        }
        this.seen = events[events.length - 1]!.globalPosition;
        if (this.fanOut.tryRejoin(this, this.seen)) {
          rejoined = true;
          back.notify();
        }
      },
      onError: (err) => this.report(err),
    });
    await back.wait(this.fanOut.stopSignal);
    rejoined = true;
    await own.stop();
  }
}

/** Waits `ms`, less when aborted. */
function pause(ms: number, abort: AbortSignal): Promise<void> {
  if (abort.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort.addEventListener('abort', done, { once: true });
  });
}
