import {
  BACKWARDS,
  END,
  START,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Filter,
  type Position,
  type ReadPosition,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, type RecordedEvent } from './event-store.port';
import { mapEsdbError, toRecordedEvent } from './esdb.mapping';
import { nextBatch } from './readable-batch';
import { SubscriptionBase, matchesFilter, retryDelay, type RetrySettings, type ValidatedSubscribeOptions } from './subscription-support';

/** How far back from the end of `$all` the subscription looks for the position it must reach to be caught up. */
const HEAD_SCAN_LIMIT = 1_000;

/**
 * The EventStoreDB catch-up subscription, over the client's `subscribeToAll` (which reads history,
 * then follows live; ESDB only shows committed events in `$all`, in commit order).
 *
 * - Positions are commit positions; `from` is sent as `{ commit, prepare }` = `from` (as `readAll`
 *   does), and events at or before it are skipped here too, so `from` is exclusive whatever the
 *   server does.
 * - Filter: one dimension can be filtered by the server. Stream prefixes go to `streamNameFilter`
 *   (prefixes); otherwise event types go to `eventTypeFilter` as an exact-match regex; otherwise
 *   `excludeSystemEvents`. The whole filter (and the exclusion of `$` streams and types) is applied
 *   again here, so both filters together behave as on PostgreSQL.
 * - Back-pressure: the gRPC stream is read only between batches (`nextBatch`); while `onEvents`
 *   runs, the client's buffer (`highWaterMark` = batchSize) fills and the server is paused.
 * - Reconnects: when the subscription errors or ends, the error is reported and a new one is opened
 *   after a backoff, from the last event delivered or filtered out.
 * - Caught up: on the server's caught-up message (servers 23.10+), or, on older servers, once an
 *   event or a filter checkpoint at or past the head is handled. The head is the last event in the
 *   last `HEAD_SCAN_LIMIT` events of `$all` that matches the filter (or, when none does, the last
 *   non-system one, which only a filter checkpoint can reach), read when (re)subscribing.
 */
