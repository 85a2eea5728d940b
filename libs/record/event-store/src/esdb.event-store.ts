import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  type AppendExpectedRevision,
  type JSONEventData,
  type JSONType,
  type ReadPosition,
  type ReadRevision,
  type StreamMetadata as EsdbStreamMetadata,
} from '@eventstore/db-client';
import {
  DEFAULT_READ_ALL_MAX_COUNT,
  EventStoreUnavailableError,
  IdempotencyConflictError,
  InvalidEventError,
  StreamNotFoundError,
  appendEachStream,
  readLastOfEach,
  type AppendResult,
  type StreamAppend,
  type StreamAppendOutcome,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamMetadata,
  type SubscribeToAllOptions,
  type Subscription,
  type EventCount,
  type EventPosition,
  type EventRange,
  type StreamLastMatch,
  type SubscriptionFilter,
} from './event-store.port';
import {
  isEventId,
  validateAppend,
  validateExpectedRevision,
  validateFromRevision,
  validateMaxCount,
  validateStreamMetadata,
  validateStreamName,
  type ValidatedEvent,
} from './event-validation';
import { isPlainRecord, mapEsdbError, toRecordedEvent } from './esdb.mapping';
import { EsdbSubscription } from './esdb.subscription';
import {
  DEFAULT_SUBSCRIPTION_RETRY,
  matchesFilter,
  validateFilter,
  validateSubscribeOptions,
  type RetrySettings,
} from './subscription-support';

/**
 * The event store on EventStoreDB (KurrentDB) 22.6+, over the gRPC client `@eventstore/db-client` 6.
 *
 * Mapping: expected revisions map one to one (`any`, `no_stream`, `stream_exists`, a revision);
 * `WrongExpectedVersionError` → `ConcurrencyError` (with the server's actual revision);
 * stream not found or deleted → `StreamNotFoundError`; unavailable, deadline, timeout, not-leader
 * → `EventStoreUnavailableError`; `globalPosition` is the event's commit position in `$all`.
 * readAll leaves out system events (`$`-prefixed stream or type: `$>` links, `$metadata`, stats…);
 * ESDB only makes an event visible in `$all` once committed, in commit order.
 *
 * Where it differs from the PostgreSQL store:
 * - Idempotency. ESDB itself only recognises a re-sent event id while the id is in its recent-write
 *   cache and when the retry lands at the same place (same expected revision), and it does not say
 *   whether it wrote. So before writing, this adapter looks where a retry of the batch would find it
 *   stored: at `expectedRevision + 1` (a revision), at revision 0 (`no_stream`), or as the last
 *   events of the stream (`any`, `stream_exists`). Found there in the same order → `duplicate: true`,
 *   nothing written; only some of the ids found there → `IdempotencyConflictError`. Ids stored
 *   anywhere else are not seen (best effort: one extra read per append, usually empty). Event ids
 *   are not unique across streams in ESDB.
 * - `globalPosition` of `readStream` events is -1n on servers older than 22.6 (no position in
 *   stream reads there).
 * - Subscriptions: see `esdb.subscription.ts` (server-side filter on one dimension, the rest here;
 *   caught-up detection on servers before 23.10).
 * - Stream metadata is ESDB's own (the `$$<stream>` metastream), custom keys only; the reserved
 *   system keys are refused by the shared validation.
 */
export interface EsdbEventStoreOptions {
  /** Deadline of each call in ms (the client's default, 10 s, when unset). Not applied to subscriptions. */
  deadlineMs?: number;
  /** Backoff of subscriptions after a failure. Default 100 ms doubling to 5 s. */
  subscriptionRetry?: RetrySettings;
}

