import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import pino from 'pino';
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  customerStream,
  deterministicId,
  DEV_IDENTITY_HASH_KEY,
  IdentityHasher,
  interactionMessage,
  type InteractionReceived,
} from '@hub/contracts';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore } from '@hub/event-store';
import { ensureTopics, KafkaEventPublisher, startConsumer, type RunningConsumer } from '@hub/messaging';
import { registerTracing, serverSpan, type Tracing } from '@hub/platform';
import { PostgresTimelineStore, TimelineProjector } from '@hub/timeline';
import { eventually, freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startCustomerEventRelay } from './customer-event.relay';
import { handleInteractionBatch, type InteractionHandlerDeps } from './interaction.handler';

/**
 * One trace from the HTTP edge to the customer's stream, with an in-memory exporter and the real
 * Kafka and PostgreSQL: the SERVER span of a request (`serverSpan`, as the webhook and API
 * controllers wrap their handling) is the parent of the PRODUCER span of its publish, which puts its
 * context in the message's `traceparent` header; the recorder's CONSUMER span links to that context
 * (and continues it when its run is one message); the `event-store append` is the consumer span's
 * child, and the stored events keep its `traceparent` in their metadata; the projection's and the
 * relay's spans link to that append, and the relayed message carries the relay's publish context.
 */
const infra = testInfra();
const logger = pino({ level: 'silent' });
const hasher = IdentityHasher.fromBase64(DEV_IDENTITY_HASH_KEY);
const exporter = new InMemorySpanExporter();
const topic = freshId('trace-interactions');
const received: string[] = [];
let tracing: Tracing;
let kafka: Kafka;
let publisher: KafkaEventPublisher;
let pool: Pool;
let stores: CustomerStores;
let consumer: RunningConsumer;

function interaction(tenantId: string, phone: string, text: string): InteractionReceived {
  const providerId = freshId('SM');
  const eventId = deterministicId('sms', 'twilio', tenantId, providerId);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text, media: [] },
      provider: { name: 'twilio', messageId: providerId },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-12-07T10:00:00.000Z',
      recordedAt: '2026-12-07T10:00:00.100Z',
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

/** What a webhook request does once verified: its publish, inside the request's SERVER span. */
function receive(event: InteractionReceived, headers: Record<string, string> = {}): Promise<void> {
  return serverSpan('/webhooks/twilio', 'POST', headers, () => publisher.publish(topic, [interactionMessage(event, hasher)]));
}

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const same = (a: SpanContext, b: SpanContext): boolean => a.traceId === b.traceId && a.spanId === b.spanId;
const linksTo = (span: ReadableSpan, target: ReadableSpan): boolean => span.links.some((l) => same(l.context, target.spanContext()));

/** The SERVER span of a request of this trace, and the PRODUCER span of its publish. */
function edgeSpans(traceId: string): { server: ReadableSpan; producer: ReadableSpan } {
  const server = spans().find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId)!;
  const producer = spans().find((s) => s.kind === SpanKind.PRODUCER && parentOf(s) === server.spanContext().spanId)!;
  return { server, producer };
}

