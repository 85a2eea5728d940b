import { randomUUID } from 'node:crypto';
import { eventually, freshId } from '@hub/testing';
import type { CheckpointStore } from '../checkpoint-store.port';
import { runCheckpointedSubscription } from '../checkpointed-subscription';
import {
  ConcurrencyError,
  IdempotencyConflictError,
  InvalidEventError,
  StreamNotFoundError,
  SubscriptionHandlerError,
  SubscriptionStoppedError,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port';

/**
 * The behaviour every `EventStore` adapter must have (STYLE.md #13). Run it from an adapter's
 * `*.int.spec.ts`: `eventStoreContract('PostgreSQL', () => PostgresEventStore.create({ … }))`.
 * The factory is called once for the suite; the store is closed after it. Every test writes to
 * fresh stream names, so the store may be shared with other suites and hold old data.
 */
export function eventStoreContract(name: string, factory: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;

    beforeAll(async () => {
      store = await factory();
    });

    /** Subscriptions a test started: stopped after it, whatever happened. */
    const running: Subscription[] = [];

    afterEach(async () => {
      await Promise.all(running.splice(0).map((subscription) => subscription.stop()));
    });

    afterAll(async () => {
      await store?.close();
    });

    describe('append and read back', () => {
      it('round-trips a batch with ids, types, data and metadata intact', async () => {
        const stream = freshStream();
        const first = testEvent({
          type: 'ContractOpened',
          data: {
            text: 'héllo ✓ 👋 "quoted" \\ back\\slash',
            count: 42,
            ratio: 0.25,
            negative: -7,
            flag: false,
            nothing: null,
            list: [1, 'two', { three: [3] }],
            nested: { deeper: { deepest: 'yes' } },
          },
          metadata: { correlationId: randomUUID(), causationId: randomUUID(), schemaVersion: 1, tenantId: 'tenant-a' },
        });
        const second = testEvent({ type: 'ContractClosed', data: [{ reason: 'done' }], metadata: {} });

        const result = await store.appendToStream(stream, [first, second], { expectedRevision: 'no_stream' });

        expect(result.duplicate).toBe(false);
        expect(result.nextExpectedRevision).toBe(1n);
        expect(typeof result.position).toBe('bigint');
        const events = await store.readStream(stream);
        expect(
          events.map(({ streamName, eventId, type, data, metadata, revision }) => ({
            streamName,
            eventId,
            type,
            data,
            metadata,
            revision,
          })),
        ).toEqual([
          { streamName: stream, eventId: first.eventId, type: first.type, data: first.data, metadata: first.metadata, revision: 0n },
          { streamName: stream, eventId: second.eventId, type: second.type, data: second.data, metadata: second.metadata, revision: 1n },
        ]);
        expect(events[1]!.globalPosition).toBe(result.position);
        expect(events[0]!.globalPosition).toBeLessThan(events[1]!.globalPosition);
        for (const event of events) {
          expect(event.createdAt).toBeInstanceOf(Date);
          expect(Number.isNaN(event.createdAt.getTime())).toBe(false);
        }
      });

      it('continues revisions and global positions on the next append', async () => {
        const stream = freshStream();
        const first = await store.appendToStream(stream, [testEvent(), testEvent()]);
        const second = await store.appendToStream(stream, [testEvent()], { expectedRevision: first.nextExpectedRevision });

        expect(second.nextExpectedRevision).toBe(2n);
        expect(second.position).toBeGreaterThan(first.position);
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      });

      it('reads event ids back in lower case and treats them case-insensitively', async () => {
        const stream = freshStream();
        const id = randomUUID();
        await store.appendToStream(stream, [testEvent({ eventId: id.toUpperCase() })]);

        const [event] = await store.readStream(stream);
        expect(event!.eventId).toBe(id.toLowerCase());
        const again = await store.appendToStream(stream, [testEvent({ eventId: id.toLowerCase() })]);
        expect(again.duplicate).toBe(true);
      });
    });

    describe('expected revision', () => {
      it('no_stream creates the stream, and on an existing stream throws ConcurrencyError with the actual revision', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, [testEvent()], { expectedRevision: 'no_stream' });

        const err = await rejectionOf(store.appendToStream(stream, [testEvent()], { expectedRevision: 'no_stream' }));
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ stream, expected: 'no_stream', actual: 0n, retryable: true, code: 'EVENT_STORE_CONCURRENCY' });
      });

      it('an exact revision appends when it is the last revision, and throws ConcurrencyError when stale', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, [testEvent(), testEvent()], { expectedRevision: 'no_stream' });

        const ok = await store.appendToStream(stream, [testEvent()], { expectedRevision: 1n });
        expect(ok.nextExpectedRevision).toBe(2n);

        const stale = await rejectionOf(store.appendToStream(stream, [testEvent()], { expectedRevision: 1n }));
        expect(stale).toBeInstanceOf(ConcurrencyError);
        expect(stale).toMatchObject({ expected: 1n, actual: 2n });
        const ahead = await rejectionOf(store.appendToStream(stream, [testEvent()], { expectedRevision: 5n }));
        expect(ahead).toBeInstanceOf(ConcurrencyError);
        expect(ahead).toMatchObject({ expected: 5n, actual: 2n });
      });

      it('an exact revision on a missing stream throws ConcurrencyError with actual no_stream', async () => {
        const stream = freshStream();
        const err = await rejectionOf(store.appendToStream(stream, [testEvent()], { expectedRevision: 0n }));
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ expected: 0n, actual: 'no_stream' });
      });

      it('stream_exists throws ConcurrencyError on a missing stream and appends to an existing one', async () => {
        const stream = freshStream();
        const err = await rejectionOf(store.appendToStream(stream, [testEvent()], { expectedRevision: 'stream_exists' }));
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });

        await store.appendToStream(stream, [testEvent()]);
        const ok = await store.appendToStream(stream, [testEvent()], { expectedRevision: 'stream_exists' });
        expect(ok.nextExpectedRevision).toBe(1n);
      });

      it('any, the default, appends whatever the revision', async () => {
        const stream = freshStream();
        expect((await store.appendToStream(stream, [testEvent()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(stream, [testEvent()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(1n);
        expect((await store.appendToStream(stream, [testEvent()])).nextExpectedRevision).toBe(2n);
      });

      it('a refused append writes nothing', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, [testEvent()]);
        const refused = [testEvent(), testEvent()];

        await expect(store.appendToStream(stream, refused, { expectedRevision: 3n })).rejects.toBeInstanceOf(ConcurrencyError);
        const missing = freshStream();
        await expect(store.appendToStream(missing, [testEvent()], { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );

        expect(await store.readStream(stream)).toHaveLength(1);
        await expect(store.readStream(missing)).rejects.toBeInstanceOf(StreamNotFoundError);
        // The refused ids were not stored: appending them now is a fresh write.
        expect((await store.appendToStream(stream, refused, { expectedRevision: 0n })).duplicate).toBe(false);
      });
    });

    describe('idempotency by event id', () => {
      it('re-appending a batch with the same expected revision returns duplicate and writes nothing', async () => {
        const marker = await appendMarker();
        const stream = freshStream();
        const batch = [testEvent(), testEvent()];
        const first = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });

        const again = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });

        expect(again).toEqual({ duplicate: true, nextExpectedRevision: first.nextExpectedRevision, position: first.position });
        expect(await store.readStream(stream)).toHaveLength(2);
        const ids = new Set(batch.map((e) => e.eventId));
        const inLog = await readAllUntil(
          marker,
          (events) => events.filter((e) => ids.has(e.eventId)),
          (found) => found.length >= 2,
        );
        expect(inLog.map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
      });

      it('re-appending a batch with expected revision any returns duplicate and writes nothing', async () => {
        const stream = freshStream();
        const batch = [testEvent(), testEvent(), testEvent()];
        const first = await store.appendToStream(stream, batch);

        const again = await store.appendToStream(stream, batch);

        expect(again).toEqual({ duplicate: true, nextExpectedRevision: first.nextExpectedRevision, position: first.position });
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('a late retry with the original expected revision, after the stream moved on, is still a duplicate', async () => {
        const stream = freshStream();
        const original = testEvent();
        const first = await store.appendToStream(stream, [original], { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, [testEvent()], { expectedRevision: 0n });

        const retry = await store.appendToStream(stream, [original], { expectedRevision: 'no_stream' });

        expect(retry).toEqual({ duplicate: true, nextExpectedRevision: 0n, position: first.position });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('a batch with only some ids already stored throws IdempotencyConflictError and writes nothing', async () => {
        const stream = freshStream();
        const stored = testEvent();
        await store.appendToStream(stream, [stored], { expectedRevision: 'no_stream' });
        const fresh = testEvent();

        const err = await rejectionOf(store.appendToStream(stream, [stored, fresh], { expectedRevision: 'no_stream' }));

        expect(err).toBeInstanceOf(IdempotencyConflictError);
        expect(err).toMatchObject({ stream, reason: 'partial_batch', storedEventIds: [stored.eventId], retryable: false });
        expect((await store.readStream(stream)).map((e) => e.eventId)).toEqual([stored.eventId]);
      });
    });

    describe('readStream', () => {
      let stream: string;
      let ids: string[];

      beforeAll(async () => {
        stream = freshStream();
        const batch = Array.from({ length: 5 }, () => testEvent());
        ids = batch.map((e) => e.eventId);
        await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
      });

      it('reads forwards from the start by default', async () => {
        const events = await store.readStream(stream);
        expect(events.map((e) => e.eventId)).toEqual(ids);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      });

      it('reads backwards from the end', async () => {
        const events = await store.readStream(stream, { direction: 'backwards' });
        expect(events.map((e) => e.revision)).toEqual([4n, 3n, 2n, 1n, 0n]);
        expect(events.map((e) => e.eventId)).toEqual([...ids].reverse());
      });

      it('reads forwards from a revision (inclusive), at most maxCount events', async () => {
        const events = await store.readStream(stream, { fromRevision: 1n, maxCount: 2 });
        expect(events.map((e) => e.revision)).toEqual([1n, 2n]);
      });

      it('reads backwards from a revision (inclusive), at most maxCount events', async () => {
        const events = await store.readStream(stream, { direction: 'backwards', fromRevision: 3n, maxCount: 2 });
        expect(events.map((e) => e.revision)).toEqual([3n, 2n]);
      });

      it('reads the last event with backwards and maxCount 1', async () => {
        const events = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
        expect(events.map((e) => e.revision)).toEqual([4n]);
      });

      it('returns no events when fromRevision is past the end of an existing stream', async () => {
        expect(await store.readStream(stream, { fromRevision: 5n })).toEqual([]);
      });

      it('throws StreamNotFoundError for a stream without events, in both directions', async () => {
        const missing = freshStream();
        const err = await rejectionOf(store.readStream(missing));
        expect(err).toBeInstanceOf(StreamNotFoundError);
        expect(err).toMatchObject({ stream: missing, retryable: false, code: 'EVENT_STORE_STREAM_NOT_FOUND' });
        await expect(store.readStream(missing, { direction: 'backwards' })).rejects.toBeInstanceOf(StreamNotFoundError);
      });
    });

    describe('readAll', () => {
      it('returns the events of every stream in append order, strictly after `after`', async () => {
        const marker = await appendMarker();
        const [a, b] = [freshStream(), freshStream()];
        const a1 = testEvent();
        const b1 = testEvent();
        const a2 = testEvent();
        const results = [await store.appendToStream(a, [a1]), await store.appendToStream(b, [b1]), await store.appendToStream(a, [a2])];

        const ours = await readAllUntil(
          marker,
          (events) => events.filter((e) => e.streamName === a || e.streamName === b),
          (found) => found.length >= 3,
        );

        expect(ours.map((e) => [e.streamName, e.eventId, e.revision])).toEqual([
          [a, a1.eventId, 0n],
          [b, b1.eventId, 0n],
          [a, a2.eventId, 1n],
        ]);
        expect(ours.map((e) => e.globalPosition)).toEqual(results.map((r) => r.position));
        const [firstAfterMarker] = await store.readAll({ after: marker, maxCount: 1 });
        expect(firstAfterMarker!.globalPosition).toBeGreaterThan(marker);
      });

      it('pages with maxCount and after without skipping or repeating an event', async () => {
        const marker = await appendMarker();
        const stream = freshStream();
        const batch = Array.from({ length: 7 }, () => testEvent());
        for (const event of batch) await store.appendToStream(stream, [event]);

        const seen = await eventually(
          async () => {
            const pages: RecordedEvent[] = [];
            let after = marker;
            for (;;) {
              const page = await store.readAll({ after, maxCount: 2 });
              expect(page.length).toBeLessThanOrEqual(2);
              if (page.length === 0) break;
              pages.push(...page);
              after = page[page.length - 1]!.globalPosition;
            }
            const ours = pages.filter((e) => e.streamName === stream);
            return ours.length >= batch.length ? { pages, ours } : undefined;
          },
          { what: 'all appended events in readAll' },
        );

        expect(seen.ours.map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
        const positions = seen.pages.map((e) => e.globalPosition);
        expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
        expect(positions[0]).toBeGreaterThan(marker);
      });

      it('returns every event of a batch, in revision order, with the last one at the append position', async () => {
        const marker = await appendMarker();
        const stream = freshStream();
        const result = await store.appendToStream(stream, [testEvent(), testEvent()]);

        const ours = await readAllUntil(
          marker,
          (events) => events.filter((e) => e.streamName === stream),
          (found) => found.length >= 2,
        );

        expect(ours.map((e) => e.revision)).toEqual([0n, 1n]);
        expect(ours[1]!.globalPosition).toBe(result.position);
      });
    });

    describe('headPosition', () => {
      it('is at or past the last append, and is the position of an event readAll returns (stream metadata moves it on no store)', async () => {
        const stream = freshStream();
        const first = await store.appendToStream(stream, [testEvent()]);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(first.position);

        const second = await store.appendToStream(stream, [testEvent(), testEvent()]);
        // EventStoreDB writes stream metadata as a system event at the end of $all: not a head.
        await store.setStreamMetadata(freshStream(), { note: 'after the append' });
        const head = await store.headPosition();
        expect(head).toBeGreaterThanOrEqual(second.position);
        expect(head).toBeGreaterThan(first.position);

        // Other writers may have appended since: the head is then one of their events, never a
        // position readAll does not deliver (a checkpoint must be able to reach it).
        const upToHead = await readAllUntil(
          first.position,
          (events) => events.filter((e) => e.globalPosition <= head),
          (found) => found.some((e) => e.globalPosition === head),
        );
        expect(upToHead.at(-1)!.globalPosition).toBe(head);
        expect(
          upToHead
            .filter((e) => e.streamName === stream)
            .map((e) => e.globalPosition)
            .at(-1),
        ).toBe(second.position);
      });
    });

    describe('readEvent', () => {
      it('finds an event by its id in any case, with its stream, revision and position', async () => {
        const stream = freshStream();
        const [first, second] = [testEvent({ type: 'ContractOpened' }), testEvent()];
        const result = await store.appendToStream(stream, [first, second]);

        const found = await store.readEvent(first.eventId.toUpperCase());

        expect(
          found && {
            streamName: found.streamName,
            eventId: found.eventId,
            type: found.type,
            data: found.data,
            metadata: found.metadata,
            revision: found.revision,
          },
        ).toEqual({
          streamName: stream,
          eventId: first.eventId,
          type: 'ContractOpened',
          data: first.data,
          metadata: first.metadata,
          revision: 0n,
        });
        expect((await store.readEvent(second.eventId))?.globalPosition).toBe(result.position);
      });

      it('returns undefined for an id no event has, and for one that is not a UUID', async () => {
        await expect(store.readEvent(randomUUID())).resolves.toBeUndefined();
        await expect(store.readEvent('not-a-uuid')).resolves.toBeUndefined();
      });

      it('returns the event only when it matches the filter', async () => {
        const stream = freshStream('contractfind');
        const event = testEvent({ type: 'ContractFound' });
        await store.appendToStream(stream, [event]);

        expect((await store.readEvent(event.eventId, { streamPrefixes: ['contractfind-'], eventTypes: ['ContractFound'] }))?.eventId).toBe(
          event.eventId,
        );
        await expect(store.readEvent(event.eventId, { streamPrefixes: ['contract-'] })).resolves.toBeUndefined();
        await expect(store.readEvent(event.eventId, { eventTypes: ['ContractOpened'] })).resolves.toBeUndefined();
      });
    });

    describe('countEvents', () => {
      it('counts the matching events in (after, upTo] and gives the last one’s position, without data', async () => {
        const prefix = `count${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
        const [s1, s2, other] = [`${prefix}a`, `${prefix}b`, freshStream('countother')];
        const r1 = await store.appendToStream(s1, [testEvent({ type: 'ContractCounted' }), testEvent({ type: 'ContractNoise' })]);
        const first = (await store.readStream(s1))[0]!.globalPosition;
        const rOther = await store.appendToStream(other, [testEvent({ type: 'ContractCounted' })]);
        const r2 = await store.appendToStream(s2, [testEvent({ type: 'ContractCounted' })]);
        const mine = { streamPrefixes: [prefix] };

        expect(await store.countEvents({ filter: mine })).toEqual({ count: 3, lastPosition: r2.position });
        expect(await store.countEvents({ upTo: r1.position, filter: mine })).toEqual({ count: 2, lastPosition: r1.position });
        expect(await store.countEvents({ after: first, upTo: r1.position, filter: mine })).toEqual({ count: 1, lastPosition: r1.position });
        expect(await store.countEvents({ after: r1.position, upTo: rOther.position, filter: mine })).toEqual({
          count: 0,
          lastPosition: undefined,
        });
        expect(await store.countEvents({ after: r1.position, filter: { ...mine, eventTypes: ['ContractCounted'] } })).toEqual({
          count: 1,
          lastPosition: r2.position,
        });
        expect(await store.countEvents({ filter: { ...mine, eventTypes: ['ContractCounted'] } })).toEqual({
          count: 2,
          lastPosition: r2.position,
        });
        // No filter: every stream's events, other writers' too.
        const all = await store.countEvents({ after: r1.position, upTo: r2.position });
        expect(all.count).toBeGreaterThanOrEqual(2);
        expect(all.lastPosition).toBe(r2.position);
      });
    });

    describe('readPositions', () => {
      it('gives where the matching events of (after, upTo] are, in global order, without data, page by page', async () => {
        const prefix = `positions${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
        const [s1, s2, other] = [`${prefix}a`, `${prefix}b`, freshStream('positionsother')];
        const [a, b, c] = [
          testEvent({ type: 'ContractPlaced' }),
          testEvent({ type: 'ContractNoise' }),
          testEvent({ type: 'ContractPlaced' }),
        ];
        const r1 = await store.appendToStream(s1, [a, b]);
        const rOther = await store.appendToStream(other, [testEvent({ type: 'ContractPlaced' })]);
        const r2 = await store.appendToStream(s2, [c]);
        const stored = await store.readStream(s1);
        const mine = { streamPrefixes: [prefix] };

        expect(await store.readPositions({ filter: mine })).toEqual([
          { streamName: s1, eventId: a.eventId, type: 'ContractPlaced', globalPosition: stored[0]!.globalPosition },
          { streamName: s1, eventId: b.eventId, type: 'ContractNoise', globalPosition: r1.position },
          { streamName: s2, eventId: c.eventId, type: 'ContractPlaced', globalPosition: r2.position },
        ]);
        const ids = async (range: Parameters<EventStore['readPositions']>[0]): Promise<string[]> =>
          (await store.readPositions(range)).map((p) => p.eventId);
        expect(await ids({ after: stored[0]!.globalPosition, filter: mine })).toEqual([b.eventId, c.eventId]);
        expect(await ids({ upTo: rOther.position, filter: mine })).toEqual([a.eventId, b.eventId]);
        expect(await ids({ filter: { ...mine, eventTypes: ['ContractPlaced'] } })).toEqual([a.eventId, c.eventId]);
        expect(await ids({ filter: mine, maxCount: 1 })).toEqual([a.eventId]);
        expect(await ids({ after: r2.position, filter: mine })).toEqual([]);
        // No filter: every stream's events, other writers' too.
        const all = await store.readPositions({ after: r1.position, upTo: r2.position });
        expect(all.map((p) => p.globalPosition)).toEqual(
          [...all.map((p) => p.globalPosition)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
        );
        expect(all.at(-1)!.eventId).toBe(c.eventId);
        expect(all.map((p) => p.streamName)).toContain(other);
      });
    });

    describe('lastMatchingEvents', () => {
      it('gives each matching stream its last event of the given types, without data', async () => {
        const prefix = `lastmatch${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
        const [s1, s2, s3, other] = [`${prefix}a`, `${prefix}b`, `${prefix}c`, freshStream('lastmatchother')];
        const [t1, d1] = [testEvent({ type: 'ContractTrigger' }), testEvent({ type: 'ContractDecided' })];
        const r1 = await store.appendToStream(s1, [t1, d1, testEvent({ type: 'ContractNoise' })]);
        const [d2, t2] = [testEvent({ type: 'ContractDecided' }), testEvent({ type: 'ContractTrigger' })];
        const r2 = await store.appendToStream(s2, [d2, t2]);
        await store.appendToStream(s3, [testEvent({ type: 'ContractNoise' })]);
        await store.appendToStream(other, [testEvent({ type: 'ContractTrigger' })]);

        const found = await store.lastMatchingEvents({ streamPrefixes: [prefix], eventTypes: ['ContractTrigger', 'ContractDecided'] });
        expect(found.sort((x, y) => x.streamName.localeCompare(y.streamName))).toEqual([
          { streamName: s1, eventId: d1.eventId, type: 'ContractDecided', globalPosition: expect.any(BigInt) },
          { streamName: s2, eventId: t2.eventId, type: 'ContractTrigger', globalPosition: r2.position },
        ]);
        expect(found[0]!.globalPosition).toBeLessThan(r1.position);
      });

      it('needs eventTypes', async () => {
        await expect(store.lastMatchingEvents({ eventTypes: [] })).rejects.toThrow(RangeError);
      });
    });

    describe('appendToStreams', () => {
      it('appends to every stream, each at its own revisions, outcomes in request order', async () => {
        const [a, b, c] = [freshStream(), freshStream(), freshStream()];
        await store.appendToStream(b, [testEvent()], { expectedRevision: 'no_stream' });
        const batches = { a: [testEvent(), testEvent()], b: [testEvent()], c: [testEvent()] };

        const outcomes = await store.appendToStreams([
          { stream: a, events: batches.a, expectedRevision: 'no_stream' },
          { stream: b, events: batches.b, expectedRevision: 0n },
          { stream: c, events: batches.c },
        ]);

        expect(outcomes.map((o) => (o.ok ? o.result.nextExpectedRevision : o.error))).toEqual([1n, 1n, 0n]);
        expect(outcomes.every((o) => o.ok && !o.result.duplicate)).toBe(true);
        expect((await store.readStream(a)).map((e) => e.eventId)).toEqual(batches.a.map((e) => e.eventId));
        expect((await store.readStream(b)).map((e) => e.revision)).toEqual([0n, 1n]);
        const positions = outcomes.map((o) => (o.ok ? o.result.position : -1n));
        const read = await Promise.all([a, b, c].map((s) => store.readStream(s, { direction: 'backwards', maxCount: 1 })));
        expect(read.map(([last]) => last!.globalPosition)).toEqual(positions);
      });

      it("one stream's conflict is that stream's outcome; the others are written", async () => {
        const [clash, fine, partial] = [freshStream(), freshStream(), freshStream()];
        await store.appendToStream(clash, [testEvent()], { expectedRevision: 'no_stream' });
        const storedInPartial = testEvent();
        await store.appendToStream(partial, [storedInPartial], { expectedRevision: 'no_stream' });
        const fresh = testEvent();

        const outcomes = await store.appendToStreams([
          { stream: clash, events: [testEvent()], expectedRevision: 'no_stream' },
          { stream: fine, events: [fresh], expectedRevision: 'no_stream' },
          { stream: partial, events: [storedInPartial, testEvent()] },
        ]);

        expect(outcomes[0]).toEqual({ ok: false, error: expect.any(ConcurrencyError) });
        expect(outcomes[1]).toMatchObject({ ok: true, result: { nextExpectedRevision: 0n, duplicate: false } });
        expect(outcomes[2]).toEqual({ ok: false, error: expect.any(IdempotencyConflictError) });
        expect(await store.readStream(clash)).toHaveLength(1);
        expect((await store.readStream(fine)).map((e) => e.eventId)).toEqual([fresh.eventId]);
        expect(await store.readStream(partial)).toHaveLength(1);
      });

      it('a retried call is a duplicate for every stream, and writes nothing', async () => {
        const [a, b] = [freshStream(), freshStream()];
        const appends = [
          { stream: a, events: [testEvent(), testEvent()], expectedRevision: 'no_stream' as const },
          { stream: b, events: [testEvent()] },
        ];
        const first = await store.appendToStreams(appends);

        const again = await store.appendToStreams(appends);

        expect(again).toEqual(first.map((o) => (o.ok ? { ok: true, result: { ...o.result, duplicate: true } } : o)));
        expect(await store.readStream(a)).toHaveLength(2);
        expect(await store.readStream(b)).toHaveLength(1);
      });

      it('refuses a stream named twice, or an invalid event, before writing anything', async () => {
        const [a, b] = [freshStream(), freshStream()];
        await expect(
          store.appendToStreams([
            { stream: a, events: [testEvent()] },
            { stream: a, events: [testEvent()] },
          ]),
        ).rejects.toBeInstanceOf(InvalidEventError);
        await expect(
          store.appendToStreams([
            { stream: b, events: [testEvent()] },
            { stream: a, events: [testEvent({ eventId: 'not-a-uuid' })] },
          ]),
        ).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.readStream(a)).rejects.toBeInstanceOf(StreamNotFoundError);
        await expect(store.readStream(b)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      it('an empty call returns no outcomes', async () => {
        await expect(store.appendToStreams([])).resolves.toEqual([]);
      });

      it("a stream whose ids are stored elsewhere is refused on its own, without undoing the call's other streams", async () => {
        const [elsewhere, before, after] = [freshStream(), freshStream(), freshStream()];
        const taken = testEvent();
        await store.appendToStream(elsewhere, [taken]);
        const [first, last] = [testEvent(), testEvent()];

        const outcomes = await store.appendToStreams([
          { stream: before, events: [first] },
          { stream: freshStream(), events: [testEvent(), taken] },
          { stream: after, events: [last] },
        ]);

        expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
        expect(outcomes[1]).toMatchObject({ ok: false, error: { reason: 'stored_in_other_stream', storedEventIds: [taken.eventId] } });
        expect((await store.readStream(before)).map((e) => e.eventId)).toEqual([first.eventId]);
        expect((await store.readStream(after)).map((e) => e.eventId)).toEqual([last.eventId]);
        expect(await store.readStream(elsewhere)).toHaveLength(1);
      });

      it('concurrent calls over the same streams in opposite orders all land: no deadlock, nothing lost, revisions gap-free', async () => {
        const streams = Array.from({ length: 8 }, () => freshStream());
        const calls = Array.from({ length: 6 }, (_, call) => {
          const order = call % 2 === 0 ? streams : [...streams].reverse();
          return order.map((stream) => ({ stream, events: [testEvent({ data: { call } })] }));
        });

        const outcomes = await Promise.all(calls.map((appends) => store.appendToStreams(appends)));

        expect(outcomes.flat().every((o) => o.ok && !o.result.duplicate)).toBe(true);
        for (const stream of streams) {
          const events = await store.readStream(stream);
          expect(events.map((e) => e.revision)).toEqual(Array.from({ length: calls.length }, (_, i) => BigInt(i)));
          expect(new Set(events.map((e) => e.eventId))).toEqual(
            new Set(calls.map((appends) => appends.find((a) => a.stream === stream)!.events[0]!.eventId)),
          );
        }
      });

      it('a subscriber sees every event of concurrent calls exactly once, in global order', async () => {
        const prefix = `${freshStream('contractmany')}-`;
        const streams = Array.from({ length: 6 }, (_, i) => `${prefix}${i}`);
        const { subscription, received, errors } = subscribe({ filter: { streamPrefixes: [prefix] }, batchSize: 7 });
        await subscription.caughtUp;
        const calls = Array.from({ length: 8 }, (_, call) =>
          streams.filter((_, i) => (i + call) % 3 !== 0).map((stream) => ({ stream, events: [testEvent(), testEvent()] })),
        );
        const appended = calls.flatMap((appends) => appends.flatMap((a) => a.events.map((e) => e.eventId)));

        await Promise.all(calls.map((appends) => store.appendToStreams(appends)));
        await eventually(async () => (received.length >= appended.length ? true : undefined), { what: 'every event at the subscriber' });

        expect(received.map((e) => e.eventId).sort()).toEqual([...appended].sort());
        const positions = received.map((e) => e.globalPosition);
        expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(new Set(positions).size).toBe(positions.length);
        expect(errors).toEqual([]);
      });
    });

    describe('readLastEvents', () => {
      it("returns each stream's last event; streams without events are absent", async () => {
        const [one, three, none] = [freshStream(), freshStream(), freshStream()];
        await store.appendToStream(one, [testEvent()]);
        const batch = [testEvent(), testEvent(), testEvent()];
        await store.appendToStream(three, batch);

        const last = await store.readLastEvents([one, three, none, three]);

        expect([...last.keys()].sort()).toEqual([one, three].sort());
        expect(last.get(three)).toMatchObject({ eventId: batch[2]!.eventId, revision: 2n, streamName: three, data: batch[2]!.data });
        expect(last.get(one)!.revision).toBe(0n);
        await expect(store.readLastEvents([])).resolves.toEqual(new Map());
      });
    });

    describe('concurrency', () => {
      it('20 concurrent appenders with expected revision and retry on ConcurrencyError lose no event', async () => {
        const stream = freshStream();
        const writers = Array.from({ length: 20 }, (_, i) => testEvent({ type: 'ContractConcurrent', data: { writer: i } }));
        let conflicts = 0;

        const appendWithRetry = async (event: NewEvent): Promise<void> => {
          for (let attempt = 1; attempt <= 500; attempt++) {
            let expected: ExpectedRevision;
            try {
              const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
              expected = last ? last.revision : 'no_stream';
            } catch (err) {
              if (!(err instanceof StreamNotFoundError)) throw err;
              expected = 'no_stream';
            }
            try {
              await store.appendToStream(stream, [event], { expectedRevision: expected });
              return;
            } catch (err) {
              if (!(err instanceof ConcurrencyError)) throw err;
              conflicts++;
            }
          }
          throw new Error(`writer ${JSON.stringify(event.data)} gave up`);
        };

        await Promise.all(writers.map(appendWithRetry));

        const events = await store.readStream(stream);
        expect(events).toHaveLength(20);
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
        expect(new Set(events.map((e) => e.eventId))).toEqual(new Set(writers.map((e) => e.eventId)));
        // Not asserted (scheduling decides), but a run without a single conflict tested little.
        if (conflicts === 0) process.stdout.write(`[event-store contract ${name}] 20 concurrent appenders met no conflict\n`);
      });
    });

    describe('invalid events', () => {
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic['self'] = cyclic;
      const cases: Array<[string, () => NewEvent[]]> = [
        ['a non-UUID event id', () => [testEvent({ eventId: 'not-a-uuid' })]],
        ['an empty type', () => [testEvent({ type: '' })]],
        ['a bigint in data', () => [testEvent({ data: { amount: 10n } })]],
        ['a cycle in data', () => [testEvent({ data: cyclic })]],
        ['NaN in data', () => [testEvent({ data: { ratio: Number.NaN } })]],
        ['a Date in data', () => [testEvent({ data: { at: new Date() } })]],
        ['a NUL character in data', () => [testEvent({ data: { text: 'a\u0000b' } })]],
        ['data that is not a JSON object or array', () => [testEvent({ data: 'just a string' })]],
        ['undefined data', () => [testEvent({ data: undefined })]],
        ['a function in metadata', () => [testEvent({ metadata: { callback: () => undefined } })]],
        [
          'the same event id twice in one batch',
          () => {
            const event = testEvent();
            return [event, { ...event }];
          },
        ],
        ['an empty batch', () => []],
        ['a valid event followed by an invalid one', () => [testEvent(), testEvent({ eventId: '1234' })]],
      ];

      it.each(cases)('refuses %s with InvalidEventError and writes nothing', async (_, events) => {
        const stream = freshStream();
        const err = await rejectionOf(store.appendToStream(stream, events(), { expectedRevision: 'no_stream' }));

        expect(err).toBeInstanceOf(InvalidEventError);
        expect(err).toMatchObject({ retryable: false, code: 'EVENT_STORE_INVALID_EVENT' });
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      it('refuses an invalid expected revision with InvalidEventError', async () => {
        const stream = freshStream();
        await expect(store.appendToStream(stream, [testEvent()], { expectedRevision: -1n })).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
      });
    });

    describe('subscribeToAll', () => {
      it('delivers history, then live events, in global order, in batches of at most batchSize, and resolves caughtUp in between', async () => {
        const marker = await appendMarker();
        const [a, b] = [freshStream(), freshStream()];
        const appended: Array<{ stream: string; event: NewEvent; position: bigint }> = [];
        const append = async (stream: string): Promise<void> => {
          const event = testEvent();
          appended.push({ stream, event, position: (await store.appendToStream(stream, [event])).position });
        };
        for (const stream of [a, b, a, b, a]) await append(stream);

        const sub = subscribe({ from: marker, batchSize: 2 });
        await within(sub.subscription.caughtUp, 'caughtUp');

        expect(sub.subscription.isCaughtUp).toBe(true);
        expect(sub.ours([a, b]).map((e) => e.eventId)).toEqual(appended.map((x) => x.event.eventId));
        for (const stream of [b, a, a]) await append(stream);
        const all = await eventually(async () => (sub.ours([a, b]).length >= 8 ? sub.ours([a, b]) : undefined), { what: 'live events' });

        expect(all.map((e) => [e.streamName, e.eventId, e.globalPosition])).toEqual(
          appended.map((x) => [x.stream, x.event.eventId, x.position]),
        );
        const positions = sub.received.map((e) => e.globalPosition);
        expect(positions.every((p, i) => (i === 0 ? p > marker : p > positions[i - 1]!))).toBe(true);
        expect(Math.max(...sub.batchSizes)).toBeLessThanOrEqual(2);
        await eventually(async () => (sub.subscription.position >= appended[7]!.position ? true : undefined), { what: 'position' });
        expect(sub.errors).toEqual([]);
      });

      it('filters by stream prefix and by exact event type; with both, an event must match both', async () => {
        const marker = await appendMarker();
        const base = freshId('subf');
        // `_` and `%` are literal in a prefix: `${base}_` must not match `${base}X…`.
        const [pa, pb, pc] = [`${base}_a-`, `${base}%b-`, `${base}Xc-`];
        const [typeX, typeY] = [`ContractSubX${base}`, `ContractSubY${base}`];
        const written: Array<[string, string]> = [
          [`${pa}1`, typeX],
          [`${pb}1`, typeY],
          [`${pc}1`, typeX],
          [`${pa}1`, typeY],
          [`${pb}2`, typeX],
          [`${pc}1`, typeY],
        ];
        for (const [stream, type] of written) await store.appendToStream(stream, [testEvent({ type })]);
        const expectMatching = async (options: Pick<SubscribeToAllOptions, 'filter'>, expected: Array<[string, string]>): Promise<void> => {
          const sub = subscribe({ from: marker, ...options });
          await within(sub.subscription.caughtUp, 'caughtUp');
          expect(sub.received.map((e) => [e.streamName, e.type])).toEqual(expected);
        };

        await expectMatching({ filter: { streamPrefixes: [pa, pb], eventTypes: [typeX] } }, [
          [`${pa}1`, typeX],
          [`${pb}2`, typeX],
        ]);
        await expectMatching({ filter: { streamPrefixes: [`${base}_`] } }, [
          [`${pa}1`, typeX],
          [`${pa}1`, typeY],
        ]);
        await expectMatching({ filter: { streamPrefixes: [`${base}%`] } }, [
          [`${pb}1`, typeY],
          [`${pb}2`, typeX],
        ]);
        await expectMatching({ filter: { eventTypes: [typeY] } }, [
          [`${pb}1`, typeY],
          [`${pa}1`, typeY],
          [`${pc}1`, typeY],
        ]);
      });

      it('resumes from a checkpoint (exclusive) without redelivering earlier events', async () => {
        const marker = await appendMarker();
        const prefix = `${freshId('subr')}-`;
        const before = [testEvent(), testEvent(), testEvent()];
        for (const event of before) await store.appendToStream(`${prefix}1`, [event]);

        const first = subscribe({ from: marker, filter: { streamPrefixes: [prefix] } });
        await within(first.subscription.caughtUp, 'caughtUp');
        await first.subscription.stop();
        const checkpoint = first.subscription.position;
        expect(checkpoint).toBe(first.received[2]!.globalPosition);
        const after = [testEvent(), testEvent()];
        await store.appendToStream(`${prefix}2`, [after[0]!]);
        await store.appendToStream(`${prefix}1`, [after[1]!]);

        const resumed = subscribe({ from: checkpoint, filter: { streamPrefixes: [prefix] } });
        await within(resumed.subscription.caughtUp, 'caughtUp');

        expect(first.received.map((e) => e.eventId)).toEqual(before.map((e) => e.eventId));
        expect(resumed.received.map((e) => e.eventId)).toEqual(after.map((e) => e.eventId));
      });

      it('stop() stops: no batch once it resolved, and caughtUp of a subscription stopped before catching up rejects', async () => {
        const marker = await appendMarker();
        const prefix = `${freshId('subs')}-`;
        await store.appendToStream(`${prefix}1`, [testEvent()]);
        const stopped = subscribe({ from: marker, filter: { streamPrefixes: [prefix] } });
        await within(stopped.subscription.caughtUp, 'caughtUp');

        await stopped.subscription.stop();
        await stopped.subscription.stop(); // idempotent
        const late = testEvent();
        await store.appendToStream(`${prefix}1`, [late]);
        // A subscription started now sees the late event: it was deliverable.
        const witness = subscribe({ from: marker, filter: { streamPrefixes: [prefix] } });
        await eventually(async () => (witness.received.some((e) => e.eventId === late.eventId) ? true : undefined), {
          what: 'the late event',
        });
        await sleep(300);

        expect(stopped.received).toHaveLength(1);
        const neverCaughtUp = store.subscribeToAll({ from: marker, onEvents: async () => undefined });
        await neverCaughtUp.stop();
        await expect(neverCaughtUp.caughtUp).rejects.toBeInstanceOf(SubscriptionStoppedError);
      });

      it('retries a batch whose handler failed (same events, reported to onError), then goes on in order', async () => {
        const marker = await appendMarker();
        const prefix = `${freshId('subh')}-`;
        const events = [testEvent(), testEvent(), testEvent()];
        await store.appendToStream(`${prefix}1`, events);
        let failuresLeft = 2;
        const calls: string[][] = [];
        const errors: unknown[] = [];
        const subscription = track(
          store.subscribeToAll({
            from: marker,
            filter: { streamPrefixes: [prefix] },
            batchSize: 2,
            onEvents: async (batch) => {
              calls.push(batch.map((e) => e.eventId));
              if (failuresLeft-- > 0) throw new Error('read model down');
            },
            onError: (error) => errors.push(error),
          }),
        );
        await within(subscription.caughtUp, 'caughtUp');

        // The failed batch comes back as it was; after it succeeds, the rest follows once, in order.
        expect(calls[1]).toEqual(calls[0]);
        expect(calls[2]).toEqual(calls[0]);
        expect(calls.slice(2).flat()).toEqual(events.map((e) => e.eventId));
        expect(errors).toHaveLength(2);
        expect(errors[0]).toBeInstanceOf(SubscriptionHandlerError);
        expect(errors[1]).toMatchObject({ attempt: 2, retryable: true, code: 'EVENT_STORE_SUBSCRIPTION_HANDLER_FAILED' });
      });

      it('runCheckpointedSubscription saves the last position of each batch and a restart resumes after it', async () => {
        const marker = await appendMarker();
        const prefix = `${freshId('subc')}-`;
        const saved = new Map<string, bigint>();
        const checkpoints: CheckpointStore = {
          load: async (id) => saved.get(id),
          save: async (id, position) => void saved.set(id, position),
        };
        const subscriptionId = freshId('projection');
        const first = [testEvent(), testEvent(), testEvent()];
        await store.appendToStream(`${prefix}1`, first);
        const seen: string[] = [];
        const start = async (): Promise<Subscription> =>
          track(
            await runCheckpointedSubscription(store, checkpoints, subscriptionId, {
              fromWhenNoCheckpoint: marker,
              filter: { streamPrefixes: [prefix] },
              batchSize: 2,
              onEvents: async (batch) => void seen.push(...batch.map((e) => e.eventId)),
            }),
          );

        const one = await start();
        await within(one.caughtUp, 'caughtUp');
        await one.stop();
        const lastOfFirst = (await store.readStream(`${prefix}1`)).at(-1)!.globalPosition;
        expect(saved.get(subscriptionId)).toBe(lastOfFirst);
        const second = testEvent();
        await store.appendToStream(`${prefix}1`, [second]);
        const two = await start();
        await within(two.caughtUp, 'caughtUp');

        expect(seen).toEqual([...first, second].map((e) => e.eventId));
        expect(saved.get(subscriptionId)).toBe(two.position);
      });

      it('refuses invalid options at once', () => {
        const onEvents = async (): Promise<void> => undefined;
        expect(() => store.subscribeToAll({ onEvents, batchSize: 0 })).toThrow(RangeError);
        expect(() => store.subscribeToAll({ onEvents, from: -1n })).toThrow(RangeError);
        expect(() => store.subscribeToAll({ onEvents, filter: { streamPrefixes: [] } })).toThrow(RangeError);
        expect(() => store.subscribeToAll({ onEvents, filter: { eventTypes: [''] } })).toThrow(RangeError);
      });
    });

    describe('stream metadata', () => {
      it('round-trips a custom metadata object, and a second set replaces it', async () => {
        const stream = freshStream();
        expect(await store.getStreamMetadata(stream)).toBeUndefined();
        const metadata = { owner: 'team-a', retentionDays: 30, tags: ['vip', 'é ✓'], nested: { on: true, nothing: null } };

        await store.setStreamMetadata(stream, metadata);
        expect(await store.getStreamMetadata(stream)).toEqual(metadata);
        await store.setStreamMetadata(stream, { owner: 'team-b' });
        expect(await store.getStreamMetadata(stream)).toEqual({ owner: 'team-b' });
      });

      it('writes no event: a stream with only metadata has no events and accepts a no_stream append', async () => {
        const stream = freshStream();
        await store.setStreamMetadata(stream, { note: 'before any event' });

        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
        await expect(store.appendToStream(stream, [testEvent()], { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        expect((await store.appendToStream(stream, [testEvent()], { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(0n);
        expect(await store.getStreamMetadata(stream)).toEqual({ note: 'before any event' });
      });

      it('leaves the events of a stream alone', async () => {
        const stream = freshStream();
        const event = testEvent();
        await store.appendToStream(stream, [event]);

        await store.setStreamMetadata(stream, { archived: true });

        expect((await store.readStream(stream)).map((e) => e.eventId)).toEqual([event.eventId]);
        expect((await store.appendToStream(stream, [testEvent()], { expectedRevision: 0n })).nextExpectedRevision).toBe(1n);
        expect(await store.getStreamMetadata(stream)).toEqual({ archived: true });
      });

      it.each<[string, unknown]>([
        ['an array', [1, 2]],
        ['a $-prefixed key', { $maxAge: 10 }],
        ['a system key (maxCount)', { maxCount: 10 }],
        ['a Date value', { at: new Date() }],
      ])('refuses %s with InvalidEventError', async (_, metadata) => {
        const stream = freshStream();
        await expect(store.setStreamMetadata(stream, metadata as Record<string, unknown>)).rejects.toBeInstanceOf(InvalidEventError);
        expect(await store.getStreamMetadata(stream)).toBeUndefined();
      });
    });

    function track(subscription: Subscription): Subscription {
      running.push(subscription);
      return subscription;
    }

    /** A subscription that records what it receives (and its errors); stopped after the test. */
    function subscribe(options: Omit<SubscribeToAllOptions, 'onEvents'>): {
      subscription: Subscription;
      received: RecordedEvent[];
      batchSizes: number[];
      errors: unknown[];
      ours: (streams: string[]) => RecordedEvent[];
    } {
      const received: RecordedEvent[] = [];
      const batchSizes: number[] = [];
      const errors: unknown[] = [];
      const subscription = track(
        store.subscribeToAll({
          ...options,
          onEvents: async (events) => {
            batchSizes.push(events.length);
            received.push(...events);
          },
          onError: (error) => errors.push(error),
        }),
      );
      return { subscription, received, batchSizes, errors, ours: (streams) => received.filter((e) => streams.includes(e.streamName)) };
    }

    /** A fresh event in a fresh stream: its position is a lower bound for what a test appends next. */
    async function appendMarker(): Promise<bigint> {
      const result = await store.appendToStream(freshStream('contractmarker'), [testEvent({ type: 'ContractMarker' })]);
      return result.position;
    }

    /**
     * Reads the whole log after `after` (paging), picks with `pick`, until `done` holds. readAll may
     * hold back events while other transactions are open, hence the retry.
     */
    async function readAllUntil(
      after: bigint,
      pick: (events: RecordedEvent[]) => RecordedEvent[],
      done: (picked: RecordedEvent[]) => boolean,
    ): Promise<RecordedEvent[]> {
      return eventually(
        async () => {
          const all: RecordedEvent[] = [];
          let cursor = after;
          for (;;) {
            const page = await store.readAll({ after: cursor, maxCount: 500 });
            if (page.length === 0) break;
            all.push(...page);
            cursor = page[page.length - 1]!.globalPosition;
          }
          const picked = pick(all);
          return done(picked) ? picked : undefined;
        },
        { what: 'events in readAll' },
      );
    }
  });
}

function freshStream(category = 'contract'): string {
  return `${category}-${freshId('s')}`;
}

function testEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'ContractTested',
    data: { value: randomUUID() },
    metadata: { correlationId: randomUUID() },
    ...overrides,
  };
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to be rejected, but it resolved');
}
