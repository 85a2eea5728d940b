import { Pool } from 'pg';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { HeaderNames } from '@hub/contracts';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore, type Subscription } from '@hub/event-store';
import { createKafka, ensureTopics, KafkaEventPublisher } from '@hub/messaging';
import { eventually, freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { decisionRelayId, startNbaDecisionRelay, type NbaDecisionMessage } from './nba-decision.relay';
import { NbaDecideJob } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';

/**
 * The decisions outbox against the real store and Kafka: a topic of its own, the relay started at
 * the head of the shared test store, so it sees only what this file decides.
 */
const infra = testInfra();
const quiet = { warn: () => undefined };
const topic = freshId('nba-decisions');
let pool: Pool;
let stores: CustomerStores;
let publisher: KafkaEventPublisher;
let relay: Subscription;
let consumer: Consumer;
const received: { key: string; value: NbaDecisionMessage; headers: Record<string, string> }[] = [];

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 6 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: freshId('relay-test') });
  await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
  publisher = new KafkaEventPublisher(kafka);
  await publisher.start();
  relay = await startNbaDecisionRelay({
    store: stores.store,
    checkpoints: await PostgresCheckpointStore.create({ pool }),
    publisher,
    topic,
    logger: quiet,
    fromWhenNoCheckpoint: await stores.store.headPosition(),
  });
  consumer = new Kafka({ clientId: freshId('relay-reader'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: freshId('relay-reader'),
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      received.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) as NbaDecisionMessage, headers });
    },
  });
});
afterAll(async () => {
  await consumer?.disconnect();
  await relay?.stop();
  await publisher?.close();
  await pool?.end();
});

describe('the decisions relay', () => {
  describe('when the same decide job runs twice (a retry)', () => {
    it('publishes the decision once, keyed by customer, with the decision id as event id', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await stores.customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?')]);
      const job = new NbaDecideJob(stores.customers);
      const data = { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr-relay' };
      const first = await job.run(data, new Date('2026-11-23T09:00:01.000Z'));
      expect((await job.run(data, new Date('2026-11-23T09:00:02.000Z'))).kind).toBe('already_decided');
      const decisionId = (first as { decisionId: string }).decisionId;

      // Once the relay's checkpoint is past the decision, it will not publish it again.
      const stored = (await stores.raw.readStream(`customer-${c.tenantId}.${c.customerId}`)).find((e) => e.eventId === decisionId)!;
      await eventually(
        async () => ((await new PostgresCheckpointStore(pool).load(decisionRelayId(topic))) ?? 0n) >= stored.globalPosition || undefined,
        { what: 'relay checkpoint' },
      );
      const mine = await eventually(
        async () => {
          const m = received.filter((r) => r.value.tenantId === c.tenantId);
          return m.length > 0 ? m : undefined;
        },
        { what: 'decision message' },
      );
      expect(mine).toHaveLength(1);
      const [message] = mine;
      expect(message!.key).toBe(c.customerId);
      expect(message!.headers[HeaderNames.eventId]).toBe(decisionId);
      expect(message!.value).toEqual(
        expect.objectContaining({
          decisionId,
          tenantId: c.tenantId,
          customerId: c.customerId,
          contactMode: 'reply',
          action: expect.objectContaining({ code: 'kb_password_reset', channel: 'sms' }),
          basedOnEventId: c.id('m1'),
          correlationId: 'corr-relay',
          streamRevision: '1',
        }),
      );
    });
  });

  describe('when the decision is to do nothing', () => {
    it('publishes nothing for it: there is nothing to send', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await stores.customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'ok')]);
      const r = await new NbaDecideJob(stores.customers).run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'x' },
        new Date('2026-11-23T09:00:01.000Z'),
      );
      const decisionId = (r as { decisionId: string }).decisionId;
      // A later decision that does contact the customer is published; the do-nothing one before it is not.
      await stores.customers.append(c.tenantId, c.customerId, [
        c.message('m2', '2026-11-23T09:05:00.000Z', 'What are your opening hours?'),
      ]);
      await new NbaDecideJob(stores.customers).run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m2'), correlationId: 'y' },
        new Date('2026-11-23T09:05:01.000Z'),
      );
      const mine = await eventually(
        async () => {
          const m = received.filter((x) => x.value.tenantId === c.tenantId);
          return m.length > 0 ? m : undefined;
        },
        { what: 'decision message' },
      );
      expect(mine.map((m) => m.value.action.code)).toEqual(['kb_opening_hours']);
      expect(mine.some((m) => m.value.decisionId === decisionId)).toBe(false);
    });
  });
});
