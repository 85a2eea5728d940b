import { Kafka, logLevel, type Producer } from 'kafkajs';
import { deterministicId, hubNames, IdentityHasher, interactionMessage, type InteractionReceived } from '@hub/contracts';
import type { StartedWorkerApp } from '@hub/platform';
import { eventually, freshDatabase, freshId, sampleValue, samplesOf, testInfra } from '@hub/testing';
import { startProjector } from './main';

/**
 * The timeline projector (in-process) with its probe server: after real interactions and a poison
 * message on the real Kafka, its `GET /metrics` beside `/health/*` counts what the recorder recorded
 * and dead-lettered, its consumer's lag per partition back at 0, and the projection caught up.
 */
jest.setTimeout(120_000);

const infra = testInfra();
const namespace = freshId('pm').toLowerCase();
const names = hubNames(namespace);
const tenantId = freshId('t');
let db: { url: string; drop(): Promise<void> };
let projector: StartedWorkerApp;
let producer: Producer;

beforeAll(async () => {
  db = await freshDatabase('projector_metrics');
  projector = await startProjector({
    DATABASE_URL: db.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HUB_NAMESPACE: namespace,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    HEALTH_PORT: '0',
  });
  producer = new Kafka({ clientId: freshId('pm'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).producer({
    // Exactly once on the topic: a plain producer's retry (the topic's leader still being elected) writes a message twice.
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await projector?.app.close();
  await db?.drop();
});

function interaction(n: number): InteractionReceived {
  const eventId = deterministicId('sms', 'twilio', tenantId, `m${n}`);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: `+1415555${String(n).padStart(4, '0')}` }],
      content: { text: `message ${n}`, media: [] },
      provider: { name: 'twilio', messageId: `m${n}` },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: new Date().toISOString(),
      recordedAt: new Date().toISOString(),
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

const scrape = async (): Promise<string> => {
  const res = await fetch(`${projector.healthUrl!}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

describe("the timeline projector's metrics", () => {
  it('count the interactions recorded and the message dead-lettered, with the lag of its consumer and of its projection back at 0', async () => {
    const hasher = IdentityHasher.development();
    const messages = [1, 2, 3].map((n) => interactionMessage(interaction(n), hasher));
    await producer.send({
      topic: names.topics.interactions,
      messages: [
        ...messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers })),
        { key: 'poison', value: 'not json' },
      ],
    });
    const recorded = { kind: 'interaction', outcome: 'recorded', app: 'timeline-projector' };
    const text = await eventually(
      async () => {
        const t = await scrape();
        return sampleValue(t, 'hub_events_recorded_total', recorded) === 3 &&
          sampleValue(t, 'hub_dead_letters_total', { topic: names.topics.interactions }) === 1
          ? t
          : undefined;
      },
      { what: 'three interactions recorded and one dead letter on /metrics', timeoutMs: 60_000 },
    );
    expect(sampleValue(text, 'hub_dead_letters_total', { topic: names.topics.interactions, code: 'INVALID_JSON' })).toBe(1);
    // The consumer's partitions that had a batch: nothing left after it.
    const lag = samplesOf(text, 'hub_kafka_consumer_lag_messages').filter((s) => s.labels['topic'] === names.topics.interactions);
    expect(lag.length).toBeGreaterThan(0);
    expect(lag.every((s) => s.labels['group'] === names.groups.timelineProjector && s.value === 0)).toBe(true);
    // The projection and the relay follow the store (one subscription, a lag each): caught up once the three are applied and relayed.
    const projected = await eventually(
      async () => {
        const t = await scrape();
        // samplesOf, not sampleValue: a series that is not there reads 0 there.
        const lagOf = (projection: string) =>
          samplesOf(t, 'hub_projection_lag_events').find((s) => s.labels['projection'] === projection)?.value;
        return lagOf('timeline.v1') === 0 &&
          lagOf('relay.customer-events.v1') === 0 &&
          samplesOf(t, 'hub_projection_lag_seconds').length === 1
          ? t
          : undefined;
      },
      { what: 'the projection caught up on /metrics', timeoutMs: 60_000 },
    );
    expect(sampleValue(projected, 'hub_projection_lag_seconds', { projection: 'timeline.v1' })).toBeGreaterThanOrEqual(0);
    expect(projected).toMatch(/^hub_process_cpu_seconds_total\{app="timeline-projector"\} /m);
  });
});