beforeAll(async () => {
  tracing = registerTracing('tracing-int-spec', [new SimpleSpanProcessor(exporter)]);
  kafka = new Kafka({ clientId: freshId('trace'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
  publisher = new KafkaEventPublisher(kafka);
  pool = new Pool({ connectionString: infra.databaseUrl, max: 10 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  const deps: InteractionHandlerDeps = { customers: stores.customers, identities: stores.identities, logger, clock: () => new Date() };
  consumer = await startConsumer(kafka, {
    groupId: freshId('trace-recorder'),
    topics: [topic],
    deadLetter: { publisher, topic },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    handleBatch: async (messages) => {
      const outcomes = await handleInteractionBatch(deps, messages);
      received.push(...messages.map((m) => m.offset));
      return outcomes;
    },
    gatherPartitions: true,
  });
});

afterAll(async () => {
  await consumer.stop();
  await publisher.close();
  await stores.store.close();
  await pool.end();
  await tracing.shutdown();
});

describe('when a webhook request carries a traceparent and its interaction is recorded', () => {
  it('is one trace: SERVER → PRODUCER → CONSUMER → event-store append, and the stored events keep the append’s context', async () => {
    const tenant = freshId('tn');
    const callerTrace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const callerSpan = '0102030405060708';
    const event = interaction(tenant, '+14155550101', 'traced');
    await receive(event, { traceparent: `00-${callerTrace}-${callerSpan}-01` });

    const { server, producer } = edgeSpans(callerTrace);
    // The request continues its caller's trace; the publish is the request's child.
    expect(parentOf(server)).toBe(callerSpan);
    expect(server.name).toBe('POST /webhooks/twilio');
    expect(producer.spanContext().traceId).toBe(callerTrace);
    expect(producer.attributes['messaging.destination.name']).toBe(topic);

    const consumerSpan = await eventually(
      async () => spans().find((s) => s.kind === SpanKind.CONSUMER && linksTo(s, producer) && s.ended),
      { what: 'the consumer span linked to the producer' },
    );
    // A run of one message continues the producer's trace as well as linking to it.
    expect(consumerSpan.spanContext().traceId).toBe(callerTrace);
    expect(parentOf(consumerSpan)).toBe(producer.spanContext().spanId);

    const appends = spans().filter((s) => s.name === 'event-store append' && parentOf(s) === consumerSpan.spanContext().spanId);
    expect(appends.length).toBeGreaterThan(0);
    expect(appends.every((s) => s.spanContext().traceId === callerTrace)).toBe(true);

    const customerId = await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550101' });
    const stored = await stores.store.readStream(customerStream(tenant, customerId!));
    const recorded = stored.find((e) => e.eventId === event.metadata.eventId)!;
    const traceparent = String(recorded.metadata['traceparent']);
    const [, traceId, spanId] = traceparent.split('-');
    expect(traceId).toBe(callerTrace);
    expect(appends.map((s) => s.spanContext().spanId)).toContain(spanId);

    // What follows the store links back to the append: the projection's page and the relay's.
    const appendOfEvent = appends.find((s) => s.spanContext().spanId === spanId)!;
    const checkpoints = await PostgresCheckpointStore.create({ pool });
    const timeline = new PostgresTimelineStore(pool);
    await timeline.ensureSchema();
    const projector = new TimelineProjector({
      store: stores.store,
      timeline,
      checkpoints,
      subscriptionId: freshId('trace-projection'),
      streamPrefix: `customer-${tenant}.`,
      logger,
    });
    await (
      await projector.start()
    ).caughtUp;
    await projector.stop();
    expect(spans().some((s) => s.name === 'timeline project' && linksTo(s, appendOfEvent))).toBe(true);

    // The relay's subscription id is fixed: its checkpoint goes to a table of this test's own.
    const tablePrefix = `${freshId('trace')}_`;
    const relayCheckpoints = await PostgresCheckpointStore.create({ pool, tablePrefix });
    const relayTopic = freshId('trace-customer-events');
    await ensureTopics(kafka, [{ topic: relayTopic, numPartitions: 1 }]);
    const relay = await startCustomerEventRelay({
      store: stores.store,
      checkpoints: relayCheckpoints,
      publisher,
      topic: relayTopic,
      logger,
      fromWhenNoCheckpoint: recorded.globalPosition - 1n,
    });
    try {
      const relayed = await eventually(async () => spans().find((s) => s.name === 'relay customer-events' && linksTo(s, appendOfEvent)), {
        what: 'the relay span linked to the append',
      });
      expect(spans().some((s) => s.kind === SpanKind.PRODUCER && parentOf(s) === relayed.spanContext().spanId)).toBe(true);
    } finally {
      await relay.stop();
      await pool.query(`drop table if exists ${tablePrefix}hub_checkpoints`);
    }
  });
});

describe('when several requests’ interactions are recorded in runs of many messages', () => {
  it('links each run’s CONSUMER span to the PRODUCER span of every message it carries, and appends under it', async () => {
    const tenant = freshId('tn');
    const events = Array.from({ length: 6 }, (_, i) => interaction(tenant, `+1415555020${i}`, `message ${i}`));
    const before = received.length;
    exporter.reset(); // the first test's spans are all ended (it waited for them)
    // Requests at once: the publisher sends them together, and the consumer reads them in one run or a few.
    await Promise.all(events.map((e) => receive(e)));
    await eventually(async () => (received.length - before >= events.length ? true : undefined), { what: 'every message handled' });

    const producers = spans().filter((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.destination.name'] === topic);
    expect(producers).toHaveLength(events.length);
    const consumers = await eventually(
      async () => {
        const found = spans().filter((s) => s.kind === SpanKind.CONSUMER && producers.some((p) => linksTo(s, p)));
        return found.reduce((n, c) => n + c.links.length, 0) >= events.length ? found : undefined;
      },
      { what: 'consumer spans linking every producer' },
    );
    for (const producer of producers) {
      // Every request's SERVER span is its publish's parent; one consumer span links to it.
      expect(spans().some((s) => s.kind === SpanKind.SERVER && s.spanContext().spanId === parentOf(producer))).toBe(true);
      expect(consumers.filter((c) => linksTo(c, producer))).toHaveLength(1);
    }
    for (const c of consumers) {
      const carried = Number(c.attributes['messaging.batch.message_count']);
      expect(c.links).toHaveLength(carried);
      // A run of many messages is a trace of its own (each message's trace is linked, none is the parent).
      if (carried > 1) expect(parentOf(c)).toBeUndefined();
      expect(spans().some((s) => s.name === 'event-store append' && parentOf(s) === c.spanContext().spanId)).toBe(true);
    }
  });
});
