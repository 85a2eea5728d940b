import { randomUUID } from 'node:crypto';
import { Pool, escapeIdentifier } from 'pg';
import { eventually, freshId, testInfra } from '@hub/testing';
import { runCheckpointedSubscription } from './checkpointed-subscription';
import {
  ConcurrencyError,
  EventStoreUnavailableError,
  StreamNotFoundError,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from './event-store.port';
import { PostgresCheckpointStore } from './postgres.checkpoint-store';
import { PostgresEventStore } from './postgres.event-store';

const databaseUrl = testInfra().databaseUrl;

describe('PostgresEventStore subscriptions', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  const schemas: string[] = [];
  const running: Subscription[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl, max: 20 });
    pool.on('error', () => undefined);
    store = await PostgresEventStore.create({ pool, subscriptionPollIntervalMs: 100, subscriptionRetry: { initialMs: 20, maxMs: 500 } });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await store?.close();
    for (const schema of schemas) await pool.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`);
    await pool?.end();
  });

  function collect(
    on: PostgresEventStore,
    options: Omit<SubscribeToAllOptions, 'onEvents'>,
  ): { subscription: Subscription; received: RecordedEvent[]; errors: unknown[] } {
    const received: RecordedEvent[] = [];
    const errors: unknown[] = [];
    const subscription = on.subscribeToAll({
      ...options,
      onEvents: async (events) => void received.push(...events),
      onError: (e) => errors.push(e),
    });
    running.push(subscription);
    return { subscription, received, errors };
  }

  async function marker(): Promise<bigint> {
    return (await store.appendToStream(`marker-${freshId('s')}`, [testEvent()])).position;
  }

  describe('when a transaction with an earlier position commits after a later one', () => {
    it('delivers neither until the earlier one commits, then both, in position order', async () => {
      const from = await marker();
      const prefix = `${freshId('late')}-`;
      const sub = collect(store, { from, filter: { streamPrefixes: [prefix] } });
      await sub.subscription.caughtUp;
      const [eventA, eventB] = [testEvent(), testEvent()];

      const clientA = await pool.connect();
      try {
        await clientA.query('begin');
        const positionA = (await store.appendInTransaction(clientA, `${prefix}a`, [eventA])).position;
        const resultB = await store.appendToStream(`${prefix}b`, [eventB]);
        expect(resultB.position).toBeGreaterThan(positionA);
        // B's commit notified the subscriber, and it polls every 100 ms: it has looked several times.
        await sleep(600);
        expect(sub.received).toEqual([]);
        await clientA.query('commit');
      } catch (err) {
        await clientA.query('rollback');
        throw err;
      } finally {
        clientA.release();
      }

      const both = await eventually(async () => (sub.received.length >= 2 ? sub.received : undefined), { what: 'A and B' });
      expect(both.map((e) => e.eventId)).toEqual([eventA.eventId, eventB.eventId]);
      expect(sub.errors).toEqual([]);
    });
  });

  describe('when an unrelated transaction holds committed events back', () => {
    it('delivers them soon after it ends, though that sends no notification, without waiting for the poll', async () => {
      const subscriber = new PostgresEventStore(pool, { subscriptionPollIntervalMs: 60_000 });
      try {
        const from = await marker();
        const prefix = `${freshId('held')}-`;
        const sub = collect(subscriber, { from, filter: { streamPrefixes: [prefix] } });
        await sub.subscription.caughtUp;
        const blocker = await pool.connect();
        let ended = 0;
        try {
          await blocker.query('begin');
          await blocker.query('select pg_current_xact_id()'); // holds an xid: readAll waits for it
          const event = testEvent();
          await store.appendToStream(`${prefix}1`, [event]); // notifies; the subscriber finds nothing visible yet
          await sleep(300);
          expect(sub.received).toEqual([]);
          await blocker.query('commit');
          ended = Date.now();
        } finally {
          blocker.release();
        }

        await eventually(async () => (sub.received.length > 0 ? true : undefined), { what: 'the held-back event', timeoutMs: 40_000 });
        // Well under the 60 s poll: it was the end of the holding transaction that woke it, not the poll.
        expect(Date.now() - ended).toBeLessThan(40_000);
      } finally {
        await subscriber.close();
      }
    });
  });

  describe('when the connections are lost', () => {
    it('reconnects LISTEN and the pool, reports the loss, and still delivers what is appended during and after it', async () => {
      const applicationName = freshId('hubsub');
      // Polling once a minute: within the test, only NOTIFY (after re-LISTEN) or the reconnect's wake-up can deliver.
      const subscriber = await PostgresEventStore.create({
        connectionString: withApplicationName(databaseUrl, applicationName),
        subscriptionPollIntervalMs: 60_000,
        subscriptionRetry: { initialMs: 50, maxMs: 500 },
      });
      try {
        const from = await marker();
        const prefix = `${freshId('lost')}-`;
        const sub = collect(subscriber, { from, filter: { streamPrefixes: [prefix] } });
        await sub.subscription.caughtUp;
        await listening(applicationName);

        const terminated = await terminateBackends(applicationName);
        expect(terminated).toBeGreaterThanOrEqual(2); // the LISTEN connection and the pool's idle client
        const duringOutage = testEvent();
        await store.appendToStream(`${prefix}1`, [duringOutage]);
        await eventually(async () => (sub.received.length >= 1 ? true : undefined), {
          what: 'the event appended during the outage',
          timeoutMs: 15_000,
        });

        await listening(applicationName);
        const afterReconnect = testEvent();
        await store.appendToStream(`${prefix}1`, [afterReconnect]);
        await eventually(async () => (sub.received.length >= 2 ? true : undefined), {
          what: 'the event appended after the reconnect',
          timeoutMs: 15_000,
        });

        expect(sub.received.map((e) => e.eventId)).toEqual([duringOutage.eventId, afterReconnect.eventId]);
        expect(sub.errors.some((e) => e instanceof EventStoreUnavailableError)).toBe(true);
      } finally {
        await subscriber.close();
      }
      await eventually(async () => ((await backends(applicationName)) === 0 ? true : undefined), { what: 'no connection left behind' });
    });

    it('close() stops the subscriptions and closes the LISTEN connection', async () => {
      const applicationName = freshId('hubsub');
      const subscriber = await PostgresEventStore.create({ connectionString: withApplicationName(databaseUrl, applicationName) });
      const received: RecordedEvent[] = [];
      const subscription = subscriber.subscribeToAll({ from: await marker(), onEvents: async (events) => void received.push(...events) });
      await subscription.caughtUp;
      await listening(applicationName);

      await subscriber.close();

      expect(subscription.isCaughtUp).toBe(true);
      await subscription.stop(); // already stopped by close(): resolves at once
      await eventually(async () => ((await backends(applicationName)) === 0 ? true : undefined), { what: 'no connection left behind' });
      expect(() => subscriber.subscribeToAll({ onEvents: async () => undefined })).toThrow(EventStoreUnavailableError);
    });
  });

  describe('with another schema and table prefix', () => {
    it('appends and wakes subscribers when schema and prefix make the channel name longer than PostgreSQL allows', async () => {
      const schema = freshId('es_').padEnd(31, 's');
      schemas.push(schema);
      const isolated = await PostgresEventStore.create({
        pool,
        schema,
        tablePrefix: 'p'.repeat(30) + '_',
        subscriptionPollIntervalMs: 60_000,
      });
      try {
        const sub = collect(isolated, {});
        await sub.subscription.caughtUp;
        const event = testEvent();
        const started = Date.now();
        await isolated.appendToStream('long-1', [event]);

        await eventually(async () => (sub.received.length > 0 ? true : undefined), { what: 'the event', timeoutMs: 10_000 });
        expect(sub.received.map((e) => e.eventId)).toEqual([event.eventId]);
        expect(Date.now() - started).toBeLessThan(10_000); // the poll would have taken 60 s
      } finally {
        await isolated.close();
      }
    });
  });

  describe('when appends notify after they commit', () => {
    it('appendToStreams wakes a subscriber of another store instance that polls once a minute, with every stream of the call', async () => {
      const schema = freshId('es_');
      schemas.push(schema);
      const writer = await PostgresEventStore.create({ pool, schema });
      const subscriber = new PostgresEventStore(pool, { schema, subscriptionPollIntervalMs: 60_000 });
      try {
        const sub = collect(subscriber, {});
        await sub.subscription.caughtUp;
        const appends = Array.from({ length: 5 }, (_, i) => ({ stream: `batch-${i}`, events: [testEvent(), testEvent()] }));
        const started = Date.now();

        await writer.appendToStreams(appends);

        await eventually(async () => (sub.received.length >= 10 ? true : undefined), { what: 'the whole call', timeoutMs: 20_000 });
        expect(Date.now() - started).toBeLessThan(20_000); // the poll would have taken 60 s
        expect(sub.received.map((e) => e.eventId).sort()).toEqual(
          appends.flatMap((a) => a.events.map((e) => e.eventId.toLowerCase())).sort(),
        );
        expect(sub.errors).toEqual([]);
      } finally {
        await subscriber.close();
        await writer.close();
      }
    });
  });

  describe('filters', () => {
    it('moves past a long run of filtered-out events in a few reads, by the unfiltered high-water mark', async () => {
      const schema = freshId('es_');
      schemas.push(schema);
      const writer = await PostgresEventStore.create({ pool, schema });
      for (let i = 0; i < 10; i++)
        await writer.appendToStream(
          `noise-${i}`,
          Array.from({ length: 500 }, () => testEvent()),
        );
      const signal = testEvent();
      await writer.appendToStream('signal-1', [signal]);

      const counted = new Pool({ connectionString: databaseUrl, max: 2 });
      let reads = 0;
      counted.on('acquire', () => reads++);
      const reader = new PostgresEventStore(counted, { schema, subscriptionPollIntervalMs: 60_000 });
      try {
        const sub = collect(reader, { filter: { streamPrefixes: ['signal-'] }, batchSize: 10 });
        await sub.subscription.caughtUp;

        expect(sub.received.map((e) => e.eventId)).toEqual([signal.eventId]);
        // 5001 events in windows of 2000: 3 reads, one more to see the end — plus a re-read every
        // 100 ms while another transaction anywhere on the server holds the visible horizon back
        // (other test files write meanwhile, more of them on a loaded machine). A scan batch by batch
        // would need 5001 / 10 = 501 reads.
        expect(reads).toBeLessThan(250);
      } finally {
        await reader.close();
        await counted.end();
      }
    });
  });

  describe('checkpoints', () => {
    let checkpoints: PostgresCheckpointStore;
    let readModel: string;

    beforeAll(async () => {
      const schema = freshId('es_');
      schemas.push(schema);
      checkpoints = await PostgresCheckpointStore.create({ pool, schema });
      readModel = `${escapeIdentifier(schema)}.read_model`;
      await pool.query(`create table ${readModel} (event_id uuid primary key, position bigint not null)`);
    });

    it('loads nothing for a new subscription, then the last saved position', async () => {
      const id = freshId('sub');
      expect(await checkpoints.load(id)).toBeUndefined();
      await checkpoints.save(id, 41n);
      await checkpoints.save(id, 42n);
      expect(await checkpoints.load(id)).toBe(42n);
    });

    it('saves the checkpoint in the projection transaction: rolled back, neither the row nor the checkpoint exists; committed, both do', async () => {
      const subscriptionId = freshId('projection');
      const prefix = `${freshId('proj')}-`;
      const events = [testEvent(), testEvent()];
      const from = await marker();
      await store.appendToStream(`${prefix}1`, events);
      const afterRollback: Array<{ rows: number; checkpoint: bigint | undefined }> = [];
      let attempts = 0;

      const project = async (batch: RecordedEvent[]): Promise<void> => {
        attempts++;
        const client = await pool.connect();
        try {
          await client.query('begin');
          for (const event of batch) {
            await client.query(`insert into ${readModel} values ($1, $2) on conflict do nothing`, [
              event.eventId,
              event.globalPosition.toString(),
            ]);
          }
          await checkpoints.save(subscriptionId, batch[batch.length - 1]!.globalPosition, client);
          if (attempts === 1) {
            await client.query('rollback');
            afterRollback.push({ rows: await readModelRows(events), checkpoint: await checkpoints.load(subscriptionId) });
            throw new Error('crash before commit');
          }
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      };
      const subscription = await runCheckpointedSubscription(store, checkpoints, subscriptionId, {
        checkpoint: 'in-handler',
        fromWhenNoCheckpoint: from,
        filter: { streamPrefixes: [prefix] },
        onEvents: project,
      });
      running.push(subscription);
      await subscription.caughtUp;

      expect(afterRollback).toEqual([{ rows: 0, checkpoint: undefined }]);
      expect(attempts).toBe(2);
      expect(await readModelRows(events)).toBe(2);
      const last = (await store.readStream(`${prefix}1`)).at(-1)!.globalPosition;
      expect(await checkpoints.load(subscriptionId)).toBe(last);

      // A restart resumes after the checkpoint: nothing is projected twice.
      await subscription.stop();
      const restarted = await runCheckpointedSubscription(store, checkpoints, subscriptionId, {
        checkpoint: 'in-handler',
        filter: { streamPrefixes: [prefix] },
        onEvents: project,
      });
      running.push(restarted);
      await restarted.caughtUp;
      expect(attempts).toBe(2);
    });

    it('with saveEveryMs, saves the last handled position once per interval rather than after every batch, and what is pending on stop', async () => {
      const subscriptionId = freshId('deferred');
      const prefix = `${freshId('def')}-`;
      const from = await marker();
      const saved: bigint[] = [];
      const counting = {
        load: (id: string) => checkpoints.load(id),
        save: async (id: string, position: bigint, tx?: unknown, fence?: unknown) => {
          saved.push(position);
          await checkpoints.save(id, position, tx as undefined, fence as undefined);
        },
      } as typeof checkpoints;
      const handled: RecordedEvent[] = [];
      const subscription = await runCheckpointedSubscription(store, counting, subscriptionId, {
        fromWhenNoCheckpoint: from,
        filter: { streamPrefixes: [prefix] },
        batchSize: 1,
        saveEveryMs: 60_000,
        onEvents: async (batch) => void handled.push(...batch),
      });
      running.push(subscription);
      // Six batches of one event each (batchSize 1), well within one interval.
      for (let i = 0; i < 6; i++) await store.appendToStream(`${prefix}${i}`, [testEvent()]);
      await eventually(async () => (handled.length === 6 ? true : undefined), { what: 'six events handled' });
      expect(saved).toEqual([]);
      expect(await checkpoints.load(subscriptionId)).toBeUndefined();
      await subscription.stop();
      // Once, with the last event's position; a restart resumes after it.
      expect(saved).toEqual([handled.at(-1)!.globalPosition]);
      expect(await checkpoints.load(subscriptionId)).toBe(handled.at(-1)!.globalPosition);
    });

    it('with a short saveEveryMs, the checkpoint follows while the subscription runs', async () => {
      const subscriptionId = freshId('deferred');
      const prefix = `${freshId('def')}-`;
      const from = await marker();
      const handled: RecordedEvent[] = [];
      const subscription = await runCheckpointedSubscription(store, checkpoints, subscriptionId, {
        fromWhenNoCheckpoint: from,
        filter: { streamPrefixes: [prefix] },
        saveEveryMs: 50,
        onEvents: async (batch) => void handled.push(...batch),
      });
      running.push(subscription);
      await store.appendToStream(`${prefix}1`, [testEvent(), testEvent()]);
      await eventually(
        async () => (handled.length === 2 && (await checkpoints.load(subscriptionId)) === handled[1]!.globalPosition ? true : undefined),
        {
          what: 'the checkpoint at the last event, without a stop',
        },
      );
    });

    async function readModelRows(events: NewEvent[]): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from ${readModel} where event_id = any($1::uuid[])`, [
        events.map((e) => e.eventId),
      ]);
      return rows[0]!.n;
    }
  });

  describe('50 concurrent appenders on one stream, retrying on ConcurrencyError', () => {
    it('lose nothing: revisions 0..49 are contiguous and a subscriber gets all 50 once, in revision order', async () => {
      const from = await marker();
      const stream = `crowd-${freshId('s')}`;
      const sub = collect(store, { from, filter: { streamPrefixes: [stream] } });
      const writers = Array.from({ length: 50 }, (_, i) => testEvent({ data: { writer: i } }));

      await Promise.all(writers.map((event) => appendWithRetry(stream, event)));

      const events = await store.readStream(stream);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
      expect(new Set(events.map((e) => e.eventId))).toEqual(new Set(writers.map((e) => e.eventId)));
      const delivered = await eventually(async () => (sub.received.length >= 50 ? sub.received : undefined), { what: '50 events' });
      await sleep(200);
      expect(sub.received).toHaveLength(50);
      expect(delivered.map((e) => e.revision)).toEqual(events.map((e) => e.revision));
    });

    async function appendWithRetry(stream: string, event: NewEvent): Promise<void> {
      for (let attempt = 1; attempt <= 1_000; attempt++) {
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
        }
      }
      throw new Error('an appender gave up');
    }
  });

  async function backends(applicationName: string): Promise<number> {
    const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [
      applicationName,
    ]);
    return rows[0]!.n;
  }

  /** Waits until a connection of `applicationName` is LISTENing (its last statement). */
  async function listening(applicationName: string): Promise<void> {
    await eventually(
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where application_name = $1 and query ilike 'listen %'`,
          [applicationName],
        );
        return rows[0]!.n > 0 ? true : undefined;
      },
      { what: `a LISTEN connection of ${applicationName}`, timeoutMs: 15_000 },
    );
  }

  async function terminateBackends(applicationName: string): Promise<number> {
    const { rows } = await pool.query<{ n: number }>(
      'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1) t',
      [applicationName],
    );
    return rows[0]!.n;
  }
});

function withApplicationName(url: string, applicationName: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', applicationName);
  return parsed.toString();
}

function testEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return { eventId: randomUUID(), type: 'SubscriptionTested', data: { value: randomUUID() }, metadata: {}, ...overrides };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
