import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { eventually, freshId, testInfra } from '@hub/testing';
import { LeaderFencedError } from './checkpoint-store.port';
import {
  runCheckpointedSubscriptions,
  type CheckpointedConsumer,
  type FanOutSettings,
  type FanOutSubscription,
} from './checkpointed-fan-out';
import { SubscriptionHandlerError, type EventStore, type NewEvent, type RecordedEvent, type Subscription } from './event-store.port';
import { tryAdvisoryLock } from './postgres.advisory-lock';
import { PostgresCheckpointStore } from './postgres.checkpoint-store';
import { PostgresEventStore } from './postgres.event-store';

const databaseUrl = testInfra().databaseUrl;
const tables = { tablePrefix: `${freshId('fanout')}_`.toLowerCase() };

describe('runCheckpointedSubscriptions: one store subscription fanned out to several checkpointed consumers', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  let checkpoints: PostgresCheckpointStore;
  const running: FanOutSubscription[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl, max: 20 });
    pool.on('error', () => undefined);
    store = await PostgresEventStore.create({ pool, subscriptionPollIntervalMs: 100, subscriptionRetry: { initialMs: 20, maxMs: 200 } });
    checkpoints = await PostgresCheckpointStore.create({ pool, ...tables });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await store?.close();
    await pool?.query(`drop table if exists ${tables.tablePrefix}hub_checkpoints, ${tables.tablePrefix}hub_leader_epochs`);
    await pool?.end();
  });

  const fast: FanOutSettings = { retry: { initialMs: 10, maxMs: 50 } };

  async function start(on: EventStore, consumers: CheckpointedConsumer[], settings: FanOutSettings = fast): Promise<FanOutSubscription> {
    const fanOut = await runCheckpointedSubscriptions(on, checkpoints, consumers, settings);
    running.push(fanOut);
    return fanOut;
  }

  /** A consumer that keeps what it handled (only batches that succeeded), and fails while `failing()` says so. */
  function consumer(
    prefix: string,
    from: bigint,
    options: { failing?: () => boolean; eventTypes?: string[]; batchSize?: number; id?: string } = {},
  ): CheckpointedConsumer & { handled: RecordedEvent[]; failures: number } {
    const c = {
      subscriptionId: options.id ?? freshId('consumer.'),
      fromWhenNoCheckpoint: from,
      filter: { streamPrefixes: [prefix], ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}) },
      batchSize: options.batchSize ?? 100,
      handled: [] as RecordedEvent[],
      failures: 0,
      onEvents: async (events: RecordedEvent[]) => {
        if (options.failing?.()) {
          c.failures++;
          throw new Error('consumer down');
        }
        c.handled.push(...events);
      },
    };
    return c;
  }

  async function marker(): Promise<bigint> {
    return (await store.appendToStream(`marker-${freshId('s')}`, [testEvent()])).position;
  }

  async function appendMany(prefix: string, count: number, type = 'FanOutTested'): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const event = testEvent({ type });
      ids.push(event.eventId);
      await store.appendToStream(`${prefix}${i % 3}`, [event]);
    }
    return ids;
  }

  const idsOf = (events: readonly RecordedEvent[]): string[] => events.map((e) => e.eventId);

  describe('when one of two consumers fails for a while', () => {
    it.each([
      ['its pages wait in its queue', 2_000, 1],
      ['it falls too far behind, reads on its own and rejoins', 5, 2],
    ])(
      'the other keeps going, and after recovery the failing one gets every event exactly once in order (%s)',
      async (_case, maxLagEvents, subscriptions) => {
        const from = await marker();
        const prefix = `${freshId('fail')}-`;
        let down = true;
        const healthy = consumer(prefix, from, { batchSize: 2 });
        const failing = consumer(prefix, from, { batchSize: 2, failing: () => down });
        const counted = countingSubscriptions(store);
        const fanOut = await start(counted.store, [healthy, failing], { ...fast, maxLagEvents });

        const ids = await appendMany(prefix, 30);
        await eventually(async () => (healthy.handled.length === 30 && failing.failures >= 3 ? true : undefined), {
          what: 'the healthy consumer',
        });
        expect(idsOf(healthy.handled)).toEqual(ids);
        expect(failing.handled).toEqual([]);

        down = false;
        await eventually(async () => (failing.handled.length >= 30 ? true : undefined), { what: 'the recovered consumer' });
        expect(idsOf(failing.handled)).toEqual(ids);
        // It rejoined the shared read: one store subscription again, and new events reach both.
        await eventually(async () => (counted.open() === 1 ? true : undefined), { what: 'one subscription' });
        const more = await appendMany(prefix, 5);
        await eventually(async () => (healthy.handled.length === 35 && failing.handled.length === 35 ? true : undefined));
        expect(idsOf(healthy.handled)).toEqual([...ids, ...more]);
        expect(idsOf(failing.handled)).toEqual([...ids, ...more]);
        // Its position moves once the batch's call (and checkpoint) has returned, just after `handled` has the events.
        const last = failing.handled[34]!.globalPosition;
        await eventually(async () => (fanOut.consumers.get(failing.subscriptionId)?.position === last ? true : undefined), {
          what: 'the recovered consumer’s position at its last event',
        });
        expect(counted.most()).toBe(subscriptions);
      },
    );

    it('reports each failure to that consumer’s onError only', async () => {
      const from = await marker();
      const prefix = `${freshId('err')}-`;
      let down = true;
      const errorsOf = { healthy: [] as unknown[], failing: [] as unknown[] };
      const healthy = { ...consumer(prefix, from), onError: (e: unknown) => void errorsOf.healthy.push(e) };
      const failingConsumer = consumer(prefix, from, { failing: () => down });
      const failing = { ...failingConsumer, onError: (e: unknown) => void errorsOf.failing.push(e) };
      await start(store, [healthy, failing]);
      await appendMany(prefix, 1);
      await eventually(async () => (errorsOf.failing.length >= 2 ? true : undefined));
      down = false;
      expect(errorsOf.failing[0]).toBeInstanceOf(SubscriptionHandlerError);
      expect(errorsOf.healthy).toEqual([]);
    });
  });

  describe('when the fan-out restarts', () => {
    it('resumes each consumer from its own checkpoint', async () => {
      const from = await marker();
      const prefix = `${freshId('restart')}-`;
      let down = true;
      const [aId, bId] = [freshId('a.'), freshId('b.')];
      const a1 = consumer(prefix, from, { id: aId });
      const b1 = consumer(prefix, from, { id: bId, failing: () => down });
      const first = await start(store, [a1, b1]);
      const before = await appendMany(prefix, 10);
      await eventually(async () => (a1.handled.length === 10 && b1.failures > 0 ? true : undefined));
      await first.stop();
      expect(await checkpoints.load(aId)).toBe(a1.handled[9]!.globalPosition);
      expect(await checkpoints.load(bId)).toBeUndefined();

      down = false;
      const a2 = consumer(prefix, from, { id: aId });
      const b2 = consumer(prefix, from, { id: bId });
      const second = await start(store, [a2, b2]);
      await second.caughtUp;
      const after = await appendMany(prefix, 4);
      await eventually(async () => (a2.handled.length === 4 && b2.handled.length === 14 ? true : undefined));
      expect(idsOf(a2.handled)).toEqual(after);
      expect(idsOf(b2.handled)).toEqual([...before, ...after]);
      expect(b1.handled).toEqual([]);
    });
  });

  describe('when events are appended concurrently from several connections', () => {
    it('delivers them to every consumer gap-free, in global order, each consumer its own filter', async () => {
      const from = await marker();
      const prefix = `${freshId('conc')}-`;
      const all = consumer(prefix, from, { batchSize: 7 });
      const rare = consumer(prefix, from, { eventTypes: ['Rare'], batchSize: 3 });
      const big = consumer(prefix, from, { batchSize: 500 });
      const fanOut = await start(store, [all, rare, big]);
      const writers = 8;
      const perWriter = 25;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) {
            await store.appendToStream(`${prefix}${w}`, [testEvent({ type: i % 5 === 0 ? 'Rare' : 'Common' })]);
          }
        }),
      );
      await eventually(async () => (all.handled.length === writers * perWriter ? true : undefined));
      const log = (await readAllAfter(store, from)).filter((e) => e.streamName.startsWith(prefix));
      await eventually(async () => (big.handled.length === log.length && rare.handled.length === log.length / 5 ? true : undefined));
      expect(idsOf(all.handled)).toEqual(idsOf(log));
      expect(idsOf(big.handled)).toEqual(idsOf(log));
      expect(idsOf(rare.handled)).toEqual(idsOf(log.filter((e) => e.type === 'Rare')));
      // The position moves once the batch's call (and checkpoint) has returned, just after `handled` has the events.
      const last = rare.handled[rare.handled.length - 1]!.globalPosition;
      await eventually(async () => (fanOut.consumers.get(rare.subscriptionId)?.position === last ? true : undefined), {
        what: 'the filtered consumer’s position at its last event',
      });
    });

    it('delivers nothing past a transaction still open with an earlier position, then both in order', async () => {
      const from = await marker();
      const prefix = `${freshId('late')}-`;
      const one = consumer(prefix, from);
      const two = consumer(prefix, from);
      await start(store, [one, two]);
      const [eventA, eventB] = [testEvent(), testEvent()];
      const clientA = await pool.connect();
      try {
        await clientA.query('begin');
        await store.appendInTransaction(clientA, `${prefix}a`, [eventA]);
        await store.appendToStream(`${prefix}b`, [eventB]);
        // B's commit notified the fan-out, and it polls every 100 ms: it has looked several times.
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(one.handled).toEqual([]);
        expect(two.handled).toEqual([]);
        await clientA.query('commit');
      } catch (err) {
        await clientA.query('rollback');
        throw err;
      } finally {
        clientA.release();
      }
      await eventually(async () => (one.handled.length === 2 && two.handled.length === 2 ? true : undefined));
      expect(idsOf(one.handled)).toEqual([eventA.eventId, eventB.eventId]);
      expect(idsOf(two.handled)).toEqual([eventA.eventId, eventB.eventId]);
    });
  });

  describe('when a consumer is busy while the shared reader reads on', () => {
    it('takes the pages that queued meanwhile in one call, up to its batch size, in order', async () => {
      const from = await marker();
      const prefix = `${freshId('busy')}-`;
      const quick = consumer(prefix, from);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const calls: string[][] = [];
      const busy: CheckpointedConsumer = {
        subscriptionId: freshId('consumer.'),
        fromWhenNoCheckpoint: from,
        filter: { streamPrefixes: [prefix] },
        batchSize: 8,
        onEvents: async (events) => {
          calls.push(idsOf(events));
          if (calls.length === 1) await gate;
        },
      };
      await start(store, [quick, busy]);
      const ids: string[] = [];
      // One page per event: each append waits until the quick consumer has it, so the shared reader read it alone.
      for (let i = 0; i < 13; i++) {
        ids.push(...(await appendMany(prefix, 1)));
        await eventually(async () => (quick.handled.length === ids.length ? true : undefined), { what: `page ${i}` });
      }
      expect(calls).toEqual([ids.slice(0, 1)]);
      release();
      await eventually(async () => (calls.flat().length === ids.length ? true : undefined), { what: 'the busy consumer caught up' });
      // The twelve pages that queued while it was busy: one call of 8 (its batch size), one of the other 4.
      expect(calls).toEqual([ids.slice(0, 1), ids.slice(1, 9), ids.slice(9)]);
    });
  });

  describe('when consumers start at different checkpoints', () => {
    it('the one behind catches up on its own read, then shares the one read', async () => {
      const from = await marker();
      const prefix = `${freshId('behind')}-`;
      const early = await appendMany(prefix, 12);
      const ahead = { ...consumer(prefix, from), fromWhenNoCheckpoint: (await store.headPosition()) as bigint };
      const behind = consumer(prefix, from, { batchSize: 5 });
      const counted = countingSubscriptions(store);
      const fanOut = await start(counted.store, [ahead, behind], { ...fast, maxLagEvents: 3 });
      await fanOut.caughtUp;
      expect(idsOf(behind.handled)).toEqual(early);
      expect(ahead.handled).toEqual([]);
      await eventually(async () => (counted.open() === 1 ? true : undefined), { what: 'one subscription' });
      const late = await appendMany(prefix, 3);
      await eventually(async () => (ahead.handled.length === 3 && behind.handled.length === 15 ? true : undefined));
      expect(idsOf(ahead.handled)).toEqual(late);
      expect(idsOf(behind.handled)).toEqual([...early, ...late]);
      expect(counted.most()).toBe(2);
    });
  });

  describe('when the leadership a consumer saves under is over', () => {
    it('its fenced save is refused, it steps down, and the new leader’s checkpoint stays', async () => {
      const from = await marker();
      const prefix = `${freshId('fence')}-`;
      const name = freshId('hub.fanout-fence.');
      const oldLock = await tryAdvisoryLock(databaseUrl, name);
      if (!oldLock) throw new Error(`${name} is held`);
      const oldFence = await oldLock.advanceEpoch(tables);
      await oldLock.release();
      const newLock = await tryAdvisoryLock(databaseUrl, name);
      if (!newLock) throw new Error(`${name} is held`);
      try {
        const newFence = await newLock.advanceEpoch(tables);
        const fenced = consumer(prefix, from);
        await checkpoints.save(fenced.subscriptionId, from, undefined, newFence);
        const steppedDown: LeaderFencedError[] = [];
        const other = consumer(prefix, from);
        await start(store, [{ ...fenced, leadership: { fence: oldFence, stepDown: (err) => void steppedDown.push(err) } }, other]);
        await appendMany(prefix, 2);
        await eventually(async () => (steppedDown.length > 0 && other.handled.length === 2 ? true : undefined));
        expect(steppedDown[0]).toBeInstanceOf(LeaderFencedError);
        expect(await checkpoints.load(fenced.subscriptionId)).toBe(from);
      } finally {
        await newLock.release();
      }
    });
  });

  it('refuses a fan-out without consumers or with two consumers under one id', async () => {
    await expect(runCheckpointedSubscriptions(store, checkpoints, [])).rejects.toThrow(RangeError);
    const c = consumer('x-', 0n);
    await expect(runCheckpointedSubscriptions(store, checkpoints, [c, { ...c }])).rejects.toThrow(RangeError);
    await expect(runCheckpointedSubscriptions(store, checkpoints, [{ ...c, batchSize: 0 }])).rejects.toThrow(RangeError);
  });
});

/** The store, whose subscriptions are counted while they run. */
function countingSubscriptions(inner: EventStore): { store: EventStore; open: () => number; most: () => number } {
  let open = 0;
  let most = 0;
  const subscribeToAll: EventStore['subscribeToAll'] = (options) => {
    const subscription = inner.subscribeToAll(options);
    open++;
    most = Math.max(most, open);
    let stopped = false;
    const counted: Subscription = {
      get position() {
        return subscription.position;
      },
      caughtUp: subscription.caughtUp,
      get isCaughtUp() {
        return subscription.isCaughtUp;
      },
      stop: async () => {
        await subscription.stop();
        if (!stopped) open--;
        stopped = true;
      },
    };
    return counted;
  };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'subscribeToAll') return subscribeToAll;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, open: () => open, most: () => most };
}

async function readAllAfter(store: EventStore, after: bigint): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let cursor = after; ; ) {
    const page = await store.readAll({ after: cursor, maxCount: 1_000 });
    if (page.length === 0) return events;
    events.push(...page);
    cursor = page[page.length - 1]!.globalPosition;
  }
}

function testEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return { eventId: randomUUID(), type: 'FanOutTested', data: { value: randomUUID() }, metadata: {}, ...overrides };
}
