import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { customerStream } from '@hub/contracts';
import {
  customersMergedIn,
  foldFromSnapshot,
  foldUntil,
  foldWholeHistory,
  isCustomerEventType,
  snapshotOf,
  upcast,
  wholeHistory,
  type CustomerEvent,
  type CustomerState,
  type HistoryEvent,
} from '@hub/customer';
import {
  StreamNotFoundError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type StreamAppendOutcome,
} from '@hub/event-store';
import type { SnapshotStore } from './snapshot-store.port';

export interface LoadedCustomer {
  /** Folded from the customer's whole history: its own stream and those of the customers merged into it (`wholeHistory`). */
  state: CustomerState;
  /** The stream's revision the state was folded up to: pass it back as the expected revision. */
  revision: bigint | 'no_stream';
  /** The events of the customer's own stream read for this load: the whole stream, or only those after the snapshot used. */
  events: RecordedEvent[];
  /** The revision of the snapshot the fold started from, if one was used. */
  fromSnapshot?: bigint;
}

export interface LoadOptions {
  /** The customer as the hub knew them then: only events recorded at or before this instant. */
  asOf?: string;
  /** Only events up to and including this stream revision. */
  atRevision?: bigint;
}

/** A stored customer event brought to the current schema version; other types are skipped. */
export function toCustomerEvent(recorded: RecordedEvent): CustomerEvent | undefined {
  if (!isCustomerEventType(recorded.type)) return undefined;
  return upcast({ type: recorded.type, data: recorded.data, metadata: recorded.metadata as unknown as CustomerEvent['metadata'] });
}

export function toNewEvent(event: CustomerEvent, traceparent?: string): NewEvent {
  return {
    eventId: event.metadata.eventId,
    type: event.type,
    data: event.data,
    // An event that carries its own (a decision: its decide span's) keeps it.
    metadata: traceparent === undefined ? { ...event.metadata } : { traceparent, ...event.metadata },
  };
}

const tracer = trace.getTracer('@hub/customer-records');

