import type {
  AppendResult,
  EventStore,
  StreamAppend,
  StreamAppendOutcome,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionFilter,
} from '@hub/event-store';

/**
 * An `EventStore` that tells `onHandled` about every batch a subscription's handler finished
 * (after `onEvents` resolved: applied and committed), so a rebuild can count what it projected
 * without a hook in the projector. Everything else is the inner store's.
 */
export class ObservedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly onHandled: (events: readonly RecordedEvent[]) => void,
  ) {}

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll({
      ...options,
      onEvents: async (events) => {
        await options.onEvents(events);
        this.onHandled(events);
      },
    });
  }

  appendToStream(stream: string, events: readonly NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult> {
    return this.inner.appendToStream(stream, events, options);
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, options);
  }

  appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    return this.inner.appendToStreams(appends);
  }

  readLastEvents(streams: readonly string[]): Promise<Map<string, RecordedEvent>> {
    return this.inner.readLastEvents(streams);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  countEvents(range?: Parameters<EventStore['countEvents']>[0]): ReturnType<EventStore['countEvents']> {
    return this.inner.countEvents(range);
  }

  readPositions(range?: Parameters<EventStore['readPositions']>[0]): ReturnType<EventStore['readPositions']> {
    return this.inner.readPositions(range);
  }

  lastMatchingEvents(filter: Parameters<EventStore['lastMatchingEvents']>[0]): ReturnType<EventStore['lastMatchingEvents']> {
    return this.inner.lastMatchingEvents(filter);
  }

  readEvent(eventId: string, filter?: SubscriptionFilter): Promise<RecordedEvent | undefined> {
    return this.inner.readEvent(eventId, filter);
  }

  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return this.inner.setStreamMetadata(stream, metadata);
  }

  getStreamMetadata(stream: string): Promise<StreamMetadata | undefined> {
    return this.inner.getStreamMetadata(stream);
  }

  /** The inner store belongs to whoever built it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
