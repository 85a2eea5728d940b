import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Pool } from 'pg';
import pino from 'pino';
import { deterministicId, headersFor, hubNames, identityKey, type InteractionReceived } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore } from '@hub/event-store';
import { PostgresTimelineStore, TimelineProjector } from '@hub/timeline';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, TEST_IDENTITY_NAMING, type AppProcess } from '@hub/testing';

/**
 * The projector is SIGKILLed in the middle of projecting, restarted, and must end with a timeline
 * identical — row for row — to a fresh rebuild of the same history; and two projector instances in
 * one consumer group share the recording without double effects.
 */
jest.setTimeout(180_000);
const infra = testInfra();
let database: { url: string; drop(): Promise<void> };
let pool: Pool;
let stores: CustomerStores;
const running: AppProcess[] = [];

/** Each scenario gets Kafka names of its own (HUB_NAMESPACE): other test files run projectors too. */
const env = (namespace: string) => ({
  DATABASE_URL: database.url,
  REDIS_URL: infra.redisUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  HUB_NAMESPACE: namespace,
});

async function count(sql: string, params: unknown[]): Promise<number> {
  const r = await pool.query<{ n: string }>(sql, params);
  return Number(r.rows[0]!.n);
}

/** Every row of the tenant's read model, in a stable order, as plain JSON. */
async function readModel(p: Pool, tenantId: string): Promise<unknown> {
  const q = async (sql: string) => (await p.query(sql, [tenantId])).rows;
  return JSON.parse(
    JSON.stringify({
      entries: await q('select * from timeline_entries where tenant_id = $1 order by event_id'),
      customers: await q(
        'select tenant_id, customer_id, first_seen_at, last_seen_at, interactions, channels, merged_into from timeline_customers where tenant_id = $1 order by customer_id',
      ),
      identities: await q('select * from timeline_identities where tenant_id = $1 order by kind, namespace, value'),
    }),
  );
}

beforeAll(async () => {
  database = await freshDatabase('e2e_crash');
  pool = new Pool({ connectionString: database.url, max: 10 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
});

afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  await stores?.store.close();
  await pool?.end();
  await database?.drop();
});

