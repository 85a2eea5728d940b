import { HubError } from '@hub/contracts';

/**
 * The event store: the hub's system of record. Everything that reads or writes customer history
 * goes through this port; adapters: PostgreSQL (`postgres.event-store.ts`, runs everywhere) and
 * EventStoreDB (`esdb.event-store.ts`). Both pass the same contract suite (`testing/`).
 */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** What the writer expects the stream to be before its append: optimistic concurrency. */
export type ExpectedRevision =
  | 'any'
  | 'no_stream'
  | 'stream_exists'
  /** the stream's last revision, 0-based (a stream with one event is at revision 0n) */
  | bigint;

export interface NewEvent<Type extends string = string, Data = unknown, Meta = Record<string, unknown>> {
  /** Unique across the store: appending an event id that is already stored is a no-op. */
  eventId: string;
  type: Type;
  data: Data;
  metadata: Meta;
}

export interface RecordedEvent<Type extends string = string, Data = unknown, Meta = Record<string, unknown>> {
  streamName: string;
  eventId: string;
  type: Type;
  data: Data;
  metadata: Meta;
  /** 0-based position of the event in its stream. */
  revision: bigint;
  /** Position in the store-wide log; increases with commit order as seen by readAll. */
  globalPosition: bigint;
  /** When the store wrote it (not when it happened: that is in metadata). */
  createdAt: Date;
}

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expected revision. */
  nextExpectedRevision: bigint;
  /** Global position of the last event of the batch. */
  position: bigint;
  /** True when every event id was already stored: nothing was written. */
  duplicate: boolean;
}