export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<EsdbSubscription>();
  private closed = false;

  /** `close()` disposes the client only when the store created it (`fromConnectionString`). */
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EsdbEventStoreOptions = {},
    private readonly ownsClient = false,
  ) {}

  /** e.g. `esdb://127.0.0.1:2113?tls=false`. The client connects lazily, on the first call. */
  static fromConnectionString(connectionString: string, options: EsdbEventStoreOptions = {}): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString), options, true);
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    const batch = validateAppend(stream, events);
    try {
      const stored = await this.storedOutcome(stream, batch, expected);
      if (stored) return stored;
      const result = await this.client.appendToStream(stream, batch.map(toEventData), {
        expectedRevision: toEsdbExpected(expected),
        ...this.baseOptions(),
      });
      const position = result.position?.commit ?? (await this.positionAt(stream, result.nextExpectedRevision));
      return { nextExpectedRevision: result.nextExpectedRevision, position, duplicate: false };
    } catch (err) {
      throw mapEsdbError(err, stream, expected);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from: ReadRevision = validateFromRevision(options.fromRevision) ?? (backwards ? END : START);
    const maxCount = validateMaxCount(options.maxCount);
    if (maxCount === 0) return [];
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from,
        maxCount: maxCount ?? Number.MAX_SAFE_INTEGER,
        ...this.baseOptions(),
      });
      for await (const resolved of read) {
        const recorded = toRecordedEvent(resolved);
        if (recorded) out.push(recorded);
      }
    } catch (err) {
      throw mapEsdbError(err, stream);
    }
    return out;
  }

  /** EventStoreDB has no multi-stream transaction: one append after another, each atomic on its own. */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    // Every batch is checked before the first is written.
    for (const a of appends) {
      validateExpectedRevision(a.expectedRevision ?? 'any');
      validateAppend(a.stream, a.events);
    }
    return appendEachStream(this, appends);
  }

  readLastEvents(streams: readonly string[]): Promise<Map<string, RecordedEvent>> {
    return readLastOfEach(this, streams);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = validateMaxCount(options.maxCount) ?? DEFAULT_READ_ALL_MAX_COUNT;
    if (maxCount === 0) return [];
    const after = options.after;
    // Reading $all from a position includes the event at that position: it is skipped below.
    const fromPosition: ReadPosition = after === undefined || after < 0n ? START : { commit: after, prepare: after };
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readAll({ direction: FORWARDS, fromPosition, maxCount: Number.MAX_SAFE_INTEGER, ...this.baseOptions() });
      for await (const resolved of read) {
        const event = resolved.event;
        if (!event || event.streamId.startsWith('$') || event.type.startsWith('$')) continue;
        if (after !== undefined && event.position.commit <= after) continue;
        const recorded = toRecordedEvent(resolved);
        if (recorded) out.push(recorded);
        if (out.length >= maxCount) break; // leaving the loop cancels the read
      }
    } catch (err) {
      throw mapEsdbError(err, '$all');
    }
    return out;
  }

  /**
   * The commit position of the last event of `$all` that is not a system one (the ones `readAll`
   * leaves out: `$`-streams, `$`-types such as stream metadata and statistics), mapped as `readAll`
   * maps positions, so that a checkpoint of delivered events can reach it. 0n for an empty log. A
   * backwards read from the end, stopped at the first such event (usually the first one read).
   */
  async headPosition(): Promise<bigint> {
    try {
      for await (const resolved of this.client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: Number.MAX_SAFE_INTEGER,
        ...this.baseOptions(),
      })) {
        const event = resolved.event;
        if (!event || event.streamId.startsWith('$') || event.type.startsWith('$')) continue;
        const recorded = toRecordedEvent(resolved);
        // Leaving the loop cancels the read.
        if (recorded) return recorded.globalPosition < 0n ? 0n : recorded.globalPosition;
      }
    } catch (err) {
      throw mapEsdbError(err, '$all');
    }
    return 0n;
  }

  /**
   * ESDB has no index by event id (and `readAll` takes no server-side filter in this client): a scan
   * of `$all` backwards from the end, system events left out, until the id is found. The cost grows
   * with how far back the event is; see the port.
   */
  async lastMatchingEvents(filter: SubscriptionFilter & { eventTypes: readonly string[] }): Promise<StreamLastMatch[]> {
    const where = validateFilter(filter);
    if (where.eventTypes === undefined) throw new RangeError('lastMatchingEvents needs filter.eventTypes');
    const last = new Map<string, StreamLastMatch>();
    try {
      // A forward scan of $all: a later event of a stream replaces its earlier one.
      for await (const resolved of this.client.readAll({
        direction: FORWARDS,
        fromPosition: START,
        maxCount: Number.MAX_SAFE_INTEGER,
        ...this.baseOptions(),
      })) {
        const event = resolved.event;
        if (!event || event.streamId.startsWith('$') || event.type.startsWith('$') || !matchesFilter(where, event.streamId, event.type))
          continue;
        const recorded = toRecordedEvent(resolved);
        if (recorded)
          last.set(recorded.streamName, {
            streamName: recorded.streamName,
            eventId: recorded.eventId,
            type: recorded.type,
            globalPosition: recorded.globalPosition,
          });
      }
    } catch (err) {
      throw mapEsdbError(err, '$all');
    }
    return [...last.values()];
  }

  async countEvents(range: EventRange = {}): Promise<EventCount> {
    let count = 0;
    let lastPosition: bigint | undefined;
    for await (const event of this.readRange(range)) {
      count++;
      lastPosition = event.globalPosition;
    }
    return { count, lastPosition };
  }

  async readPositions(range: EventRange & { maxCount?: number } = {}): Promise<EventPosition[]> {
    const maxCount = validateMaxCount(range.maxCount) ?? DEFAULT_READ_ALL_MAX_COUNT;
    const out: EventPosition[] = [];
    if (maxCount === 0) return out;
    for await (const e of this.readRange(range)) {
      out.push({ streamName: e.streamName, eventId: e.eventId, type: e.type, globalPosition: e.globalPosition });
      if (out.length >= maxCount) break; // leaving the loop cancels the read
    }
    return out;
  }

  /**
   * The events of (`after`, `upTo`] matching the filter, in order: a forward read of `$all` from
   * `after` (positions mapped as `readAll` maps them), system events left out, the filter applied
   * here (this client's `readAll` takes no server-side filter), stopped at the first event after
   * `upTo` (or when the caller leaves its loop).
   */
  private async *readRange(range: EventRange): AsyncGenerator<RecordedEvent> {
    const where = validateFilter(range.filter);
    const { after, upTo } = range;
    if (upTo !== undefined && upTo < 0n) return;
    const fromPosition: ReadPosition = after === undefined || after < 0n ? START : { commit: after, prepare: after };
    const read = this.client.readAll({ direction: FORWARDS, fromPosition, maxCount: Number.MAX_SAFE_INTEGER, ...this.baseOptions() });
    try {
      for await (const resolved of read) {
        const event = resolved.event;
        if (!event || event.streamId.startsWith('$') || event.type.startsWith('$')) continue;
        if (after !== undefined && event.position.commit <= after) continue;
        if (upTo !== undefined && event.position.commit > upTo) return; // leaving the loop cancels the read
        if (!matchesFilter(where, event.streamId, event.type)) continue;
        const recorded = toRecordedEvent(resolved);
        if (recorded) yield recorded;
      }
    } catch (err) {
      throw mapEsdbError(err, '$all');
    }
  }

  async readEvent(eventId: string, filter?: SubscriptionFilter): Promise<RecordedEvent | undefined> {
    const where = validateFilter(filter);
    if (!isEventId(eventId)) return undefined;
    const id = eventId.toLowerCase();
    try {
      for await (const resolved of this.client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: Number.MAX_SAFE_INTEGER,
        ...this.baseOptions(),
      })) {
        const event = resolved.event;
        if (!event || event.streamId.startsWith('$') || event.type.startsWith('$') || event.id.toLowerCase() !== id) continue;
        const recorded = toRecordedEvent(resolved);
        // Leaving the loop cancels the read.
        if (recorded && matchesFilter(where, recorded.streamName, recorded.type)) return recorded;
      }
    } catch (err) {
      throw mapEsdbError(err, '$all');
    }
    return undefined;
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const validated = validateSubscribeOptions(options);
    if (this.closed) throw new EventStoreUnavailableError('EventStoreDB event store is closed');
    const subscription = new EsdbSubscription(this.client, validated, this.options.subscriptionRetry ?? DEFAULT_SUBSCRIPTION_RETRY);
    this.subscriptions.add(subscription);
    return subscription.start(() => this.subscriptions.delete(subscription));
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    validateStreamName(stream);
    validateStreamMetadata(metadata);
    try {
      // No system key passes the validation: the client sends the object as it is.
      await this.client.setStreamMetadata(stream, metadata as EsdbStreamMetadata, this.baseOptions());
    } catch (err) {
      throw mapEsdbError(err, stream);
    }
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata | undefined> {
    validateStreamName(stream);
    try {
      const { metadata } = await this.client.getStreamMetadata(stream, this.baseOptions());
      return isPlainRecord(metadata) ? { ...metadata } : undefined;
    } catch (err) {
      throw mapEsdbError(err, stream);
    }
  }

  /** Stops the store's subscriptions (waiting for batches in flight), then disposes the client if the store created it. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsClient) await this.client.dispose();
  }

  private baseOptions(): { deadline?: number } {
    return this.options.deadlineMs === undefined ? {} : { deadline: this.options.deadlineMs };
  }

  /** See the class comment: where a retry of `batch` would find it, if it is stored. */
  private async storedOutcome(
    stream: string,
    batch: readonly ValidatedEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult | undefined> {
    let window: RecordedEvent[];
    try {
      if (typeof expected === 'bigint') {
        window = await this.readStream(stream, { fromRevision: expected + 1n, maxCount: batch.length });
      } else if (expected === 'no_stream') {
        window = await this.readStream(stream, { fromRevision: 0n, maxCount: batch.length });
      } else {
        window = (await this.readStream(stream, { direction: 'backwards', maxCount: batch.length })).reverse();
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return undefined;
      throw err;
    }
    const ids = new Set(batch.map((e) => e.eventId));
    const found = window.filter((e) => ids.has(e.eventId.toLowerCase()));
    if (found.length === 0) return undefined;
    const sameBatch = window.length === batch.length && window.every((e, i) => e.eventId.toLowerCase() === batch[i]?.eventId);
    if (!sameBatch)
      throw new IdempotencyConflictError(
        stream,
        'partial_batch',
        found.map((e) => e.eventId),
      );
    const last = window[window.length - 1]!;
    const position = last.globalPosition >= 0n ? last.globalPosition : await this.positionAt(stream, last.revision);
    return { nextExpectedRevision: last.revision, position, duplicate: true };
  }

  /** Commit position of the event at `revision` (for servers that answer an append without a position). */
  private async positionAt(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStream(stream, { fromRevision: revision, maxCount: 1 });
    return event?.globalPosition ?? -1n;
  }
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return 'any';
    case 'no_stream':
      return 'no_stream';
    case 'stream_exists':
      return 'stream_exists';
    default:
      return expected;
  }
}

function toEventData(event: ValidatedEvent): JSONEventData {
  return {
    id: event.eventId,
    contentType: 'application/json',
    type: event.type,
    data: asJsonContainer(event.data),
    metadata: event.metadata,
  };
}

/** `validateAppend` has made sure data is a plain JSON object or array. */
function asJsonContainer(data: unknown): JSONType {
  if (typeof data !== 'object' || data === null) throw new InvalidEventError('data must be a JSON object or array');
  return data as JSONType;
}