describe('when the projector is killed with SIGKILL in the middle of a batch', () => {
  it('resumes after restart and ends identical to a fresh rebuild', async () => {
    const tenantId = freshId('crash');
    // 40 customers × 100 interactions, written straight into their streams (the recorder's output).
    const customers = Array.from({ length: 40 }, (_, i) => `c${i}`);
    for (const [c, customerId] of customers.entries()) {
      const events: CustomerEvent[] = Array.from({ length: 100 }, (_, n) => {
        const eventId = deterministicId('crash', tenantId, customerId, String(n));
        const at = new Date(Date.UTC(2026, 10, 1, 0, c, n)).toISOString();
        return {
          type: 'InteractionRecorded',
          data: {
            channel: 'sms',
            direction: n % 3 ? 'inbound' : 'outbound',
            kind: 'message',
            identities: [{ kind: 'phone', value: `+1415555${String(1000 + c).padStart(4, '0')}` }],
            content: { text: `message ${n} of ${customerId}`, media: [] },
            provider: { name: 'twilio', messageId: eventId },
          },
          metadata: {
            eventId,
            correlationId: eventId,
            causationId: eventId,
            occurredAt: at,
            recordedAt: at,
            schemaVersion: 1,
            tenantId,
            channel: 'sms',
          },
        };
      });
      await stores.customers.append(tenantId, customerId, events);
    }
    const total = customers.length * 100;

    const first = await startAppProcess('timeline-projector', env(tenantId), { logSuffix: `-${tenantId}-1` });
    running.push(first);
    const projectedAtKill = await eventually(
      async () => {
        const n = await count('select count(*) as n from timeline_entries where tenant_id = $1', [tenantId]);
        return n > 0 ? n : undefined;
      },
      { intervalMs: 5, what: 'projection to start' },
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(projectedAtKill).toBeLessThan(total); // killed part-way, not after it finished

    const second = await startAppProcess('timeline-projector', env(tenantId), { logSuffix: `-${tenantId}-2` });
    running.push(second);
    await eventually(
      async () =>
        (await count('select count(*) as n from timeline_entries where tenant_id = $1', [tenantId])) === total ? true : undefined,
      { timeoutMs: 90_000, what: 'all entries projected after restart' },
    );

    // A fresh rebuild of the same history into tables of its own (schema `rebuild_…`).
    const schema = freshId('rebuild_').toLowerCase();
    await pool.query(`create schema ${schema}`);
    const rebuildPool = new Pool({ connectionString: database.url, max: 4, options: `-c search_path=${schema}` });
    try {
      const rebuilt = new PostgresTimelineStore(rebuildPool);
      await rebuilt.ensureSchema();
      const projector = new TimelineProjector({
        store: stores.store,
        timeline: rebuilt,
        checkpoints: await PostgresCheckpointStore.create({ pool: rebuildPool }),
        subscriptionId: 'rebuild',
        streamPrefix: `customer-${tenantId}.`,
        logger: pino({ level: 'silent' }),
      });
      await (
        await projector.start()
      ).caughtUp;
      await projector.stop();
      const live = await readModel(pool, tenantId);
      const fresh = await readModel(rebuildPool, tenantId);
      expect((fresh as { entries: unknown[] }).entries).toHaveLength(total);
      expect(live).toEqual(fresh);
    } finally {
      await rebuildPool.end();
    }
  });
});

describe('when two projector instances run in one consumer group', () => {
  it('they share the recording and every interaction is recorded and projected exactly once', async () => {
    const tenantId = freshId('scale');
    const a = await startAppProcess('timeline-projector', env(tenantId), { logSuffix: `-${tenantId}-a` });
    const b = await startAppProcess('timeline-projector', env(tenantId), { logSuffix: `-${tenantId}-b` });
    running.push(a, b);
    const kafka = new Kafka({ clientId: freshId('scale'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    // Both members must have joined before the load, so the partitions are split between them.
    const admin = kafka.admin();
    await admin.connect();
    await eventually(
      async () => {
        const { groups } = await admin.describeGroups([hubNames(tenantId).groups.timelineProjector]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2 ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'two members in the consumer group' },
    );
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const phones = Array.from({ length: 30 }, (_, i) => `+1415555${String(2000 + i)}`);
    const interactions: InteractionReceived[] = phones.flatMap((phone) =>
      Array.from({ length: 10 }, (_, n) => {
        const eventId = deterministicId('scale', tenantId, phone, String(n));
        const at = new Date(Date.UTC(2026, 10, 2, 0, 0, n)).toISOString();
        return {
          type: 'InteractionReceived' as const,
          data: {
            direction: 'inbound' as const,
            kind: 'message' as const,
            identities: [{ kind: 'phone' as const, value: phone }],
            content: { text: `hello ${n}`, media: [] },
            provider: { name: 'test', messageId: eventId },
          },
          metadata: {
            eventId,
            correlationId: eventId,
            causationId: eventId,
            occurredAt: at,
            recordedAt: at,
            schemaVersion: 1,
            tenantId,
            channel: 'sms' as const,
          },
        };
      }),
    );
    // Everything twice: a redelivery must not double anything either.
    for (const round of [1, 2]) {
      await producer.send({
        topic: hubNames(tenantId).topics.interactions,
        acks: -1,
        messages: interactions.map((i) => ({
          key: identityKey(TEST_IDENTITY_NAMING.current, tenantId, 'phone', i.data.identities[0]!.value),
          value: JSON.stringify(i),
          headers: { ...headersFor(i.type, i.metadata), round: String(round) },
        })),
      });
    }
    await producer.disconnect();

    await eventually(
      async () =>
        (await count('select count(*) as n from timeline_entries where tenant_id = $1', [tenantId])) === interactions.length
          ? true
          : undefined,
      { timeoutMs: 90_000, what: 'every interaction projected' },
    );
    expect(
      await count("select count(*) as n from hub_events where metadata->>'tenantId' = $1 and event_type = 'InteractionRecorded'", [
        tenantId,
      ]),
    ).toBe(interactions.length);
    expect(
      await count("select count(*) as n from hub_events where metadata->>'tenantId' = $1 and event_type = 'CustomerRegistered'", [
        tenantId,
      ]),
    ).toBe(phones.length);
    expect(await count('select count(distinct customer_id) as n from timeline_entries where tenant_id = $1', [tenantId])).toBe(
      phones.length,
    );
  });
});
