import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { headersFor, type CustomerEventMessage } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { PostgresCheckpointStore } from '@hub/event-store';
import { eventually, freshId, testInfra } from '@hub/testing';
import type { BackfillResult } from './backfill/backfill.command';
import { at, cliWorld, interaction, registered, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(120_000);

interface Received {
  key: string;
  partition: number;
  value: CustomerEventMessage;
  headers: Record<string, string>;
}

let world: CliWorld;
const kafka = new Kafka({ clientId: freshId('cli-backfill'), brokers: testInfra().kafkaBrokers, logLevel: logLevel.NOTHING });
const consumers: Consumer[] = [];

beforeAll(async () => {
  world = await cliWorld('cli_backfill');
});
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await world?.close();
});

/** Everything on `topic` from the start, read until `count` arrived and then one more second (to see any extra). */
async function readTopic(topic: string, count: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: freshId('cli-backfill-reader'), maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  const got: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      got.push({ key: message.key!.toString(), partition, value: JSON.parse(message.value!.toString()) as CustomerEventMessage, headers });
    },
  });
  await eventually(async () => (got.length >= count ? true : undefined), { timeoutMs: 60_000, what: `${count} messages on ${topic}` });
  await new Promise((r) => setTimeout(r, 1_000));
  return got;
}

const result = (stdout: string) => JSON.parse(stdout) as BackfillResult & { position: string; head: string };