/** The W3C `traceparent` of a recording span; undefined for the API's no-op one (no SDK started). */
function traceparentOf(span: Span): string | undefined {
  if (!span.isRecording()) return undefined;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/**
 * An `event-store append` span (child of the active one: the consumer's run, the decide job) around
 * an append; `work` gets the span's W3C `traceparent`, kept in each event's metadata so that what
 * follows the store (the relay, the projection, the decision) can link back to the trace that
 * wrote it — undefined when no tracing SDK is started (a non-recording span: nothing is added).
 */
async function appendSpan<T>(streams: number, events: number, work: (traceparent: string | undefined) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    'event-store append',
    { attributes: { 'hub.append.streams': streams, 'hub.append.events': events } },
    async (span: Span) => {
      try {
        return await work(traceparentOf(span));
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

const domainEvents = (recorded: readonly RecordedEvent[]): CustomerEvent[] =>
  recorded.map(toCustomerEvent).filter((e): e is CustomerEvent => e !== undefined);

/** The customer events of one stream with where the store put them (other types skipped). */
export function toHistoryEvents(customerId: string, recorded: readonly RecordedEvent[]): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const r of recorded) {
    const event = toCustomerEvent(r);
    if (event) out.push({ customerId, revision: r.revision, position: r.globalPosition, event });
  }
  return out;
}

const recordedAtOf = (e: RecordedEvent): number =>
  Date.parse(String((e.metadata as { recordedAt?: string }).recordedAt ?? e.createdAt.toISOString()));

/** A customer's whole history as read: their own stream's stored events, and every member stream's events in one order. */
export interface WholeHistoryRead {
  /** The customer's own stream, as stored (cut as asked). */
  own: RecordedEvent[];
  /** `wholeHistory` of the customer: own events and those of the customers merged in, in the store's order. */
  history: HistoryEvent[];
}

/**
 * A customer's state is never stored as the record: it is folded from the customer's whole history
 * on every load — their own stream, and the streams of the customers merged into them and not
 * unmerged (`wholeHistory` in @hub/customer), each stream staying its own customer's record.
 * Snapshots (every `snapshotEvery` events) only shorten the fold of a customer nobody is merged
 * into; a load that uses one gives the same state as a full fold (tested).
 */
export class CustomerRepository {
  constructor(
    private readonly store: EventStore,
    private readonly snapshots?: { store: SnapshotStore; every: number },
  ) {}

  async load(tenantId: string, customerId: string, options: LoadOptions = {}): Promise<LoadedCustomer> {
    if (options.asOf !== undefined || options.atRevision !== undefined) return this.loadAsOf(tenantId, customerId, options);
    const snapshot = this.snapshots ? await this.snapshots.store.load(tenantId, customerId) : undefined;
    let events: RecordedEvent[];
    try {
      events = await this.store.readStream(customerStream(tenantId, customerId), snapshot ? { fromRevision: snapshot.revision + 1n } : {});
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
      if (!snapshot) return { state: foldFromSnapshot(undefined, []), revision: 'no_stream', events: [] };
      events = [];
    }
    const state = foldFromSnapshot(snapshot, domainEvents(events));
    if (state.mergedFrom.length > 0) {
      // Others are merged in: their histories are part of this one, so the whole history is folded
      // from the start. A snapshot only ever caches the fold of a customer nobody is merged into, so
      // one taken before a merge is never advanced past it by the customer's own events alone.
      const whole = await this.readWholeHistory(tenantId, customerId);
      return { state: foldWholeHistory(customerId, whole.history), revision: whole.own.at(-1)?.revision ?? 'no_stream', events: whole.own };
    }
    const revision = events.at(-1)?.revision ?? snapshot?.revision ?? 'no_stream';
    if (this.snapshots && revision !== 'no_stream' && state.status !== 'erased') {
      const since = snapshot ? revision - snapshot.revision : revision + 1n;
      if (since >= BigInt(this.snapshots.every)) {
        await this.snapshots.store.save(tenantId, customerId, snapshotOf(state, revision));
      }
    }
    return { state, revision, events, ...(snapshot ? { fromSnapshot: snapshot.revision } : {}) };
  }

  /**
   * The customer's whole history (`wholeHistory`): their own stream, then the stream of every
   * customer merged into them and not unmerged, recursively, as one history in the store's order.
   * `keep` cuts every stream to what the hub knew at a moment (a revision's position, a time).
   */
  async readWholeHistory(
    tenantId: string,
    customerId: string,
    keep: (e: RecordedEvent) => boolean = () => true,
  ): Promise<WholeHistoryRead> {
    const streams = new Map<string, HistoryEvent[]>();
    let own: RecordedEvent[] = [];
    const members = [customerId];
    for (let i = 0; i < members.length; i++) {
      const id = members[i]!;
      const recorded = (await this.recordedAfter(tenantId, id)).filter(keep);
      if (i === 0) own = recorded;
      const events = toHistoryEvents(id, recorded);
      streams.set(id, events);
      for (const m of customersMergedIn(events.map((h) => h.event))) if (!members.includes(m)) members.push(m);
    }
    return { own, history: wholeHistory(customerId, streams) };
  }

  /**
   * The customer's whole history as the hub had it just before the store-wide `position` (a recorded
   * decision's: what the worker had read when it made it): every member stream cut there before the
   * members are taken, so merges and unmerges recorded since do not count.
   */
  readWholeHistoryBefore(tenantId: string, customerId: string, position: bigint): Promise<WholeHistoryRead> {
    return this.readWholeHistory(tenantId, customerId, (e) => e.globalPosition < position);
  }

  /** Every event of the customer's own stream, upcast, in stream order (for histories and explanations). */
  async history(tenantId: string, customerId: string): Promise<{ recorded: RecordedEvent[]; events: CustomerEvent[] }> {
    try {
      const recorded = await this.store.readStream(customerStream(tenantId, customerId));
      return { recorded, events: domainEvents(recorded) };
    } catch (err) {
      if (err instanceof StreamNotFoundError) return { recorded: [], events: [] };
      throw err;
    }
  }

  /**
   * The customer's stored events after `revision` (every one when it is undefined), in stream order,
   * not upcast (`toCustomerEvent` does that, and skips other types): what advances a fold kept from
   * an earlier read, one `readStream` from `revision + 1`. Empty when there are none, or no stream.
   */
  async recordedAfter(tenantId: string, customerId: string, revision?: bigint): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(
        customerStream(tenantId, customerId),
        revision === undefined ? {} : { fromRevision: revision + 1n },
      );
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
  }

  /**
   * The customer as the hub knew them then: their own events up to `atRevision` and recorded by
   * `asOf`; when customers were merged into them by then, those customers' events recorded by then
   * too (up to the global position of revision `atRevision`, by `asOf`).
   */
  private async loadAsOf(tenantId: string, customerId: string, { asOf, atRevision }: LoadOptions): Promise<LoadedCustomer> {
    const { recorded } = await this.history(tenantId, customerId);
    const upToRevision = atRevision === undefined ? recorded : recorded.filter((e) => e.revision <= atRevision);
    const limit = asOf === undefined ? undefined : Date.parse(asOf);
    const known = limit === undefined ? upToRevision : upToRevision.filter((e) => recordedAtOf(e) <= limit);
    if (customersMergedIn(domainEvents(known)).length === 0) {
      const state = foldUntil(domainEvents(upToRevision), asOf === undefined ? {} : { time: asOf });
      return { state, revision: known.at(-1)?.revision ?? 'no_stream', events: known };
    }
    const position = atRevision === undefined ? undefined : upToRevision.at(-1)?.globalPosition;
    const whole = await this.readWholeHistory(
      tenantId,
      customerId,
      (e) => (position === undefined || e.globalPosition <= position) && (limit === undefined || recordedAtOf(e) <= limit),
    );
    return { state: foldWholeHistory(customerId, whole.history), revision: whole.own.at(-1)?.revision ?? 'no_stream', events: whole.own };
  }

  append(
    tenantId: string,
    customerId: string,
    events: readonly CustomerEvent[],
    expectedRevision: ExpectedRevision = 'any',
  ): Promise<AppendResult> {
    return appendSpan(1, events.length, (traceparent) =>
      this.store.appendToStream(
        customerStream(tenantId, customerId),
        events.map((e) => toNewEvent(e, traceparent)),
        { expectedRevision },
      ),
    );
  }

  /** Several customers' appends at once (`EventStore.appendToStreams`): each customer's outcome its own, in request order. */
  appendMany(
    appends: readonly { tenantId: string; customerId: string; events: readonly CustomerEvent[]; expectedRevision?: ExpectedRevision }[],
  ): Promise<StreamAppendOutcome[]> {
    const events = appends.reduce((n, a) => n + a.events.length, 0);
    return appendSpan(appends.length, events, (traceparent) =>
      this.store.appendToStreams(
        appends.map((a) => ({
          stream: customerStream(a.tenantId, a.customerId),
          events: a.events.map((e) => toNewEvent(e, traceparent)),
          expectedRevision: a.expectedRevision ?? 'any',
        })),
      ),
    );
  }
}
