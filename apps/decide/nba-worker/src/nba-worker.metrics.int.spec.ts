import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { hubNames, type CustomerEventMessage } from '@hub/contracts';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import type { StartedWorkerApp } from '@hub/platform';
import { eventually, freshDatabase, freshId, sampleValue, samplesOf, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startNbaWorker } from './main';
import { CustomerStream } from './testing/customer-stream';

/**
 * The nba-worker (in-process) with its probe server: a customer's message on the real
 * customer-events topic is decided, and its `GET /metrics` beside `/health/*` counts the decision,
 * reads its BullMQ queues' depths on scrape and its consumer's lag per partition.
 */
jest.setTimeout(120_000);

const infra = testInfra();
const namespace = freshId('nbam').toLowerCase();
const names = hubNames(namespace);
let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let stores: CustomerStores;
let worker: StartedWorkerApp;

beforeAll(async () => {
  db = await freshDatabase('nba_metrics');
  pool = new Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  worker = await startNbaWorker({
    DATABASE_URL: db.url,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HUB_NAMESPACE: namespace,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    NBA_DEBOUNCE_MS: '0',
    NBA_OUTBOUND_EVERY_MS: '0',
    HEALTH_PORT: '0',
  });
}, 60_000);

afterAll(async () => {
  await worker?.app.close();
  const redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  for (const name of [names.queues.nbaDecide, names.queues.nbaFollowUp]) {
    const q = new Queue(name, { connection: redis });
    await q.obliterate({ force: true });
    await q.close();
  }
  redis.disconnect();
  await stores?.store.close();
  await pool?.end();
  await db?.drop();
});

const scrape = async (): Promise<string> => {
  const res = await fetch(`${worker.healthUrl!}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

describe("the nba-worker's metrics", () => {
  it('count a decision made off a real customer event, with the queues read on scrape and the consumer caught up', async () => {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    const message = c.message('m1', new Date().toISOString(), 'How do I reset my password?');
    await stores.customers.append(c.tenantId, c.customerId, [message]);
    // What the projector's relay would publish for it.
    const producer = new Kafka({ clientId: freshId('nbam'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const value: CustomerEventMessage = {
      type: message.type,
      tenantId: c.tenantId,
      customerId: c.customerId,
      streamRevision: '0',
      globalPosition: '0',
      data: message.data,
      metadata: message.metadata,
    };
    await producer.send({ topic: names.topics.customerEvents, messages: [{ key: c.customerId, value: JSON.stringify(value) }] });
    await producer.disconnect();

    const text = await eventually(
      async () => {
        const t = await scrape();
        return sampleValue(t, 'hub_nba_decisions_total', { outcome: 'decided' }) === 1 ? t : undefined;
      },
      { what: 'one decision on /metrics', timeoutMs: 60_000 },
    );
    for (const queue of [names.queues.nbaDecide, names.queues.nbaFollowUp])
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(samplesOf(text, 'hub_queue_jobs').filter((s) => s.labels['queue'] === queue && s.labels['state'] === state)).toHaveLength(1);
    expect(sampleValue(text, 'hub_queue_jobs', { queue: names.queues.nbaDecide, state: 'failed' })).toBe(0);
    const lag = samplesOf(text, 'hub_kafka_consumer_lag_messages').filter((s) => s.labels['topic'] === names.topics.customerEvents);
    expect(lag.length).toBeGreaterThan(0);
    expect(lag.every((s) => s.value === 0)).toBe(true);
    expect(text).toMatch(/^hub_process_cpu_seconds_total\{app="nba-worker"\} /m);
  });
});