describe('hub backfill', () => {
  const tenant = freshId('bf').toLowerCase();
  const other = freshId('bo').toLowerCase();
  // Three customers of one tenant, one of another; recorded over days 1–9 of March.
  const streams = new Map<string, CustomerEvent[]>();
  for (const customerId of ['a1', 'a2', 'a3']) {
    streams.set(`${tenant}/${customerId}`, [
      registered(tenant, customerId, at(1, 0)),
      ...Array.from({ length: 8 }, (_, n) =>
        interaction(tenant, customerId, n, { occurredAt: at(1 + n, 10), recordedAt: at(1 + n, 11), text: `secret ${n}, "quoted"` }),
      ),
    ]);
  }
  streams.set(
    `${other}/a1`,
    Array.from({ length: 4 }, (_, n) => interaction(other, 'a1', n, { occurredAt: at(1 + n, 10), recordedAt: at(1 + n, 11) })),
  );

  beforeAll(async () => {
    // Interleaved, as the recorder writes them: one event per append, customers taking turns.
    for (let n = 0; n < 9; n++) {
      for (const [key, events] of streams) {
        const [t, c] = key.split('/') as [string, string];
        if (events[n]) await world.stores.customers.append(t, c, [events[n]!]);
      }
    }
  });

  describe('with a tenant, two customers and a recordedAt window, stopped at --max and resumed', () => {
    it('publishes exactly the selected events, in order per customer, each once', async () => {
      const topic = freshId('hub-cli-backfill.');
      const resumeId = freshId('resume');
      const flags = [
        'backfill',
        '--topic',
        topic,
        '--tenant',
        tenant,
        '--customers',
        'a1,a2',
        '--from',
        at(3, 0),
        '--to',
        at(7, 0),
        '--resume-id',
        resumeId,
        '--batch',
        '2',
      ];
      // Days 3, 4, 5, 6 recorded at 11:00 → interactions n = 2..5 of a1 and a2.
      const expected = ['a1', 'a2'].flatMap((c) =>
        streams.get(`${tenant}/${c}`)!.filter((e) => e.metadata.recordedAt >= at(3, 0) && e.metadata.recordedAt < at(7, 0)),
      );
      expect(expected).toHaveLength(8);

      const first = await runCli([...flags, '--max', '3'], world.env);
      expect(first.stderr).toContain('stopped at --max');
      expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
      expect(result(first.stdout)).toMatchObject({ published: 3, complete: false, resumedFrom: null, checkpoint: `backfill.${resumeId}` });

      const second = await runCli(flags, world.env);
      expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
      expect(result(second.stdout)).toMatchObject({ published: 5, complete: true, resumedFrom: result(first.stdout).position });
      const third = await runCli(flags, world.env);
      expect(result(third.stdout)).toMatchObject({ published: 0, complete: true });

      const got = await readTopic(topic, expected.length);
      expect(got.map((m) => m.value.metadata.eventId).sort()).toEqual(expected.map((e) => e.metadata.eventId).sort());
      for (const customerId of ['a1', 'a2']) {
        const mine = got.filter((m) => m.key === customerId);
        expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
        expect(mine.map((m) => Number(m.value.streamRevision))).toEqual([3, 4, 5, 6]);
      }
      // The relay's message, decrypted, with the relay's headers.
      const sample = got.find((m) => m.value.metadata.eventId === expected[0]!.metadata.eventId)!;
      expect(sample.value).toMatchObject({
        type: 'InteractionRecorded',
        tenantId: tenant,
        customerId: 'a1',
        streamRevision: '3',
        data: expected[0]!.data,
        metadata: expected[0]!.metadata,
      });
      expect(sample.headers).toEqual(headersFor('InteractionRecorded', expected[0]!.metadata));
      expect(await new PostgresCheckpointStore(world.pool).load(`backfill.${resumeId}`)).toBe(BigInt(result(third.stdout).position));
    });
  });

  describe('when interrupted (SIGINT) and run again with the same resume id', () => {
    it('stops after the batch in flight, exits 1, and the resumed run publishes the rest without duplicates or gaps', async () => {
      const topic = freshId('hub-cli-backfill.');
      const resumeId = freshId('resume');
      const flags = ['backfill', '--topic', topic, '--tenant', tenant, '--rate', '5', '--resume-id', resumeId];
      const abort = new AbortController();
      const running = runCli(flags, world.env, abort.signal);
      // Interrupted once its first chunk is checkpointed (27 events at 5/s take ~5 s), however slowly it started.
      const checkpoints = new PostgresCheckpointStore(world.pool);
      await eventually(async () => ((await checkpoints.load(`backfill.${resumeId}`)) !== undefined ? true : undefined), {
        what: 'the first chunk checkpointed',
        intervalMs: 20,
      });
      abort.abort();
      const first = await running;
      expect(first.stderr).toContain(`interrupted: backfill stopped at position`);
      expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 1 });
      const position = await new PostgresCheckpointStore(world.pool).load(`backfill.${resumeId}`);
      expect(position).toBeDefined();
      const second = await runCli(
        flags.filter((f, i, all) => f !== '--rate' && all[i - 1] !== '--rate'),
        world.env,
      );
      expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
      expect(result(second.stdout)).toMatchObject({ complete: true, resumedFrom: position!.toString() });
      const got = await readTopic(topic, 27);
      const ids = got.map((m) => m.value.metadata.eventId);
      expect(new Set(ids).size).toBe(27);
      expect(ids).toHaveLength(27);
    });
  });

  describe('with a rate', () => {
    it('publishes no faster than the rate (a burst of one chunk, then N per second)', async () => {
      const topic = freshId('hub-cli-backfill.');
      // 9 events per customer × 3 customers of the tenant; at 20/s in chunks of 2: 25 of them take ≥ 1.25 s.
      const r = await runCli(['backfill', '--topic', topic, '--tenant', tenant, '--rate', '20'], world.env);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const out = result(r.stdout);
      expect(out).toMatchObject({ published: 27, complete: true });
      expect(out.seconds).toBeGreaterThanOrEqual(1.2);
      expect(r.stderr).toMatch(/resume id \S+ \(pass --resume-id/);
      const got = await readTopic(topic, 27);
      expect(got.every((m) => m.value.tenantId === tenant)).toBe(true);
    });
  });

  describe('when the command line is wrong', () => {
    it.each([
      [['backfill'], '--topic is required'],
      [['backfill', '--topic', 'x', '--customers', 'a'], '--customers needs --tenant'],
      [['backfill', '--topic', 'x', '--from', 'yesterday'], '--from must be an ISO 8601'],
      [['backfill', '--topic', 'x', '--rate', '0'], '--rate must be a number above 0'],
      [['backfill', '--topic', 'bad topic'], '--topic must be'],
    ])('%j exits 2: %s', async (argv, message) => {
      const r = await runCli(argv, world.env);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2 });
      expect(r.stderr).toContain(message);
    });
  });
});
