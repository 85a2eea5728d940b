import { randomUUID } from 'node:crypto';
import { Pool, escapeIdentifier, type PoolClient } from 'pg';
import { eventStoreContract } from './testing';
import { eventually, freshId, testInfra } from '@hub/testing';
import {
  ConcurrencyError,
  EventStoreUnavailableError,
  IdempotencyConflictError,
  StreamNotFoundError,
  type NewEvent,
  type RecordedEvent,
} from './event-store.port';
import { PostgresEventStore, postgresEventStoreExists, postgresStreamsExist } from './postgres.event-store';

const databaseUrl = testInfra().databaseUrl;

eventStoreContract('PostgreSQL', () => PostgresEventStore.create({ connectionString: databaseUrl }));

describe('PostgresEventStore', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  /** Schemas created by these tests, dropped at the end. */
  const schemas: string[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl, max: 20 });
    pool.on('error', () => undefined);
    store = await PostgresEventStore.create({ pool });
  });

  afterAll(async () => {
    await store?.close();
    for (const schema of schemas) await pool.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`);
    await pool?.end();
  });

  async function isolatedStore(): Promise<{ schema: string; store: PostgresEventStore }> {
    const schema = freshId('es_');
    schemas.push(schema);
    return { schema, store: await PostgresEventStore.create({ pool, schema }) };
  }

  /** Runs `work` in a transaction on its own connection, left open until `work` resolves. */
  async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback');
      throw err;
    } finally {
      client.release();
    }
  }

  describe('readAll while an earlier transaction is still open (the gap)', () => {
    it('holds back an event committed later until the earlier transaction commits, then returns both in order', async () => {
      const marker = (await store.appendToStream(freshStream(), [testEvent()])).position;
      const [streamA, streamB] = [freshStream(), freshStream()];
      const eventA = testEvent();
      const eventB = testEvent();

      const clientA = await pool.connect();
      let positionA: bigint;
      try {
        await clientA.query('begin');
        positionA = (await store.appendInTransaction(clientA, streamA, [eventA])).position;

        const resultB = await store.appendToStream(streamB, [eventB]);
        expect(resultB.position).toBeGreaterThan(positionA);
        // B is committed: its own stream shows it …
        expect((await store.readStream(streamB)).map((e) => e.eventId)).toEqual([eventB.eventId]);
        // … but the log must not show it while A, which holds an earlier position, may still commit.
        const whileOpen = await readAllFrom(store, marker);
        expect(whileOpen.map((e) => e.eventId)).not.toContain(eventB.eventId);
        expect(whileOpen.map((e) => e.eventId)).not.toContain(eventA.eventId);
        expect(whileOpen.every((e) => e.globalPosition < positionA)).toBe(true);

        await clientA.query('commit');
      } catch (err) {
        await clientA.query('rollback');
        throw err;
      } finally {
        clientA.release();
      }

      const both = await eventually(
        async () => {
          const ours = (await readAllFrom(store, marker)).filter((e) => e.streamName === streamA || e.streamName === streamB);
          return ours.length === 2 ? ours : undefined;
        },
        { what: 'A and B in readAll' },
      );
      expect(both.map((e) => e.eventId)).toEqual([eventA.eventId, eventB.eventId]);
      expect(both[0]!.globalPosition).toBe(positionA);
    });

    it('a reader that checkpoints by global position sees every event once, with writers committing out of order', async () => {
      const { store: isolated } = await isolatedStore();
      const writers = 8;
      const appendsPerWriter = 12;
      const appended: string[] = [];
      let writing = true;

      const seen: RecordedEvent[] = [];
      let drainDeadline = Number.POSITIVE_INFINITY;
      const reader = (async () => {
        let checkpoint = 0n;
        for (;;) {
          const page = await isolated.readAll({ after: checkpoint, maxCount: 25 });
          for (const event of page) {
            expect(event.globalPosition).toBeGreaterThan(checkpoint);
            seen.push(event);
            checkpoint = event.globalPosition;
          }
          // Once the writers are done, read until caught up; a skipped event never shows up, so stop
          // after a while and let the assertions below say what is missing.
          if (!writing && page.length === 0 && (seen.length >= appended.length || Date.now() > drainDeadline)) return;
          await sleep(page.length === 0 ? 3 : 0);
        }
      })();

      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const stream = freshStream();
          for (let i = 0; i < appendsPerWriter; i++) {
            const event = testEvent({ data: { w, i } });
            await inTransaction(async (client) => {
              await isolated.appendInTransaction(client, stream, [event]);
              // Stay open a random while: transactions commit in another order than they got positions.
              await sleep(Math.floor(Math.random() * 15));
            });
            appended.push(event.eventId);
          }
        }),
      );
      drainDeadline = Date.now() + 10_000;
      writing = false;
      await reader;

      expect(seen.map((e) => e.eventId).sort()).toEqual([...appended].sort());
      expect(new Set(seen.map((e) => e.eventId)).size).toBe(writers * appendsPerWriter);
    });
  });

  describe('first append of two writers to the same new stream with no_stream', () => {
    it('exactly one wins when they race, the other gets ConcurrencyError', async () => {
      for (let round = 0; round < 10; round++) {
        const stream = freshStream();
        const outcomes = await Promise.allSettled([
          store.appendToStream(stream, [testEvent()], { expectedRevision: 'no_stream' }),
          store.appendToStream(stream, [testEvent()], { expectedRevision: 'no_stream' }),
        ]);

        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const [lost] = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(lost!.reason).toBeInstanceOf(ConcurrencyError);
        expect(lost!.reason).toMatchObject({ expected: 'no_stream', actual: 0n });
        expect(await store.readStream(stream)).toHaveLength(1);
      }
    });

    it('the writer that waited for the first one to commit gets ConcurrencyError with its revision', async () => {
      const stream = freshStream();
      const first = testEvent();
      const clientA = await pool.connect();
      try {
        await clientA.query('begin');
        await store.appendInTransaction(clientA, stream, [first], { expectedRevision: 'no_stream' });

        const second = settled(store.appendToStream(stream, [testEvent()], { expectedRevision: 'no_stream' }));
        await sleep(200);
        expect(second.done).toBe(false); // queued behind A on the stream row

        await clientA.query('commit');
        const err = await second.promise.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ expected: 'no_stream', actual: 0n });
      } finally {
        clientA.release();
      }
      expect((await store.readStream(stream)).map((e) => e.eventId)).toEqual([first.eventId]);
    });
  });

  describe('event id uniqueness (raw rows)', () => {
    async function rowsWithEventId(eventId: string): Promise<Array<{ stream_name: string }>> {
      return (await pool.query<{ stream_name: string }>('select stream_name from hub_events where event_id = $1', [eventId])).rows;
    }

    it('stores an event id once across streams: appending it to another stream throws IdempotencyConflictError', async () => {
      const [s1, s2] = [freshStream(), freshStream()];
      const event = testEvent();
      await store.appendToStream(s1, [event]);

      const err = await store.appendToStream(s2, [testEvent({ eventId: event.eventId })]).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(IdempotencyConflictError);
      expect(err).toMatchObject({ reason: 'stored_in_other_stream', storedEventIds: [event.eventId] });
      expect(await rowsWithEventId(event.eventId)).toEqual([{ stream_name: s1 }]);
      await expect(store.readStream(s2)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('a concurrent writer of the same id to another stream ends in IdempotencyConflictError, not a unique-violation crash', async () => {
      const [s1, s2] = [freshStream(), freshStream()];
      const event = testEvent();
      const clientA = await pool.connect();
      try {
        await clientA.query('begin');
        await store.appendInTransaction(clientA, s1, [event]);

        const second = settled(store.appendToStream(s2, [testEvent({ eventId: event.eventId }), testEvent()]));
        await sleep(200);
        expect(second.done).toBe(false); // waiting on the event_id unique index

        await clientA.query('commit');
        const err = await second.promise.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(IdempotencyConflictError);
        expect(err).toMatchObject({ reason: 'stored_in_other_stream' });
      } finally {
        clientA.release();
      }
      expect(await rowsWithEventId(event.eventId)).toEqual([{ stream_name: s1 }]);
      await expect(store.readStream(s2)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('a concurrent writer of the same batch to the same stream ends as duplicate', async () => {
      const stream = freshStream();
      const batch = [testEvent(), testEvent()];
      const clientA = await pool.connect();
      try {
        await clientA.query('begin');
        const first = await store.appendInTransaction(clientA, stream, batch, { expectedRevision: 'no_stream' });

        const second = settled(store.appendToStream(stream, batch, { expectedRevision: 'no_stream' }));
        await sleep(200);
        expect(second.done).toBe(false);

        await clientA.query('commit');
        expect(await second.promise).toEqual({ duplicate: true, nextExpectedRevision: 1n, position: first.position });
      } finally {
        clientA.release();
      }
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('two batches sharing ids in opposite order, racing into two streams: one is written, the other refused cleanly', async () => {
      for (let round = 0; round < 10; round++) {
        const [x, y] = [testEvent(), testEvent()];
        const [s1, s2] = [freshStream(), freshStream()];

        const outcomes = await Promise.allSettled([store.appendToStream(s1, [x, y]), store.appendToStream(s2, [{ ...y }, { ...x }])]);

        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const [refused] = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(refused!.reason).toBeInstanceOf(IdempotencyConflictError);
        expect(await rowsWithEventId(x.eventId)).toHaveLength(1);
        expect(await rowsWithEventId(y.eventId)).toHaveLength(1);
      }
    });

    it('many racing writers of the same batch: one writes it, every other one gets duplicate', async () => {
      const stream = freshStream();
      const batch = [testEvent(), testEvent(), testEvent()];

      const results = await Promise.all(Array.from({ length: 8 }, () => store.appendToStream(stream, batch)));

      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => `${r.nextExpectedRevision}/${r.position}`)).size).toBe(1);
      for (const event of batch) expect(await rowsWithEventId(event.eventId)).toHaveLength(1);
    });
  });

  describe('appendInTransaction', () => {
    it("commits the events together with the caller's own writes, and rolls back with them", async () => {
      const { schema, store: isolated } = await isolatedStore();
      const outbox = `${escapeIdentifier(schema)}.outbox`;
      await pool.query(`create table ${outbox} (event_id uuid primary key)`);
      const [kept, dropped] = [freshStream(), freshStream()];
      const keptEvent = testEvent();
      const droppedEvent = testEvent();

      await inTransaction(async (client) => {
        await isolated.appendInTransaction(client, kept, [keptEvent]);
        await client.query(`insert into ${outbox} values ($1)`, [keptEvent.eventId]);
      });
      await inTransaction(async (client) => {
        await isolated.appendInTransaction(client, dropped, [droppedEvent]);
        await client.query(`insert into ${outbox} values ($1)`, [droppedEvent.eventId]);
        throw new Error('business rule failed');
      }).catch(() => undefined);

      expect((await isolated.readStream(kept)).map((e) => e.eventId)).toEqual([keptEvent.eventId]);
      await expect(isolated.readStream(dropped)).rejects.toBeInstanceOf(StreamNotFoundError);
      expect((await pool.query<{ event_id: string }>(`select event_id from ${outbox}`)).rows).toEqual([{ event_id: keptEvent.eventId }]);
    });

    it('refuses to append in a transaction that has already written (positions would not follow commit order)', async () => {
      const { schema, store: isolated } = await isolatedStore();
      const outbox = `${escapeIdentifier(schema)}.outbox`;
      await pool.query(`create table ${outbox} (event_id uuid primary key)`);
      const stream = freshStream();

      const err = await inTransaction(async (client) => {
        await client.query(`insert into ${outbox} values ($1)`, [randomUUID()]);
        return isolated.appendInTransaction(client, stream, [testEvent()]);
      }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/first write of its transaction/);
      await expect(isolated.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    });
  });

  describe('lastMatchingEvents', () => {
    // Found by `npm run faults` (F7): the last event was chosen by the text of its position, so at
    // 1,566 against 982 the decision at 982 looked later and the start-up reconciliation skipped the
    // customer whose trigger at 1,566 had lost its decide job.
    it('orders by the global position as a number, across a change in its number of digits', async () => {
      const { store: isolated } = await isolatedStore();
      const stream = freshStream();
      // Positions 1–9 decisions, 10 the trigger: as text, '9' sorts after '10'.
      await isolated.appendToStream(
        stream,
        Array.from({ length: 9 }, () => testEvent({ type: 'Decided' })),
      );
      const trigger = testEvent({ type: 'Trigger' });
      const r = await isolated.appendToStream(stream, [trigger]);
      expect(r.position).toBe(10n);

      const found = await isolated.lastMatchingEvents({ eventTypes: ['Trigger', 'Decided'] });
      expect(found).toEqual([{ streamName: stream, eventId: trigger.eventId, type: 'Trigger', globalPosition: 10n }]);
    });
  });

  describe('schema', () => {
    it('create() is idempotent and safe when several processes run it at once', async () => {
      const schema = freshId('es_');
      schemas.push(schema);
      const pools = Array.from({ length: 4 }, () => new Pool({ connectionString: databaseUrl, max: 1 }));
      try {
        const stores = await Promise.all(
          pools.flatMap((p) => [PostgresEventStore.create({ pool: p, schema }), PostgresEventStore.create({ pool: p, schema })]),
        );
        const stream = freshStream();
        await stores[0]!.appendToStream(stream, [testEvent()]);
        expect(await stores[7]!.readStream(stream)).toHaveLength(1);
        await PostgresEventStore.create({ pool, schema });
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
    });

    it('tells whether a database holds a store (creating nothing) and whether it has streams with a prefix', async () => {
      const schema = freshId('es_');
      schemas.push(schema);
      expect(await postgresEventStoreExists(pool, { schema })).toBe(false);
      const isolated = await PostgresEventStore.create({ pool, schema });
      expect(await postgresEventStoreExists(pool, { schema })).toBe(true);
      expect(await postgresEventStoreExists(pool, { schema, tablePrefix: 'other_' })).toBe(false);
      const prefix = `${freshStream()}.`;
      expect(await postgresStreamsExist(pool, prefix, { schema })).toBe(false);
      await isolated.appendToStream(`${prefix}a`, [testEvent()]);
      expect(await postgresStreamsExist(pool, prefix, { schema })).toBe(true);
      expect(await postgresStreamsExist(pool, `${prefix}b`, { schema })).toBe(false);
    });

    it('keeps stores with different schemas and table prefixes apart', async () => {
      const { schema, store: isolated } = await isolatedStore();
      const prefixed = await PostgresEventStore.create({ pool, schema, tablePrefix: 'other_' });
      const stream = freshStream();
      await isolated.appendToStream(stream, [testEvent()]);

      await expect(prefixed.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
      expect(await prefixed.readAll()).toEqual([]);
      // readAll waits for transactions open anywhere in the cluster (other test files): poll.
      const all = await eventually(async () => {
        const events = await isolated.readAll();
        return events.length > 0 ? events : undefined;
      });
      expect(all.map((e) => e.streamName)).toEqual([stream]);
      const tables = await pool.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(['hub_events', 'hub_streams', 'other_hub_events', 'other_hub_streams']);
    });

    it('keeps the log append-only: UPDATE and DELETE of stored events are refused', async () => {
      const stream = freshStream();
      const event = testEvent();
      await store.appendToStream(stream, [event]);

      await expect(pool.query(`update hub_events set event_type = 'Rewritten' where event_id = $1`, [event.eventId])).rejects.toThrow(
        /append-only/,
      );
      await expect(pool.query('delete from hub_events where event_id = $1', [event.eventId])).rejects.toThrow(/append-only/);
      expect((await store.readStream(stream))[0]!.type).toBe(event.type);
    });

    it('returns positions and revisions as bigint and nothing after the end of the log', async () => {
      const result = await store.appendToStream(freshStream(), [testEvent()]);
      expect(typeof result.position).toBe('bigint');
      expect(typeof result.nextExpectedRevision).toBe('bigint');
      expect(await store.readAll({ after: result.position + 1_000_000_000n })).toEqual([]);
    });
  });

  describe('when PostgreSQL cannot be reached', () => {
    const unreachable = 'postgres://postgres@127.0.0.1:1/hub_test';

    it('throws EventStoreUnavailableError from create, appends and reads', async () => {
      await expect(PostgresEventStore.create({ connectionString: unreachable })).rejects.toBeInstanceOf(EventStoreUnavailableError);
      const down = new PostgresEventStore(unreachable);
      try {
        const err = await down.appendToStream(freshStream(), [testEvent()]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EventStoreUnavailableError);
        expect(err).toMatchObject({ retryable: true, code: 'EVENT_STORE_UNAVAILABLE' });
        await expect(down.readStream(freshStream())).rejects.toBeInstanceOf(EventStoreUnavailableError);
        await expect(down.readAll()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      } finally {
        await down.close();
      }
    });

    it('throws EventStoreUnavailableError when the server terminates the connection mid-transaction', async () => {
      const client = await pool.connect();
      client.on('error', () => undefined);
      try {
        const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
        await client.query('begin');
        await pool.query('select pg_terminate_backend($1)', [pid]);

        const err = await store.appendInTransaction(client, freshStream(), [testEvent()]).catch((e: unknown) => e);

        expect(err).toBeInstanceOf(EventStoreUnavailableError);
      } finally {
        client.release(true);
      }
    });
  });
});

async function readAllFrom(store: PostgresEventStore, after: bigint): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await store.readAll({ after: cursor, maxCount: 500 });
    if (page.length === 0) return all;
    all.push(...page);
    cursor = page[page.length - 1]!.globalPosition;
  }
}

function settled<T>(promise: Promise<T>): { promise: Promise<T>; readonly done: boolean } {
  const state = { promise, done: false };
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

function freshStream(): string {
  return `pgtest-${freshId('s')}`;
}

function testEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return { eventId: randomUUID(), type: 'PostgresTested', data: { value: randomUUID() }, metadata: {}, ...overrides };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