export class EsdbSubscription extends SubscriptionBase {
  /** Commit position of the last event delivered or filtered out: where a new subscription resumes (exclusive). */
  private resumeFrom: bigint | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    options: ValidatedSubscribeOptions,
    retry: RetrySettings,
  ) {
    super(options, retry);
    this.resumeFrom = options.from;
  }

  protected async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let subscription: AllStreamSubscription | undefined;
      try {
        const head = this.isCaughtUp ? undefined : await this.headPosition();
        if (this.stopped) break;
        const progress = new CaughtUpTracker(head, () => this.markCaughtUp());
        subscription = this.client.subscribeToAll(
          {
            fromPosition: this.readPosition(),
            filter: this.serverFilter((position) => progress.checkpoint(position.commit, subscription)),
          },
          { highWaterMark: this.options.batchSize },
        );
        // The client emits errors on the subscription itself (not through destroy): without a
        // listener at all times, one arriving while a batch is handled would crash the process.
        const lost = new AbortController();
        const failure: { error?: unknown } = {};
        subscription.on('error', (error) => {
          failure.error ??= error;
          lost.abort();
        });
        subscription.on('caughtUp', () => progress.serverCaughtUp(subscription));
        progress.handled(this.resumeFrom);
        await this.consume(subscription, progress, AbortSignal.any([this.stopSignal, lost.signal]), failure, () => (failures = 0));
      } catch (err) {
        if (this.stopped) break;
        this.report(mapEsdbError(err, '$all'));
        await this.pause(retryDelay(failures++, this.retry), false);
      } finally {
        await subscription?.unsubscribe().catch(() => undefined);
      }
    }
  }

  /** Reads and delivers batches until stopped (returns) or the subscription fails or ends (throws). */
  private async consume(
    subscription: AllStreamSubscription,
    progress: CaughtUpTracker,
    signal: AbortSignal,
    failure: { error?: unknown },
    onProgress: () => void,
  ): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      if (failure.error !== undefined) throw failure.error;
      const batch = await nextBatch<AllStreamResolvedEvent>(subscription, this.options.batchSize, signal);
      if (batch === null) {
        if (this.stopped) return;
        throw failure.error ?? new EventStoreUnavailableError('EventStoreDB ended the subscription');
      }
      onProgress();
      progress.read(batch.length);
      const events: RecordedEvent[] = [];
      let lastSeen: bigint | undefined;
      for (const resolved of batch) {
        const recorded = toRecordedEvent(resolved);
        if (!recorded || recorded.globalPosition < 0n) continue;
        if (this.resumeFrom !== undefined && recorded.globalPosition <= this.resumeFrom) continue;
        lastSeen = recorded.globalPosition;
        if (recorded.streamName.startsWith('$') || recorded.type.startsWith('$')) continue;
        if (!matchesFilter(this.options, recorded.streamName, recorded.type)) continue;
        events.push(recorded);
      }
      if (events.length > 0) {
        progress.delivering = true;
        const delivered = await this.deliver(events);
        progress.delivering = false;
        if (!delivered) return;
      }
      if (lastSeen !== undefined) this.resumeFrom = lastSeen;
      progress.handled(this.resumeFrom);
    }
  }

  private readPosition(): ReadPosition {
    return this.resumeFrom === undefined ? START : { commit: this.resumeFrom, prepare: this.resumeFrom };
  }

  private serverFilter(checkpointReached: (position: Position) => void): Filter {
    const { streamPrefixes, eventTypes } = this.options;
    const onCheckpoint = (_: AllStreamSubscription, position: Position): void => checkpointReached(position);
    if (streamPrefixes) return streamNameFilter({ prefixes: [...streamPrefixes], checkpointReached: onCheckpoint });
    if (eventTypes) return eventTypeFilter({ regex: `^(?:${eventTypes.map(escapeRegex).join('|')})$`, checkpointReached: onCheckpoint });
    return excludeSystemEvents({ checkpointReached: onCheckpoint });
  }

  /** See the class comment; -1n when `$all` holds no event of ours (caught up at once). */
  private async headPosition(): Promise<bigint> {
    let lastOfOurs: bigint | undefined;
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: HEAD_SCAN_LIMIT })) {
      const recorded = toRecordedEvent(resolved);
      if (!recorded || recorded.globalPosition < 0n || recorded.streamName.startsWith('$') || recorded.type.startsWith('$')) continue;
      if (matchesFilter(this.options, recorded.streamName, recorded.type)) return recorded.globalPosition;
      lastOfOurs ??= recorded.globalPosition;
    }
    return lastOfOurs ?? -1n;
  }
}

/**
 * Decides when a subscription has caught up. Signals (the server's message, a checkpoint past the
 * head) arrive while earlier events still sit in the client's buffer, unhandled: they count once
 * everything read up to that moment has been handled.
 */
class CaughtUpTracker {
  delivering = false;
  private readCount = 0;
  private caughtUpAtRead: number | undefined;

  constructor(
    private readonly head: bigint | undefined,
    private readonly onCaughtUp: () => void,
  ) {}

  read(count: number): void {
    this.readCount += count;
  }

  serverCaughtUp(subscription: AllStreamSubscription | undefined): void {
    this.caughtUpAtRead ??= this.readCount + (subscription?.readableLength ?? 0);
    this.check();
  }

  checkpoint(position: bigint, subscription: AllStreamSubscription | undefined): void {
    if (this.head !== undefined && position >= this.head) this.serverCaughtUp(subscription);
  }

  /** Everything read so far is handled; `position` is the last event handled. */
  handled(position: bigint | undefined): void {
    if (this.head !== undefined && (this.head < 0n || (position !== undefined && position >= this.head)))
      this.caughtUpAtRead ??= this.readCount;
    this.check();
  }

  private check(): void {
    if (this.caughtUpAtRead !== undefined && this.readCount >= this.caughtUpAtRead && !this.delivering) this.onCaughtUp();
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\#\s]/g, (c) => `\\${c}`);
}
