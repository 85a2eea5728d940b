import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { customerStream, Queues, type CustomerEventMessage } from '@hub/contracts';
import type { CustomerEvent, NbaDecisionMessage, NbaDecisionMessageV2 } from '@hub/customer';
import { createCustomerStores, eraseCustomerRecord, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore, type RecordedEvent, type Subscription } from '@hub/event-store';
import { createKafka, ensureTopics, KafkaEventPublisher, type ConsumedMessage } from '@hub/messaging';
import { PostgresOutcomeTallyStore } from '@hub/nba-outcomes';
import { eventually, freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { routeCustomerEvent, type CustomerEventRouting } from './customer-event.handler';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { startNbaDecisionRelay } from './nba-decision.relay';
import { NO_FOLLOW_UPS } from './nba-follow-ups.port';
import { CustomerStream } from './testing/customer-stream';

/**
 * Decisions a platform can act on, through the real path: customer events routed into the debounced
 * BullMQ decide queue, the job recording the decision in the real (sealing) store, the relay
 * publishing it to Kafka on v1 (actions) and v2 (every decision). Topics, queue and tenants of its own.
 */
const infra = testInfra();
const quiet = { warn: () => undefined };
const v1 = freshId('nba-decisions-v1');
const v2 = freshId('nba-decisions-v2');
let pool: Pool;
let stores: CustomerStores;
let publisher: KafkaEventPublisher;
let redis: IORedis;
let workerConnection: IORedis;
let decideQueue: Queue<NbaDecideJobData>;
let worker: Worker<NbaDecideJobData>;
let routing: CustomerEventRouting;
let checkpoints: PostgresCheckpointStore;
const relays: Subscription[] = [];
const consumers: Consumer[] = [];
const received: { topic: string; value: NbaDecisionMessageV2 }[] = [];

const kafka = () => createKafka({ brokers: infra.kafkaBrokers, clientId: freshId('delivery-test') });

async function read(topics: string[], into: { topic: string; value: NbaDecisionMessageV2 }[]): Promise<void> {
  const consumer = new Kafka({ clientId: freshId('delivery-reader'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: freshId('delivery-reader'),
    maxWaitTimeInMs: 100,
  });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      into.push({ topic, value: JSON.parse(message.value!.toString()) as NbaDecisionMessageV2 });
    },
  });
}

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 8 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  await ensureTopics(kafka(), [
    { topic: v1, numPartitions: 3 },
    { topic: v2, numPartitions: 3 },
  ]);
  publisher = new KafkaEventPublisher(kafka());
  await publisher.start();
  checkpoints = await PostgresCheckpointStore.create({ pool });
  relays.push(
    await startNbaDecisionRelay({
      store: stores.store,
      checkpoints,
      publisher,
      topic: v1,
      topicV2: v2,
      logger: quiet,
      fromWhenNoCheckpoint: await stores.store.headPosition(),
    }),
  );
  await read([v1, v2], received);

  redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  workerConnection = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  decideQueue = new Queue<NbaDecideJobData>(`${Queues.nbaDecide}-${freshId('delivery')}`, { connection: redis });
  const job = new NbaDecideJob(stores.customers);
  worker = new Worker<NbaDecideJobData>(decideQueue.name, (j) => job.run(j.data, new Date()), { connection: workerConnection });
  routing = {
    decide: decideQueue,
    // Long enough that the burst below is routed within it: each trigger replaces the pending job.
    debounceMs: 1_500,
    surveyDelayMs: 3_600_000,
    tally: await PostgresOutcomeTallyStore.create(pool),
    followUps: NO_FOLLOW_UPS,
  };
});
afterAll(async () => {
  await worker?.close();
  await decideQueue?.obliterate({ force: true });
  await decideQueue?.close();
  redis?.disconnect();
  workerConnection?.disconnect();
  for (const c of consumers) await c.disconnect();
  for (const r of relays) await r.stop();
  await publisher?.close();
  await pool?.end();
});

