import { Pool } from 'pg';
import pino from 'pino';
import { customerStream, deterministicId, type InteractionReceived } from '@hub/contracts';
import { CustomerRepository, IdentityResolver } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { createKafka, ensureTopics, KafkaEventPublisher, PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import { PostgresTimelineStore } from '@hub/timeline';
import { freshId, testInfra } from '@hub/testing';
import { handleInteractionMessage, type InteractionHandlerDeps } from './interaction.handler';

const infra = testInfra();
let pool: Pool;
let store: PostgresEventStore;
let publisher: KafkaEventPublisher;
let deps: InteractionHandlerDeps;

function interaction(tenantId: string, phone: string, text: string, providerId = freshId('SM')): InteractionReceived {
  const eventId = deterministicId('sms', 'twilio', 'AC1', providerId);
  return {
    type: 'InteractionReceived',
    data: { direction: 'inbound', kind: 'message', identities: [{ kind: 'phone', value: phone }], content: { text, media: [] }, provider: { name: 'twilio', messageId: providerId } },
    metadata: { eventId, correlationId: eventId, causationId: eventId, occurredAt: '2026-11-23T10:00:00.000Z', recordedAt: '2026-11-23T10:00:00.100Z', schemaVersion: 1, tenantId, channel: 'sms' },
  };
}

const asMessage = (value: unknown, offset = '0'): ConsumedMessage => ({ topic: 'hub.interactions.v1', partition: 0, offset, key: 'k', value: Buffer.from(JSON.stringify(value)), headers: {} });

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 20 });
  store = await PostgresEventStore.create({ pool });
  const timeline = new PostgresTimelineStore(pool);
  await timeline.ensureSchema();
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: freshId('projector-test') });
  await ensureTopics(kafka);
  publisher = new KafkaEventPublisher(kafka);
  await publisher.start();
  deps = {
    customers: new CustomerRepository(store),
    identities: new IdentityResolver(store),
    timeline,
    publisher,
    logger: pino({ level: 'silent' }),
    clock: () => new Date('2026-11-23T10:00:01.000Z'),
  };
});

afterAll(async () => {
  await publisher.close();
  await pool.end();
});

describe('when a first interaction arrives from an unknown phone number', () => {
  it('registers the customer, records the interaction in their stream and projects the timeline', async () => {
    const tenant = freshId('tn');
    const event = interaction(tenant, '+14155550001', 'hello');
    await handleInteractionMessage(deps, asMessage(event));

    const customerId = await deps.timeline.findCustomerIdByIdentity(tenant, 'phone', '+14155550001');
    expect(customerId).toBeDefined();
    const stream = await store.readStream(customerStream(tenant, customerId!));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded']);
    expect(stream[1]!.eventId).toBe(event.metadata.eventId);
    const entries = await deps.timeline.getTimeline(tenant, customerId!);
    expect(entries).toEqual([expect.objectContaining({ eventId: event.metadata.eventId, text: 'hello', streamRevision: '1' })]);
  });
});

describe('when the same interaction is delivered again', () => {
  it('appends nothing and leaves the timeline as it was', async () => {
    const tenant = freshId('tn');
    const event = interaction(tenant, '+14155550002', 'once');
    await handleInteractionMessage(deps, asMessage(event));
    await handleInteractionMessage(deps, asMessage(event, '1'));
    await handleInteractionMessage(deps, asMessage(event, '2'));
    const customerId = (await deps.timeline.findCustomerIdByIdentity(tenant, 'phone', '+14155550002'))!;
    expect((await store.readStream(customerStream(tenant, customerId))).map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded']);
    expect(await deps.timeline.getTimeline(tenant, customerId)).toHaveLength(1);
    expect((await deps.timeline.getCustomer(tenant, customerId))!.interactions).toBe(1);
  });
});

describe('when ten first contacts from one phone number arrive at once', () => {
  it('creates exactly one customer holding all ten interactions', async () => {
    const tenant = freshId('tn');
    const events = Array.from({ length: 10 }, (_, i) => interaction(tenant, '+14155550003', `msg ${i}`));
    await Promise.all(events.map((e, i) => handleInteractionMessage(deps, asMessage(e, String(i)))));
    const ids = await pool.query('select distinct customer_id from timeline_entries where tenant_id = $1', [tenant]);
    expect(ids.rowCount).toBe(1);
    const customerId = (ids.rows[0] as { customer_id: string }).customer_id;
    const stream = await store.readStream(customerStream(tenant, customerId));
    expect(stream.filter((e) => e.type === 'CustomerRegistered')).toHaveLength(1);
    expect(stream.filter((e) => e.type === 'InteractionRecorded')).toHaveLength(10);
  });
});

describe('when two tenants hear from the same phone number', () => {
  it('keeps two separate customers', async () => {
    const [a, b] = [freshId('tn'), freshId('tn')];
    await handleInteractionMessage(deps, asMessage(interaction(a, '+14155550004', 'from a')));
    await handleInteractionMessage(deps, asMessage(interaction(b, '+14155550004', 'from b')));
    const ca = await deps.timeline.findCustomerIdByIdentity(a, 'phone', '+14155550004');
    const cb = await deps.timeline.findCustomerIdByIdentity(b, 'phone', '+14155550004');
    expect(ca).toBeDefined();
    expect(cb).toBeDefined();
    expect(ca).not.toBe(cb);
    expect((await deps.timeline.getTimeline(a, cb!))).toEqual([]);
  });
});

describe('when the message is not a valid canonical event', () => {
  it('fails permanently, naming the fields, and writes nothing', async () => {
    const tenant = freshId('tn');
    const bad = interaction(tenant, '+14155550005', 'x') as unknown as { metadata: Record<string, unknown>; data: Record<string, unknown> };
    bad.metadata['eventId'] = 'not-a-uuid';
    bad.data['direction'] = 'sideways';
    const err = await handleInteractionMessage(deps, asMessage(bad)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentMessageError);
    expect((err as PermanentMessageError).code).toBe('INVALID_EVENT');
    expect((err as Error).message).toMatch(/data\.direction/);
    expect((err as Error).message).toMatch(/metadata\.eventId/);
    expect(await deps.timeline.findCustomerIdByIdentity(tenant, 'phone', '+14155550005')).toBeUndefined();
  });

  it('fails permanently on a value that is not JSON', async () => {
    const err = await handleInteractionMessage(deps, { ...asMessage({}), value: Buffer.from('{nope') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentMessageError);
    expect((err as PermanentMessageError).code).toBe('INVALID_JSON');
  });
});
