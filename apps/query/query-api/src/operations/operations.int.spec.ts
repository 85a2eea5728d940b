import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { HeaderNames, hubNames } from '@hub/contracts';
import {
  createKafka,
  ensureTopics,
  hubTopicSpecs,
  KafkaEventPublisher,
  PermanentMessageError,
  deadLetterReference,
  startConsumer,
  type ConsumedMessage,
  type DeadLetter,
  type RunningConsumer,
} from '@hub/messaging';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startQueryApi } from '../main';

/**
 * The operator routes (`/admin/v1/dead-letters`, `/lag`, `/queues`) on the real Kafka, Redis and
 * PostgreSQL, under a namespace of their own (topics, groups and queues no other run sees): a real
 * consumer dead-letters a message, the API lists it and re-drives it, and the consumer gets it again.
 */
jest.setTimeout(90_000);

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const operatorKey = randomBytes(24).toString('base64url');
const tenant = freshId('ops');
const tenantKey = randomBytes(24).toString('base64url');
const namespace = freshId('ops');
const names = hubNames(namespace);
const infra = testInfra();
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: freshId('ops-test') });
let publisher: KafkaEventPublisher;
let consumer: RunningConsumer;
let redis: IORedis;
let queue: Queue;
let app: NestFastifyApplication;
let url = '';

/** What the consumer handled; a value containing `poison` is dead-lettered until it is in `fixed`. */
const handled: ConsumedMessage[] = [];
const fixed = new Set<string>();

type Body = Record<string, unknown>;
async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Body) : {} };
}
const ops = (method: string, path: string, body?: unknown) => call(method, `/admin/v1${path}`, operatorKey, body);

/** The dead letters of the interactions topic whose raw value contains `marker`, once there are `count`. */
async function deadLettersOf(marker: string, count = 1): Promise<DeadLetter[]> {
  return eventually(
    async () => {
      const r = await ops('GET', `/dead-letters?topic=${encodeURIComponent(names.topics.interactions)}`);
      expect(r.status).toBe(200);
      const found = (r.body['deadLetters'] as DeadLetter[]).filter((d) => JSON.stringify(d.body).includes(marker));
      return found.length >= count ? found : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `${count} dead letter(s) of ${marker}` },
  );
}