/** An ISO time `seconds` before now: the worker decides with the wall clock, and a reply must be within the reply window. */
const ago = (seconds: number): string => new Date(Date.now() - seconds * 1000).toISOString();

/** The customer event as the projector's relay publishes it to `hub.customer-events.v1`. */
function consumed(c: CustomerStream, recorded: RecordedEvent): ConsumedMessage {
  const value: CustomerEventMessage = {
    type: recorded.type,
    tenantId: c.tenantId,
    customerId: c.customerId,
    streamRevision: recorded.revision.toString(),
    globalPosition: recorded.globalPosition.toString(),
    data: recorded.data,
    metadata: recorded.metadata as unknown as CustomerEventMessage['metadata'],
  };
  return { topic: 'customer-events', partition: 0, offset: '0', key: c.customerId, value: Buffer.from(JSON.stringify(value)), headers: {} };
}

/** Record the events, then route each as the worker's consumer does (into the debounced decide queue). */
async function recordAndRoute(c: CustomerStream, events: CustomerEvent[]): Promise<void> {
  await stores.customers.append(c.tenantId, c.customerId, events);
  const recorded = await stores.store.readStream(customerStream(c.tenantId, c.customerId));
  const ids = new Set(events.map((e) => e.metadata.eventId));
  for (const r of recorded.filter((e) => ids.has(e.eventId))) await routeCustomerEvent(routing, consumed(c, r));
}

const decisionsIn = async (c: CustomerStream): Promise<RecordedEvent[]> =>
  (await stores.store.readStream(customerStream(c.tenantId, c.customerId))).filter((e) => e.type === 'NextBestActionDecided');

const messagesOf = (c: CustomerStream, topic: string, from = received) =>
  eventually(
    async () => {
      const mine = from.filter((m) => m.topic === topic && m.value.tenantId === c.tenantId);
      return mine.length > 0 ? mine.map((m) => m.value) : undefined;
    },
    // The relay publishes after the worker's append; under the whole suite's load on two cores the
    // default 30 s was once not enough for the first decision of the run (the relay's consumer start).
    { what: `a decision on ${topic}`, timeoutMs: 90_000 },
  );

jest.setTimeout(180_000);

