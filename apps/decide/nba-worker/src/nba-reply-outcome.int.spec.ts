import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { customerStream, hubNames } from '@hub/contracts';
import { customerEventMessage, type CustomerEvent, type NbaOutcomeRecorded } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { nbaReplyId, outcomeEventId } from '@hub/nba';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess, TEST_IDENTITY_NAMING } from '@hub/testing';
import { replyOutcomeJobId } from './bullmq.nba-follow-ups';
import { NbaDecideJob } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';

/**
 * The customer's answer, end to end through the worker's process: a decision that contacted the
 * customer on WhatsApp, then their press of the button the sender put on it (`nba:<decisionId>:accept`),
 * recorded in their stream and relayed to `hub.customer-events.v1` as the projector's relay does.
 * The worker links the reply to the decision and appends exactly one `NbaOutcomeRecorded`; the same
 * message delivered again records nothing more.
 */
jest.setTimeout(120_000);

const infra = testInfra();
const namespace = freshId('nbar').toLowerCase();
const names = hubNames(namespace);
let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let stores: CustomerStores;
let redis: IORedis;
let followUps: Queue;
let producer: Producer;
let worker: AppProcess | undefined;

beforeAll(async () => {
  db = await freshDatabase('nba_reply');
  pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  followUps = new Queue(names.queues.nbaFollowUp, { connection: redis });
  producer = new Kafka({ clientId: freshId('reply-relay'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  // Started before the customer exists: the boot's reconciliation has nothing of theirs to decide.
  worker = await startAppProcess(
    'nba-worker',
    {
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: namespace,
      LOG_LEVEL: 'info',
      NBA_DEBOUNCE_MS: '0',
      NBA_NO_RESPONSE_AFTER_MS: '3600000',
      NBA_OUTBOUND_EVERY_MS: '0',
      NBA_DECISIONS_RELAY_START: 'beginning',
    },
    { logSuffix: `-${namespace}` },
  );
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await producer?.disconnect();
  await followUps?.obliterate({ force: true });
  await followUps?.close();
  const decide = new Queue(names.queues.nbaDecide, { connection: redis });
  await decide.obliterate({ force: true });
  await decide.close();
  redis?.disconnect();
  await pool?.end();
  await db?.drop();
});

/** Relay the customer's stored events with these ids to the worker's topic, as the projector's relay does (keyed by customer). */
async function relay(c: CustomerStream, eventIds: string[]): Promise<void> {
  const stored = await stores.store.readStream(customerStream(c.tenantId, c.customerId));
  const messages = stored
    .filter((e) => eventIds.includes(String(e.metadata['eventId'])))
    .map((e) => customerEventMessage(e)!)
    .map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers }));
  expect(messages).toHaveLength(eventIds.length);
  await producer.send({ topic: names.topics.customerEvents, messages });
}

const outcomesOf = async (c: CustomerStream): Promise<NbaOutcomeRecorded[]> =>
  (await stores.customers.history(c.tenantId, c.customerId)).events.filter((e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded');

function buttonReply(c: CustomerStream, name: string, at: string, id: string): CustomerEvent {
  return {
    type: 'InteractionRecorded',
    data: {
      channel: 'whatsapp',
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550100' }],
      content: { text: 'Yes, send it', media: [] },
      provider: { name: 'meta', messageId: `wamid.${c.id(name)}` },
      interactive: { type: 'button', id, title: 'Yes, send it' },
    },
    metadata: c.meta(name, at, 'whatsapp'),
  };
}

describe('the nba-worker linking a WhatsApp button reply to the decision it answers', () => {
  it('records the decision accepted once, and a redelivered reply records nothing more', async () => {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    const asked = new Date();
    await stores.customers.append(c.tenantId, c.customerId, [
      c.registered(asked.toISOString()),
      c.message('m1', asked.toISOString(), 'How do I reset my password?', 'inbound', 'whatsapp'),
    ]);
    const decided = await new NbaDecideJob(stores.customers).run(
      { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr-ask' },
      new Date(asked.getTime() + 1_000),
    );
    if (decided.kind !== 'decided') throw new Error(`no decision: ${decided.kind}`);
    const pressedAt = new Date(asked.getTime() + 2_000).toISOString();
    await stores.customers.append(c.tenantId, c.customerId, [buttonReply(c, 'press', pressedAt, nbaReplyId(decided.decisionId, 'accept'))]);

    await relay(c, [c.id('press')]);
    const [outcome] = await eventually(
      async () => {
        const outcomes = await outcomesOf(c);
        return outcomes.length > 0 ? outcomes : undefined;
      },
      { what: 'the reply recorded as the outcome' },
    );
    expect(outcome!.data).toEqual({
      decisionId: decided.decisionId,
      actionId: decided.action,
      outcome: 'accepted',
      segment: expect.any(String),
      channel: 'whatsapp',
      source: 'reply',
    });
    expect(outcome!.metadata).toEqual(
      expect.objectContaining({
        eventId: outcomeEventId(c.tenantId, c.customerId, decided.decisionId),
        causationId: c.id('press'),
        occurredAt: pressedAt,
      }),
    );

    // Kafka redelivers the reply; then an order (keyed alike, so routed after it) whose own link job
    // finishing says the redelivery was routed. The decision is answered: the order answers nothing.
    await relay(c, [c.id('press')]);
    const order: CustomerEvent = {
      type: 'OrderPlaced',
      data: { orderId: 'A-1', amount: 4_900, currency: 'EUR' },
      metadata: c.meta('order', new Date(asked.getTime() + 3_000).toISOString()),
    };
    await stores.customers.append(c.tenantId, c.customerId, [order]);
    await relay(c, [c.id('order')]);
    const linked = await eventually(
      async () => {
        const job = await followUps.getJob(replyOutcomeJobId(c.id('order')));
        return job && (await job.getState()) === 'completed' ? (job.returnvalue as unknown) : undefined;
      },
      { what: 'the order’s link job done' },
    );
    expect(linked).toEqual({ kind: 'not_an_outcome', reason: 'no_open_decision' });
    expect(await outcomesOf(c)).toHaveLength(1);
    const pressJob = await followUps.getJob(replyOutcomeJobId(c.id('press')));
    expect(pressJob?.returnvalue).toEqual(expect.objectContaining({ kind: 'recorded', decisionId: decided.decisionId, source: 'reply' }));
  });
});
