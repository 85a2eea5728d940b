import { customerStream } from '@hub/contracts';
import {
  foldFromSnapshot,
  foldUntil,
  isCustomerEventType,
  snapshotOf,
  upcast,
  type CustomerEvent,
  type CustomerState,
} from '@hub/customer';
import { StreamNotFoundError, type AppendResult, type EventStore, type ExpectedRevision, type NewEvent, type RecordedEvent, type StreamAppendOutcome } from '@hub/event-store';
import type { SnapshotStore } from './snapshot-store.port';

export interface LoadedCustomer {
  state: CustomerState;
  /** The stream's revision the state was folded up to: pass it back as the expected revision. */
  revision: bigint | 'no_stream';
  /** The events read for this load: the whole stream, or only those after the snapshot used. */
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

export function toNewEvent(event: CustomerEvent): NewEvent {
  return { eventId: event.metadata.eventId, type: event.type, data: event.data, metadata: { ...event.metadata } };
}

const domainEvents = (recorded: readonly RecordedEvent[]): CustomerEvent[] => recorded.map(toCustomerEvent).filter((e): e is CustomerEvent => e !== undefined);

/**
 * A customer's state is never stored as the record: it is folded from the customer's stream on every
 * load. Snapshots (every `snapshotEvery` events) only shorten the fold; a load that uses one gives
 * the same state as a full fold (tested).
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
    const revision = events.at(-1)?.revision ?? snapshot?.revision ?? 'no_stream';
    if (this.snapshots && revision !== 'no_stream' && state.status !== 'erased') {
      const since = snapshot ? revision - snapshot.revision : revision + 1n;
      if (since >= BigInt(this.snapshots.every)) {
        await this.snapshots.store.save(tenantId, customerId, snapshotOf(state, revision));
      }
    }
    return { state, revision, events, ...(snapshot ? { fromSnapshot: snapshot.revision } : {}) };
  }

  /** Every event of the customer's stream, upcast, in stream order (for histories and explanations). */
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
      return await this.store.readStream(customerStream(tenantId, customerId), revision === undefined ? {} : { fromRevision: revision + 1n });
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
  }

  private async loadAsOf(tenantId: string, customerId: string, { asOf, atRevision }: LoadOptions): Promise<LoadedCustomer> {
    const { recorded } = await this.history(tenantId, customerId);
    const upToRevision = atRevision === undefined ? recorded : recorded.filter((e) => e.revision <= atRevision);
    const recordedAt = (e: RecordedEvent) => Date.parse(String((e.metadata as { recordedAt?: string }).recordedAt ?? e.createdAt.toISOString()));
    const known = asOf === undefined ? upToRevision : upToRevision.filter((e) => recordedAt(e) <= Date.parse(asOf));
    const state = foldUntil(domainEvents(upToRevision), asOf === undefined ? {} : { time: asOf });
    return { state, revision: known.at(-1)?.revision ?? 'no_stream', events: known };
  }

  append(tenantId: string, customerId: string, events: readonly CustomerEvent[], expectedRevision: ExpectedRevision = 'any'): Promise<AppendResult> {
    return this.store.appendToStream(customerStream(tenantId, customerId), events.map(toNewEvent), { expectedRevision });
  }

  /** Several customers' appends at once (`EventStore.appendToStreams`): each customer's outcome its own, in request order. */
  appendMany(appends: readonly { tenantId: string; customerId: string; events: readonly CustomerEvent[]; expectedRevision?: ExpectedRevision }[]): Promise<StreamAppendOutcome[]> {
    return this.store.appendToStreams(
      appends.map((a) => ({ stream: customerStream(a.tenantId, a.customerId), events: a.events.map(toNewEvent), expectedRevision: a.expectedRevision ?? 'any' })),
    );
  }
}