describe('decisions a platform can act on', () => {
  describe('when a customer writes three messages within the debounce window', () => {
    it('makes one decision naming all three triggers in order, with the address of the chosen channel', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const burst = [
        c.message('m1', ago(6), 'hi'),
        c.message('m2', ago(4), 'one question'),
        c.message('m3', ago(2), 'How do I reset my password?'),
      ];
      await recordAndRoute(c, burst);

      const [action] = (await messagesOf(c, v1)) as NbaDecisionMessage[];
      const triggers = burst.map((e) => ({ eventId: e.metadata.eventId, type: 'InteractionRecorded', occurredAt: e.metadata.occurredAt }));
      expect(action).toEqual(
        expect.objectContaining({
          kind: 'action',
          // Three contacts in a row: a person takes over, on the channel the customer wrote on.
          action: expect.objectContaining({ kind: 'escalation', channel: 'sms' }),
          contactMode: 'handoff',
          basedOnEventId: c.id('m3'),
          triggers,
          // The customer's phone (the identity their SMS came from), as their folded state has it.
          address: { channel: 'sms', kind: 'phone', value: '+14155550100' },
        }),
      );
      const { state } = await stores.customers.load(c.tenantId, c.customerId);
      expect(state.identities).toContainEqual({ kind: 'phone', value: action!.address!.value });
      await eventually(async () => (received.some((m) => m.topic === v2 && m.value.decisionId === action!.decisionId) ? true : undefined), {
        what: 'the decision on v2',
      });
      // One decision for the burst: the jobs replaced one another in the queue; any that ran later found it decided.
      await eventually(async () => ((await decideQueue.getJobCounts('delayed', 'waiting', 'active')).delayed === 0 ? true : undefined), {
        what: 'the queue drained',
      });
      expect((await decisionsIn(c)).map((d) => d.eventId)).toEqual([action!.decisionId]);
      // Stored sealed: the address is not in the stored bytes.
      const [stored] = (await stores.raw.readStream(customerStream(c.tenantId, c.customerId))).filter(
        (e) => e.type === 'NextBestActionDecided',
      );
      expect(JSON.stringify(stored!.data)).not.toContain('+14155550100');
    });
  });

  describe('when no action applies to what the customer said', () => {
    it('publishes a no-action decision with its reason on v2, and nothing on v1', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const at = ago(2);
      await recordAndRoute(c, [c.message('m1', at, 'ok')]);

      const [none] = await messagesOf(c, v2);
      expect(none).toEqual(
        expect.objectContaining({
          kind: 'no-action',
          contactMode: 'none',
          action: expect.objectContaining({ kind: 'none' }),
          noAction: { reason: 'no_eligible_action' },
          triggers: [{ eventId: c.id('m1'), type: 'InteractionRecorded', occurredAt: at }],
        }),
      );
      expect(none).not.toHaveProperty('address');
      // A later decision that contacts the customer is the first on v1: the no-action one never was.
      await recordAndRoute(c, [c.message('m2', ago(1), 'What are your opening hours?')]);
      const onV1 = await messagesOf(c, v1);
      expect(onV1.map((m) => [m.kind, m.action.code])).toEqual([['action', 'kb_opening_hours']]);
      expect(onV1.some((m) => m.decisionId === none!.decisionId)).toBe(false);
    });
  });

  describe('when the customer is erased after a decision was recorded', () => {
    it('publishes that decision without an address, and makes no later decision for them', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await stores.customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?')]);
      const before = (await stores.store.readStream(customerStream(c.tenantId, c.customerId))).at(-1)!.globalPosition;
      const job = new NbaDecideJob(stores.customers);
      const decided = await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr-erase' },
        new Date('2026-11-23T09:00:01.000Z'),
      );
      expect(decided.kind).toBe('decided');
      await eraseCustomerRecord(stores, {
        tenantId: c.tenantId,
        customerId: c.customerId,
        reason: 'gdpr-art17',
        requestedBy: 'dpo-1',
        now: '2026-11-23T10:00:00.000Z',
      });

      // A relay that reaches the decision only now (a late relay, a replay to a new topic) cannot open its address.
      const [lateV1, lateV2] = [freshId('late-v1'), freshId('late-v2')];
      await ensureTopics(kafka(), [
        { topic: lateV1, numPartitions: 1 },
        { topic: lateV2, numPartitions: 1 },
      ]);
      relays.push(
        await startNbaDecisionRelay({
          store: stores.store,
          checkpoints,
          publisher,
          topic: lateV1,
          topicV2: lateV2,
          logger: quiet,
          fromWhenNoCheckpoint: before,
        }),
      );
      const late: { topic: string; value: NbaDecisionMessageV2 }[] = [];
      await read([lateV1], late);
      const [message] = await messagesOf(c, lateV1, late);
      expect(message).toEqual(expect.objectContaining({ kind: 'action', decisionId: (decided as { decisionId: string }).decisionId }));
      expect(message).not.toHaveProperty('address');

      // Erased: a decide job for them decides nothing more — a retry, and a trigger that reached their
      // stream after the erasure (the recorders refuse to write there; a writer that did not would
      // make the fold read them as active again, with the identity it named).
      const retried = await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr-retry' },
        new Date('2026-11-23T10:00:01.000Z'),
      );
      expect(retried).toEqual({ kind: 'nothing_to_decide' });
      await stores.customers.append(c.tenantId, c.customerId, [
        c.message('m2', '2026-11-23T11:00:00.000Z', 'What are your opening hours?'),
      ]);
      const later = await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m2'), correlationId: 'corr-after' },
        new Date('2026-11-23T11:00:01.000Z'),
      );
      expect(later).toEqual({ kind: 'nothing_to_decide' });
    });
  });
});