beforeAll(async () => {
  await ensureTopics(kafka, hubTopicSpecs(names));
  publisher = new KafkaEventPublisher(kafka);
  await publisher.start();
  consumer = await startConsumer(kafka, {
    groupId: names.groups.timelineProjector,
    topics: [names.topics.interactions],
    fromBeginning: true,
    deadLetter: { publisher, topic: names.topics.deadLetter },
    logger: quiet,
    handle: async (m) => {
      const v = m.value!.toString();
      const poison = /poison-\w+/.exec(v)?.[0];
      if (poison && !fixed.has(poison)) throw new PermanentMessageError('POISON', `${poison} can never be processed`);
      handled.push(m);
    },
  });
  redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(names.queues.nbaDecide, { connection: redis });
  ({ app, url } = await startQueryApi({
    DATABASE_URL: infra.databaseUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    HUB_NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${tenant}:${sha(tenantKey)}:read+write`,
    HUB_ADMIN_API_KEYS: `ops.ana:${sha(operatorKey)}`,
  }));
});

afterAll(async () => {
  await app?.close();
  await consumer?.stop();
  await publisher?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  redis?.disconnect();
});

describe('dead letters (issue #17 item 1)', () => {
  it('given a message a consumer dead-lettered, then it is listed with its reason and source, and re-driven once fixed it is handled', async () => {
    const marker = `poison-${freshId('a')}`;
    await publisher.publish(names.topics.interactions, [
      { key: 'k1', value: { marker, tenantId: tenant }, headers: { [HeaderNames.tenantId]: tenant, [HeaderNames.eventId]: marker } },
    ]);
    const [dead] = await deadLettersOf(marker);
    expect(dead).toMatchObject({
      code: 'POISON',
      reason: `${marker} can never be processed`,
      tenantId: tenant,
      eventId: marker,
      key: 'k1',
      source: { topic: names.topics.interactions, partition: expect.any(Number), offset: expect.stringMatching(/^\d+$/) },
      body: { raw: JSON.stringify({ marker, tenantId: tenant }), truncated: false },
      redrive: { possible: true, from: 'dead-letter' },
    });

    // Filters: by reason and tenant it is there; another tenant's filter does not show it.
    const byReason = await ops('GET', `/dead-letters?reason=${marker.toUpperCase()}&tenant=${tenant}&limit=5`);
    expect((byReason.body['deadLetters'] as DeadLetter[]).map((d) => d.offset)).toEqual([dead!.offset]);
    const otherTenant = await ops('GET', `/dead-letters?reason=${marker}&tenant=${tenant}x`);
    expect(otherTenant.body['deadLetters']).toEqual([]);

    fixed.add(marker);
    const redriven = await ops('POST', '/dead-letters/redrive', { partition: dead!.partition, offset: dead!.offset });
    expect(redriven).toEqual({
      status: 200,
      body: { selected: 1, redriven: [dead!.source], gone: [], changed: [], nextOffsets: expect.any(Object) },
    });
    const again = await eventually(async () => handled.find((m) => m.value!.toString().includes(marker)), {
      what: 'the re-driven message handled',
    });
    expect(again.key).toBe('k1');
    expect(JSON.parse(again.value!.toString())).toEqual({ marker, tenantId: tenant });
    // Where it was refused, as `hub dead-letters redrive` says it.
    expect(again.headers[HeaderNames.redrivenFrom]).toBe(`${dead!.source!.topic}:${dead!.source!.partition}:${dead!.source!.offset}`);
    expect(again.headers[HeaderNames.tenantId]).toBe(tenant);
    expect(Object.keys(again.headers).filter((h) => h.startsWith('hub-dlq-'))).toEqual([]);
  });

  it('given several dead letters of a topic, then re-driving the topic puts every one back', async () => {
    const markers = [`poison-${freshId('b')}`, `poison-${freshId('c')}`];
    await publisher.publish(
      names.topics.interactions,
      markers.map((marker) => ({ key: marker, value: { marker } })),
    );
    const dead = await Promise.all(markers.map((m) => deadLettersOf(m).then((d) => d[0]!)));
    markers.forEach((m) => fixed.add(m));
    const r = await ops('POST', '/dead-letters/redrive', { topic: names.topics.interactions, code: 'POISON' });
    expect(r.status).toBe(200);
    expect(r.body['redriven']).toEqual(expect.arrayContaining(dead.map((d) => d.source)));
    expect(r.body).toMatchObject({ gone: [], changed: [] });
    await eventually(async () => (markers.every((m) => handled.some((h) => h.value!.toString().includes(m))) ? true : undefined), {
      what: 'both re-driven messages handled',
    });
  });

  it('given a dead letter holding only a reference, then the re-drive reads the message from its source topic', async () => {
    const marker = `poison-${freshId('r')}`;
    await publisher.publish(names.topics.interactions, [{ key: 'k-ref', value: { marker }, headers: { [HeaderNames.tenantId]: tenant } }]);
    const [real] = await deadLettersOf(marker);
    // What a writer that keeps no payload leaves (`keep: 'reference'`): where the message is, its size and digest, and why it failed.
    const raw = Buffer.from(JSON.stringify({ marker }));
    const body = deadLetterReference(real!.source!.topic, real!.source!.partition!, real!.source!.offset!, raw);
    await publisher.publish(names.topics.deadLetter, [
      {
        key: 'k-ref',
        value: body,
        headers: {
          [HeaderNames.dlqCode]: 'REFERENCE_ONLY',
          [HeaderNames.dlqReason]: `${marker} by reference`,
          [HeaderNames.dlqSourceTopic]: real!.source!.topic,
          [HeaderNames.dlqSourcePartition]: String(real!.source!.partition),
          [HeaderNames.dlqSourceOffset]: real!.source!.offset!,
        },
      },
    ]);
    const reference = await eventually(
      async () =>
        (
          (await ops('GET', `/dead-letters?reason=reference_only&topic=${names.topics.interactions}`)).body['deadLetters'] as DeadLetter[]
        ).find((d) => d.reason?.includes(marker)),
      { what: 'the reference dead letter listed' },
    );
    expect(reference.redrive).toEqual({ possible: true, from: 'source' });
    expect(reference.body).toEqual(body);
    fixed.add(marker);
    const r = await ops('POST', '/dead-letters/redrive', { partition: reference.partition, offset: reference.offset });
    expect(r.body).toMatchObject({ selected: 1, redriven: [real!.source], gone: [], changed: [] });
    const again = await eventually(async () => handled.find((m) => m.value!.toString().includes(marker)), { what: 'the message handled' });
    expect(again.key).toBe('k-ref');
    expect(again.headers[HeaderNames.redrivenFrom]).toBe(`${real!.source!.topic}:${real!.source!.partition}:${real!.source!.offset}`);
  });

  it('given an offset where no dead letter is, or a topic Kafka does not have, then 404', async () => {
    expect(await ops('POST', '/dead-letters/redrive', { partition: 0, offset: '999999999' })).toMatchObject({
      status: 404,
      body: { reason: 'no dead letter at that partition and offset' },
    });
    expect((await ops('POST', '/dead-letters/redrive', { topic: `${namespace}.no-such-topic` })).status).toBe(404);
  });

  it('given a webhook dead letter (no source topic), then it is listed as not re-drivable and a re-drive of it is refused (409)', async () => {
    const marker = freshId('hook');
    await publisher.publish(names.topics.deadLetter, [
      {
        key: `${tenant}|sms`,
        value: {
          channel: 'sms',
          tenantId: tenant,
          contentType: 'application/json',
          raw: marker,
          rawBytes: 10,
          rawSha256: 'x',
          truncated: false,
        },
        headers: { [HeaderNames.dlqCode]: 'UNMAPPABLE', [HeaderNames.dlqReason]: 'no mapping', [HeaderNames.tenantId]: tenant },
      },
    ]);
    const listed = await eventually(
      async () =>
        ((await ops('GET', `/dead-letters?tenant=${tenant}&reason=unmappable`)).body['deadLetters'] as DeadLetter[]).find((d) =>
          JSON.stringify(d.body).includes(marker),
        ),
      { what: 'the webhook dead letter listed' },
    );
    expect(listed).toMatchObject({ source: null, channel: 'sms', redrive: { possible: false } });
    const r = await ops('POST', '/dead-letters/redrive', { partition: listed.partition, offset: listed.offset });
    expect(r).toMatchObject({ status: 409, body: { error: 'not_redrivable', reason: expect.stringContaining('no source topic') } });
  });

  it('given a bad body, then 400', async () => {
    expect((await ops('POST', '/dead-letters/redrive', { offset: 'x' })).status).toBe(400);
    expect((await ops('GET', '/dead-letters?limit=0')).status).toBe(400);
  });
});

describe('lag and queues', () => {
  it('given a group that consumed and one that never did, then each partition says how far behind it is', async () => {
    await publisher.publish(names.topics.customerEvents, [{ key: 'c1', value: { n: 1 } }]);
    const lag = await eventually(
      async () => {
        const r = await ops('GET', '/lag');
        expect(r.status).toBe(200);
        const groups = r.body['groups'] as { groupId: string; lag: number; partitions: { committed: string | null; lag: number }[] }[];
        const projector = groups.find((g) => g.groupId === names.groups.timelineProjector)!;
        const worker = groups.find((g) => g.groupId === names.groups.nbaWorker)!;
        return projector.lag === 0 && worker.lag === 1 && projector.partitions.some((p) => p.committed !== null) ? r.body : undefined;
      },
      { what: 'the projector group caught up, the worker group one behind' },
    );
    const worker = (lag['groups'] as { groupId: string; topic: string; partitions: unknown[] }[]).find(
      (g) => g.groupId === names.groups.nbaWorker,
    )!;
    expect(worker.topic).toBe(names.topics.customerEvents);
    expect(worker.partitions).toHaveLength(6);
    expect(lag['projection']).toMatchObject({
      projection: 'timeline.v1',
      head: expect.stringMatching(/^\d+$/),
      behind: expect.stringMatching(/^\d+$/),
    });
  });

  it('given a BullMQ decide queue with a waiting and a delayed job, then the counts say so', async () => {
    await queue.add('NbaDecideJob', { n: 1 });
    await queue.add('NbaDecideJob', { n: 2 }, { delay: 3_600_000 });
    const r = await ops('GET', '/queues');
    expect(r.status).toBe(200);
    const queues = r.body['queues'] as { name: string; counts: Record<string, number> }[];
    expect(queues.map((q) => q.name)).toEqual([names.queues.nbaDecide, names.queues.nbaFollowUp, names.queues.webhookDeliveries]);
    expect(queues[0]!.counts).toMatchObject({ waiting: 1, delayed: 1, active: 0, failed: 0 });
    expect(queues[1]!.counts).toMatchObject({ waiting: 0, delayed: 0 });
  });
});

describe('operators only', () => {
  it.each([
    ['GET', '/admin/v1/dead-letters'],
    ['POST', '/admin/v1/dead-letters/redrive'],
    ['GET', '/admin/v1/lag'],
    ['GET', '/admin/v1/queues'],
  ])('given a tenant key, then %s %s is 403', async (method, path) => {
    const r = await call(method, path, tenantKey, method === 'POST' ? { topic: names.topics.interactions } : undefined);
    expect(r.status).toBe(403);
  });
});

describe('without a broker or a Redis', () => {
  it('given Kafka and Redis unreachable, then the API starts and serves, and the operator routes answer 503', async () => {
    const alone = await startQueryApi({
      DATABASE_URL: infra.databaseUrl,
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      HUB_API_KEYS: `${tenant}:${sha(tenantKey)}:read`,
      HUB_ADMIN_API_KEYS: `ops.ana:${sha(operatorKey)}`,
    });
    try {
      const get = async (path: string, key: string) =>
        (await fetch(`${alone.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
      expect(await get(`/tenants/${tenant}/customers?limit=1`, tenantKey)).toBe(200);
      expect(await get('/admin/v1/queues', operatorKey)).toBe(503);
      expect(await get('/admin/v1/dead-letters', operatorKey)).toBe(503);
    } finally {
      await alone.app.close();
    }
  });
});