export interface ReadStreamOptions {
  /** Inclusive. Default: start (forwards) or end (backwards). */
  fromRevision?: bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

export interface ReadAllOptions {
  /**
   * Exclusive: events after this global position, which must be one this store returned (a
   * `globalPosition` or an `AppendResult.position`). Default: from the start.
   */
  after?: bigint;
  /** Default: `DEFAULT_READ_ALL_MAX_COUNT`; page on with `after` = the last event's globalPosition. */
  maxCount?: number;
}

/** One stream's part of `appendToStreams`. */
export interface StreamAppend {
  stream: string;
  events: readonly NewEvent[];
  /** Default `'any'`. */
  expectedRevision?: ExpectedRevision;
}

/** What became of one stream's append in `appendToStreams`. */
export type StreamAppendOutcome = { ok: true; result: AppendResult } | { ok: false; error: ConcurrencyError | IdempotencyConflictError };

/** How many events `readAll` returns when no `maxCount` is given. */
export const DEFAULT_READ_ALL_MAX_COUNT = 1000;

export interface EventStore {
  /**
   * Appends the batch atomically at the end of the stream. An empty batch is rejected.
   * Throws `ConcurrencyError` (stream not at `expectedRevision`, default `'any'`), `InvalidEventError`
   * (checked before anything is written), `IdempotencyConflictError` (some ids already stored, see there),
   * `EventStoreUnavailableError`. Re-appending a batch whose ids are all stored in this stream returns
   * `duplicate: true` with the stored batch's revision and position, whatever `expectedRevision` says
   * (PostgreSQL: always; EventStoreDB: best effort, see `esdb.event-store.ts`).
   */
  appendToStream(stream: string, events: readonly NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult>;
  /** Throws `StreamNotFoundError` when the stream has no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Appends to several streams at once: each stream's append is atomic and checked on its own
   * (expected revision, idempotency by event id) exactly as `appendToStream` would, and one stream's
   * `ConcurrencyError` or `IdempotencyConflictError` does not stop the others: it comes back as that
   * stream's outcome. Outcomes are in request order. A stream may appear at most once (else
   * `InvalidEventError`, nothing written). Throws only what concerns the whole call
   * (`InvalidEventError` before anything is written, `EventStoreUnavailableError`: then nothing of
   * the call is known to be written, and it may be retried as a whole, idempotently).
   * PostgreSQL writes all of it in one transaction; EventStoreDB one stream after another.
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]>;
  /**
   * The last event of each given stream, keyed by stream name; streams without events are absent.
   * For a batch of look-ups (whose identity claims are these?) in one round trip where the store
   * allows it.
   */
  readLastEvents(streams: readonly string[]): Promise<Map<string, RecordedEvent>>;
  /** Events of every stream in global order, only ever returning a gap-free prefix of the log. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * For each stream that has an event matching `filter` (same meaning as a subscription's;
   * `eventTypes` required), where its last such event is: which one, of which type, at which global
   * position. No event data (nothing personal): for sweeps such as "whose last trigger has no
   * decision after it?". Reads the whole log (PostgreSQL: one statement; EventStoreDB: a scan of
   * `$all`), so it is for start-up reconciliations and operators' tools, not for a hot path.
   */
  lastMatchingEvents(filter: SubscriptionFilter & { eventTypes: readonly string[] }): Promise<StreamLastMatch[]>;
  /**
   * How many events of the streams matching `range.filter` (same meaning as a subscription's) have a
   * global position in (`after`, `upTo`], and where the last of them is (undefined when there is
   * none). No event data: for sizing and bounding a catch-up, such as a rebuild's "how many events
   * will it project, up to which position must it go?". `after` defaults to the start of the log,
   * `upTo` to its end; both are positions this store returned. PostgreSQL: one statement over that
   * range of positions; EventStoreDB: a forward read of `$all` over that range (no server-side
   * filter), so a range from the start is for operators' tools, not for a hot path.
   */
  countEvents(range?: EventRange): Promise<EventCount>;
  /**
   * Where the events of a range are, without their data (nothing to open): id, stream, type and
   * global position of each event matching `range.filter` in (`after`, `upTo`], in global order, at
   * most `maxCount` (default `DEFAULT_READ_ALL_MAX_COUNT`); page on with `after` = the last one's
   * position. For "which events came after this position?" (a diff leaving out what one side has
   * not reached yet). Unlike `readAll`, not only a gap-free prefix: PostgreSQL gives what is
   * committed (a later position may come before an earlier one a slower transaction still holds).
   * EventStoreDB: a forward read of `$all` from `after`, the filter applied client-side.
   */
  readPositions(range?: EventRange & { maxCount?: number }): Promise<EventPosition[]>;
  /**
   * Where the head of the log is: the global position of the last committed event (0n for an empty
   * log), in the same terms as `globalPosition` (a target for a catch-up: "caught up once my
   * checkpoint reaches it"). PostgreSQL: `max(global_position)`, whether or not a slower transaction
   * still hides an earlier position from readers (`readAll` reaches it once that commits).
   * EventStoreDB: the commit position of the last non-system event of `$all`.
   */
  headPosition(): Promise<bigint>;
  /**
   * The stored event with this id (any case), wherever it is: undefined when no event has it (an id
   * that is not a UUID never has one), or when it does not match `filter` (same meaning as a
   * subscription's). PostgreSQL: one lookup on the unique event-id index. EventStoreDB keeps no index
   * by event id: it scans `$all` backwards from the end (recent events are found first; an id
   * stored in several streams, which ESDB allows, gives the latest), so it is for operators' tools,
   * not for a hot path.
   */
  readEvent(eventId: string, filter?: SubscriptionFilter): Promise<RecordedEvent | undefined>;
  /**
   * A catch-up subscription to the whole log: reads history after `from`, then follows live appends.
   * Delivery is at least once, in global order, in batches, one batch at a time (`onEvents` is
   * awaited before the next: back-pressure). It never skips an event committed late by a slower
   * transaction (it reads the gap-free prefix `readAll` reads). It keeps going across connection loss
   * and handler failures (see `SubscribeToAllOptions`) until `stop()`. Throws `RangeError` at once
   * for invalid options; everything later goes to `onError`.
   */
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  /**
   * Replaces the stream's custom metadata (a plain JSON object). The stream need not have events;
   * setting metadata writes no event and does not create the stream for `readStream` or expected
   * revisions. Keys starting with `$` and EventStoreDB's system names (`maxAge`, `maxCount`,
   * `truncateBefore`, `cacheControl`, `acl`) are refused with `InvalidEventError`: they would change
   * retention or access on EventStoreDB and mean nothing on PostgreSQL.
   */
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void>;
  /** The stream's custom metadata as last set, or undefined when none was ever set. */
  getStreamMetadata(stream: string): Promise<StreamMetadata | undefined>;
  /** Stops the store's subscriptions (waiting for a batch in flight), then releases connections. */
  close(): Promise<void>;
}

/** A range of the log (`EventStore.countEvents`): global positions in (`after`, `upTo`], events matching `filter`. */
export interface EventRange {
  /** Exclusive. Default: from the start of the log. */
  after?: bigint;
  /** Inclusive. Default: up to the end of the log. */
  upTo?: bigint;
  filter?: SubscriptionFilter;
}

/** What `EventStore.countEvents` found in a range. */
export interface EventCount {
  count: number;
  /** Global position of the last event counted; undefined when none was. */
  lastPosition: bigint | undefined;
}

/** Where an event is, without its data (`EventStore.readPositions`). */
export interface EventPosition {
  streamName: string;
  eventId: string;
  type: string;
  globalPosition: bigint;
}

/** One stream's last event matching a filter (`EventStore.lastMatchingEvents`). */
export type StreamLastMatch = EventPosition;

/** Custom per-stream metadata: a plain JSON object. */
export type StreamMetadata = Record<string, unknown>;

/** Which events a subscription delivers. Both lists, when given, must match (AND); within a list, any entry (OR). */
export interface SubscriptionFilter {
  /** Stream names starting with one of these (case-sensitive, plain prefix: no wildcards). */
  streamPrefixes?: readonly string[];
  /** Exact event types. */
  eventTypes?: readonly string[];
}

export interface SubscribeToAllOptions {
  /**
   * Exclusive global position: deliver events after it, e.g. a stored checkpoint (the
   * `globalPosition` of the last event handled). Default: from the start of the log.
   */
  from?: bigint;
  filter?: SubscriptionFilter;
  /** At most this many events per `onEvents` call. Default `DEFAULT_SUBSCRIPTION_BATCH_SIZE`. */
  batchSize?: number;
  /**
   * Handles a batch (never empty, in global order). The next batch comes only after the returned
   * promise resolves. If it rejects (or throws), the subscription reports a
   * `SubscriptionHandlerError` to `onError`, waits (backoff) and calls it again with the SAME batch,
   * until it succeeds or the subscription is stopped: the handler must be idempotent (events may
   * also be redelivered after a reconnect or a restart from an older checkpoint).
   */
  onEvents(events: RecordedEvent[]): Promise<void>;
  /**
   * Told about every failure the subscription recovers from: `SubscriptionHandlerError` (onEvents
   * failed; retried), `EventStoreUnavailableError` (connection lost; reconnecting with backoff),
   * other errors of the store. The subscription never dies of them. Must not throw (if it does, the
   * error is ignored).
   */
  onError?(error: unknown): void;
}

/** How many events a subscription hands to `onEvents` at most when no `batchSize` is given. */
export const DEFAULT_SUBSCRIPTION_BATCH_SIZE = 100;
/** Largest `batchSize` a subscription accepts. */
export const MAX_SUBSCRIPTION_BATCH_SIZE = 10_000;

export interface Subscription {
  /**
   * Global position of the last event delivered (its `onEvents` call resolved), or `from` (or 0n)
   * before the first batch. A valid `from` for a later subscription.
   */
  readonly position: bigint;
  /**
   * Resolves the first time the subscription has delivered every event (matching its filter)
   * committed before it started and is waiting for more at the end of the log; rejects with
   * `SubscriptionStoppedError` if it is stopped before that. Useful for tests and rebuild progress.
   */
  readonly caughtUp: Promise<void>;
  /** True once `caughtUp` has resolved (it stays true while the subscription then follows live appends). */
  readonly isCaughtUp: boolean;
  /**
   * Stops reading and resolves once the batch in flight (if any) has been handled: after it
   * resolves, `onEvents` is not called again. Idempotent. Do not await it from inside `onEvents`
   * (it waits for that very call): call `void subscription.stop()` there instead.
   */
  stop(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------
// Typed errors: callers branch on the class, never on a message.
// ------------------------------------------------------------------------------------------------

/** Errors of the `EventStore` port (a `HubError`: `code`, `retryable`). */
export abstract class EventStoreError extends HubError {}

/** The stream was not at the expected revision. Reload, decide again, retry. */
export class ConcurrencyError extends EventStoreError {
  readonly code = 'EVENT_STORE_CONCURRENCY';
  readonly retryable = true;
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${stream} expected at ${String(expected)} but is at ${String(actual)}`);
    this.name = 'ConcurrencyError';
  }
}

export class StreamNotFoundError extends EventStoreError {
  readonly code = 'EVENT_STORE_STREAM_NOT_FOUND';
  readonly retryable = false;
  constructor(readonly stream: string) {
    super(`stream ${stream} not found`);
    this.name = 'StreamNotFoundError';
  }
}

/** The store could not be reached or timed out: nothing is known to have been written; retry. */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'EVENT_STORE_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

/**
 * Some event ids of the batch are already stored but the batch is not a plain retry of a stored one:
 * either only part of the batch is stored (`partial_batch`), or the ids are stored in another stream
 * (`stored_in_other_stream`). Nothing was written. Retrying the same batch can never succeed
 * (unlike `ConcurrencyError`, reloading does not help): the caller reused event ids, which is a bug.
 */
export class IdempotencyConflictError extends EventStoreError {
  readonly code = 'EVENT_STORE_IDEMPOTENCY_CONFLICT';
  readonly retryable = false;
  constructor(
    readonly stream: string,
    readonly reason: 'partial_batch' | 'stored_in_other_stream',
    /** The batch's event ids that are already stored (in this stream or, for `stored_in_other_stream`, elsewhere). */
    readonly storedEventIds: readonly string[],
  ) {
    super(
      reason === 'partial_batch'
        ? `stream ${stream}: ${storedEventIds.length} event id(s) of the batch are already stored but not all of them (${storedEventIds.join(', ')})`
        : `stream ${stream}: event id(s) ${storedEventIds.join(', ')} are already stored in another stream`,
    );
    this.name = 'IdempotencyConflictError';
  }
}

/** The events themselves are unacceptable (bad id, not JSON): never retry. */
export class InvalidEventError extends EventStoreError {
  readonly code = 'EVENT_STORE_INVALID_EVENT';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/**
 * `onEvents` rejected. Reported to `onError`; the subscription retries the same batch after a
 * backoff. `cause` is what the handler threw.
 */
export class SubscriptionHandlerError extends EventStoreError {
  readonly code = 'EVENT_STORE_SUBSCRIPTION_HANDLER_FAILED';
  readonly retryable = true;
  constructor(
    /** Global positions of the first and last event of the batch that failed. */
    readonly firstPosition: bigint,
    readonly lastPosition: bigint,
    /** How many times in a row this batch has failed so far. */
    readonly attempt: number,
    override readonly cause: unknown,
  ) {
    super(
      `subscription handler failed on the batch at positions ${firstPosition}..${lastPosition} (attempt ${attempt}): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'SubscriptionHandlerError';
  }
}

/** `caughtUp` of a subscription that was stopped before it caught up. */
export class SubscriptionStoppedError extends EventStoreError {
  readonly code = 'EVENT_STORE_SUBSCRIPTION_STOPPED';
  readonly retryable = false;
  constructor() {
    super('the subscription was stopped before it caught up');
    this.name = 'SubscriptionStoppedError';
  }
}

/**
 * `appendToStreams` as one `appendToStream` after another: for adapters without a multi-stream write
 * (and decorators that add nothing to it). The per-stream errors become outcomes; anything else is thrown.
 */
export async function appendEachStream(
  store: Pick<EventStore, 'appendToStream'>,
  appends: readonly StreamAppend[],
): Promise<StreamAppendOutcome[]> {
  assertDistinctStreams(appends);
  const out: StreamAppendOutcome[] = [];
  for (const a of appends) {
    try {
      out.push({ ok: true, result: await store.appendToStream(a.stream, a.events, { expectedRevision: a.expectedRevision ?? 'any' }) });
    } catch (err) {
      if (err instanceof ConcurrencyError || err instanceof IdempotencyConflictError) out.push({ ok: false, error: err });
      else throw err;
    }
  }
  return out;
}

/** `appendToStreams` takes each stream once. */
export function assertDistinctStreams(appends: readonly StreamAppend[]): void {
  const seen = new Set<string>();
  for (const a of appends) {
    if (seen.has(a.stream)) throw new InvalidEventError(`appendToStreams: stream ${a.stream} appears more than once`);
    seen.add(a.stream);
  }
}

/** `readLastEvents` as one backwards read per stream, a few at a time. */
export async function readLastOfEach(
  store: Pick<EventStore, 'readStream'>,
  streams: readonly string[],
  concurrency = 8,
): Promise<Map<string, RecordedEvent>> {
  const out = new Map<string, RecordedEvent>();
  const unique = [...new Set(streams)];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const stream = unique[next++]!;
      try {
        const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
        if (last) out.set(stream, last);
      } catch (err) {
        if (!(err instanceof StreamNotFoundError)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
  return out;
}
