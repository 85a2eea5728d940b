import { Pool } from 'pg';
import pino from 'pino';
import {
  customerStream,
  deterministicId,
  type ConsentReceived,
  type ConversationStatusReceived,
  type InteractionReceived,
  type TraitsReceived,
} from '@hub/contracts';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore } from '@hub/event-store';
import { PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import { PostgresTimelineStore, TimelineProjector } from '@hub/timeline';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { handleInteractionBatch, handleInteractionMessage, type InteractionHandlerDeps } from './interaction.handler';

const infra = testInfra();
const logger = pino({ level: 'silent' });
let pool: Pool;
let stores: CustomerStores;
let timeline: PostgresTimelineStore;
let checkpoints: PostgresCheckpointStore;
let deps: InteractionHandlerDeps;

function interaction(tenantId: string, phone: string, text: string, providerId = freshId('SM')): InteractionReceived {
  const eventId = deterministicId('sms', 'twilio', 'AC1', providerId);
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
      occurredAt: '2026-11-23T10:00:00.000Z',
      recordedAt: '2026-11-23T10:00:00.100Z',
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

/** A platform's word (through the generic API) that the customer's conversation on `channel` was resolved. */
function resolution(
  tenantId: string,
  phone: string,
  { channel = 'sms', threadId, at = '2026-11-23T10:05:00.000Z' }: { channel?: string; threadId?: string; at?: string } = {},
): ConversationStatusReceived {
  const eventId = deterministicId('conversation-status', tenantId, 'ccx', freshId('conv'), 'resolved', at);
  return {
    type: 'ConversationStatusReceived',
    data: {
      identities: [{ kind: 'phone', value: phone }],
      status: 'resolved',
      ...(threadId ? { threadId } : {}),
      provider: { name: 'ccx', conversationId: 'conv-1' },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at,
      occurredAtSource: 'provider',
      recordedAt: at,
      schemaVersion: 1,
      tenantId,
      channel: channel as 'sms',
    },
  };
}

/** A platform's preference centre: the customer opted out of (or in to) `channel`. */
function consent(
  tenantId: string,
  phone: string,
  choice: 'opted_in' | 'opted_out',
  { channel = 'sms', source = 'preference_centre' } = {},
): ConsentReceived {
  const eventId = deterministicId('consent', tenantId, 'ccx', freshId('change'));
  return {
    type: 'ConsentReceived',
    data: { identities: [{ kind: 'phone', value: phone }], consent: choice, source, provider: { name: 'ccx' } },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-11-23T10:06:00.000Z',
      occurredAtSource: 'provider',
      recordedAt: '2026-11-23T10:06:00.000Z',
      schemaVersion: 1,
      tenantId,
      channel: channel as 'sms',
    },
  };
}

const asMessage = (value: unknown, offset = '0'): ConsumedMessage => ({
  topic: 'hub.interactions.v1',
  partition: 0,
  offset,
  key: 'k',
  value: Buffer.from(JSON.stringify(value)),
  headers: {},
});

/** Project one tenant's customer streams into the read model, as the running projector does. */
async function project(tenantId: string): Promise<void> {
  const projector = new TimelineProjector({
    store: stores.store,
    timeline,
    checkpoints,
    subscriptionId: freshId('test-projection'),
    streamPrefix: `customer-${tenantId}.`,
    logger,
  });
  const subscription = await projector.start();
  await subscription.caughtUp;
  await projector.stop();
}

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 20 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  timeline = new PostgresTimelineStore(pool);
  await timeline.ensureSchema();
  checkpoints = await PostgresCheckpointStore.create({ pool });
  deps = { customers: stores.customers, identities: stores.identities, logger, clock: () => new Date('2026-11-23T10:00:01.000Z') };
});

afterAll(async () => {
  await stores.store.close();
  await pool.end();
});

describe('when a first interaction arrives from an unknown phone number', () => {
  it('registers the customer, records the interaction in their stream, and the projection shows it', async () => {
    const tenant = freshId('tn');
    const event = interaction(tenant, '+14155550001', 'hello');
    await handleInteractionMessage(deps, asMessage(event));
    await project(tenant);

    const customerId = await timeline.findCustomerIdByIdentity(tenant, 'phone', '+14155550001');
    expect(customerId).toBeDefined();
    const stream = await stores.store.readStream(customerStream(tenant, customerId!));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded']);
    expect(stream[1]!.eventId).toBe(event.metadata.eventId);
    const entries = await timeline.getTimeline(tenant, customerId!);
    expect(entries).toEqual([expect.objectContaining({ eventId: event.metadata.eventId, text: 'hello', streamRevision: '1' })]);
  });
});

describe('when the same interaction is delivered again', () => {
  it('appends nothing, and the timeline holds it once', async () => {
    const tenant = freshId('tn');
    const event = interaction(tenant, '+14155550002', 'once');
    await handleInteractionMessage(deps, asMessage(event));
    await handleInteractionMessage(deps, asMessage(event, '1'));
    await handleInteractionMessage(deps, asMessage(event, '2'));
    await project(tenant);
    await project(tenant); // a second projector (another processor id) over the same history
    const customerId = (await timeline.findCustomerIdByIdentity(tenant, 'phone', '+14155550002'))!;
    expect((await stores.store.readStream(customerStream(tenant, customerId))).map((e) => e.type)).toEqual([
      'CustomerRegistered',
      'InteractionRecorded',
    ]);
    expect(await timeline.getTimeline(tenant, customerId)).toHaveLength(1);
    expect((await timeline.getCustomer(tenant, customerId))!.interactions).toBe(1);
  });
});

describe('when ten first contacts from one phone number arrive at once', () => {
  it('creates exactly one customer holding all ten interactions', async () => {
    const tenant = freshId('tn');
    const events = Array.from({ length: 10 }, (_, i) => interaction(tenant, '+14155550003', `msg ${i}`));
    await Promise.all(events.map((e, i) => handleInteractionMessage(deps, asMessage(e, String(i)))));
    await project(tenant);
    const ids = await pool.query('select distinct customer_id from timeline_entries where tenant_id = $1', [tenant]);
    expect(ids.rowCount).toBe(1);
    const customerId = (ids.rows[0] as { customer_id: string }).customer_id;
    const stream = await stores.store.readStream(customerStream(tenant, customerId));
    expect(stream.filter((e) => e.type === 'CustomerRegistered')).toHaveLength(1);
    expect(stream.filter((e) => e.type === 'InteractionRecorded')).toHaveLength(10);
  });
});

describe('when two tenants hear from the same phone number', () => {
  it('keeps two separate customers', async () => {
    const [a, b] = [freshId('tn'), freshId('tn')];
    await handleInteractionMessage(deps, asMessage(interaction(a, '+14155550004', 'from a')));
    await handleInteractionMessage(deps, asMessage(interaction(b, '+14155550004', 'from b')));
    await project(a);
    await project(b);
    const ca = await timeline.findCustomerIdByIdentity(a, 'phone', '+14155550004');
    const cb = await timeline.findCustomerIdByIdentity(b, 'phone', '+14155550004');
    expect(ca).toBeDefined();
    expect(cb).toBeDefined();
    expect(ca).not.toBe(cb);
    expect(await timeline.getTimeline(a, cb!)).toEqual([]);
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
    expect(await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550005' })).toBeUndefined();
  });

  it('fails permanently on a value that is not JSON', async () => {
    const err = await handleInteractionMessage(deps, { ...asMessage({}), value: Buffer.from('{nope') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentMessageError);
    expect((err as PermanentMessageError).code).toBe('INVALID_JSON');
  });
});

describe('when a run of messages mixes valid interactions with ones that can never be recorded', () => {
  it('dead-letters those with the reason and records the rest, in order', async () => {
    const tenant = freshId('tn');
    const first = interaction(tenant, '+14155550006', 'first');
    const bad = interaction(tenant, '+14155550006', 'bad') as unknown as { data: Record<string, unknown> };
    bad.data['direction'] = 'sideways';
    const last = interaction(tenant, '+14155550006', 'last');
    const run = [asMessage(first, '0'), { ...asMessage({}, '1'), value: Buffer.from('{nope') }, asMessage(bad, '2'), asMessage(last, '3')];

    const outcomes = await handleInteractionBatch(deps, run);

    expect(outcomes.map((o) => o?.code)).toEqual([undefined, 'INVALID_JSON', 'INVALID_EVENT', undefined]);
    expect(outcomes[2]!.message).toMatch(/data\.direction/);
    const owner = (await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550006' }))!;
    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.map((e) => e.eventId).filter((id) => id !== stream[0]!.eventId)).toEqual([first.metadata.eventId, last.metadata.eventId]);

    // The run again (a redelivery after a crash before the commit): nothing twice.
    expect((await handleInteractionBatch(deps, run)).map((o) => o?.code)).toEqual([undefined, 'INVALID_JSON', 'INVALID_EVENT', undefined]);
    expect(await stores.store.readStream(customerStream(tenant, owner))).toHaveLength(stream.length);
  });
});

describe('when a platform says a conversation was resolved (ConversationStatusReceived)', () => {
  it('given a known customer, then ConversationResolved is appended to their stream under the status’s id, once', async () => {
    const tenant = freshId('tn');
    await handleInteractionMessage(deps, asMessage(interaction(tenant, '+14155550007', 'my parcel is late')));
    const status = resolution(tenant, '+14155550007', { threadId: 'th-1' });
    await handleInteractionMessage(deps, asMessage(status, '1'));
    await handleInteractionMessage(deps, asMessage(status, '2'));
    const owner = (await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550007' }))!;
    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded', 'ConversationResolved']);
    const resolved = stream[2]!;
    expect(resolved.eventId).toBe(status.metadata.eventId);
    expect(resolved.data).toEqual({ channel: 'sms', threadId: 'th-1' });
    expect(resolved.metadata).toMatchObject({
      tenantId: tenant,
      channel: 'sms',
      occurredAt: '2026-11-23T10:05:00.000Z',
      recordedAt: '2026-11-23T10:00:01.000Z',
    });
  });

  it('given nobody holds its identities, then nothing is recorded and no customer is made', async () => {
    const tenant = freshId('tn');
    await handleInteractionMessage(deps, asMessage(resolution(tenant, '+14155550008')));
    expect(await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550008' })).toBeUndefined();
  });

  it('given a run mixing interactions and a status, then each is recorded in the order it came; a bad status is dead-lettered', async () => {
    const tenant = freshId('tn');
    const before = interaction(tenant, '+14155550009', 'hello');
    const status = resolution(tenant, '+14155550009');
    const after = interaction(tenant, '+14155550009', 'one more thing');
    const system = resolution(tenant, '+14155550009', { channel: 'system' });
    const unknownStatus = { ...status, data: { ...status.data, status: 'snoozed' } };
    const run = [
      asMessage(before, '0'),
      asMessage(status, '1'),
      asMessage(system, '2'),
      asMessage(unknownStatus, '3'),
      asMessage(after, '4'),
    ];

    const outcomes = await handleInteractionBatch(deps, run);

    expect(outcomes.map((o) => o?.code)).toEqual([undefined, undefined, 'INVALID_EVENT', 'INVALID_EVENT', undefined]);
    expect(outcomes[3]!.message).toMatch(/data\.status/);
    const owner = (await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550009' }))!;
    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.slice(1).map((e) => e.eventId)).toEqual([before.metadata.eventId, status.metadata.eventId, after.metadata.eventId]);
  });
});

describe('when a platform says a customer’s consent changed (ConsentReceived)', () => {
  it('given a known customer, then ConsentChanged is appended to their stream with the platform’s source, once', async () => {
    const tenant = freshId('tn');
    await handleInteractionMessage(deps, asMessage(interaction(tenant, '+14155550010', 'hi')));
    const change = consent(tenant, '+14155550010', 'opted_out');
    await handleInteractionMessage(deps, asMessage(change, '1'));
    await handleInteractionMessage(deps, asMessage(change, '2'));
    const owner = (await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550010' }))!;
    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded', 'ConsentChanged']);
    expect(stream[2]!.eventId).toBe(change.metadata.eventId);
    expect(stream[2]!.data).toEqual({ channel: 'sms', consent: 'opted_out', source: 'preference_centre' });
    const { state } = await stores.customers.load(tenant, owner);
    expect(state.consent['sms']).toBe('opted_out');
  });

  it('given nobody holds its identities, then the customer is registered with it: the opt-out holds before any contact', async () => {
    const tenant = freshId('tn');
    const change = consent(tenant, '+14155550011', 'opted_out', { channel: 'whatsapp' });
    await handleInteractionMessage(deps, asMessage(change));
    const owner = (await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550011' }))!;
    expect(owner).toBeDefined();
    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'ConsentChanged']);
    const { state } = await stores.customers.load(tenant, owner);
    expect(state.consent['whatsapp']).toBe('opted_out');
  });

  it('given a source of keyword (the hub’s own, for STOP texts), then it is dead-lettered', async () => {
    const tenant = freshId('tn');
    const err = await handleInteractionMessage(deps, asMessage(consent(tenant, '+14155550012', 'opted_in', { source: 'keyword' }))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PermanentMessageError);
    expect((err as PermanentMessageError).message).toMatch(/data\.source/);
  });
});

describe('when a platform sends a customer’s profile attributes (TraitsReceived)', () => {
  const traits = (tenantId: string, phone: string, values: Record<string, string | number | boolean | null>): TraitsReceived => {
    const eventId = deterministicId('traits', tenantId, 'ccx', freshId('update'));
    return {
      type: 'TraitsReceived',
      data: { identities: [{ kind: 'phone', value: phone }], traits: values, provider: { name: 'ccx' } },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: '2026-11-23T10:07:00.000Z',
        occurredAtSource: 'provider',
        recordedAt: '2026-11-23T10:07:00.000Z',
        schemaVersion: 1,
        tenantId,
        channel: 'system',
      },
    };
  };

  it('given a customer nobody knows yet, then they are registered with TraitsUpdated, and the state holds the attributes', async () => {
    const tenant = freshId('tn');
    const update = traits(tenant, '+14155550013', { tier: 'gold', seats: 40 });
    await handleInteractionMessage(deps, asMessage(update));
    await handleInteractionMessage(deps, asMessage(update, '1'));
    const owner = (await stores.identities.ownerOf(tenant, { kind: 'phone', value: '+14155550013' }))!;
    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'TraitsUpdated']);
    expect(stream[1]!.eventId).toBe(update.metadata.eventId);
    const { state } = await stores.customers.load(tenant, owner);
    expect(state.traits).toEqual({ tier: 'gold', seats: 40 });
  });

  it('given a trait the hub cannot keep, then it is dead-lettered naming it', async () => {
    const err = await handleInteractionMessage(deps, asMessage(traits(freshId('tn'), '+14155550014', { 'not a name': 1 }))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PermanentMessageError);
    expect((err as PermanentMessageError).message).toMatch(/data\.traits/);
  });
});

describe('when a platform sends its own chat (channel chat, through the generic API: no webhook adapter)', () => {
  /** A chat message as ingest-api publishes it: the platform's customer id as an `external` identity. */
  const chat = (tenantId: string, customer: string, text: string, at: string): InteractionReceived => {
    const eventId = deterministicId('ingest-api', tenantId, 'genesys', freshId('chat'));
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'external', namespace: 'genesys', value: customer }],
        content: { text, media: [] },
        threadId: 'conv-7',
        provider: { name: 'genesys', messageId: eventId },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: at,
        occurredAtSource: 'provider',
        recordedAt: at,
        schemaVersion: 1,
        tenantId,
        channel: 'chat',
      },
    };
  };

  it('records and projects it on chat: the timeline entry, the preferred channel, and consent on chat kept apart from webchat', async () => {
    const tenant = freshId('tn');
    const customer = freshId('cust');
    const first = chat(tenant, customer, 'where is my order?', '2026-11-23T10:00:00.000Z');
    const second = chat(tenant, customer, 'any news?', '2026-11-23T10:03:00.000Z');
    await handleInteractionBatch(deps, [asMessage(first, '0'), asMessage(second, '1')]);
    const identity = { kind: 'external' as const, namespace: 'genesys', value: customer };
    const owner = (await stores.identities.ownerOf(tenant, identity))!;
    const optOut = consent(tenant, '+14155550099', 'opted_out', { channel: 'chat' });
    optOut.data.identities = [identity];
    await handleInteractionMessage(deps, asMessage(optOut, '2'));
    await project(tenant);

    const stream = await stores.store.readStream(customerStream(tenant, owner));
    expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded', 'InteractionRecorded', 'ConsentChanged']);
    expect(await timeline.getTimeline(tenant, owner)).toEqual([
      expect.objectContaining({ eventId: first.metadata.eventId, channel: 'chat', kind: 'message', text: 'where is my order?' }),
      expect.objectContaining({ eventId: second.metadata.eventId, channel: 'chat', kind: 'message', text: 'any news?' }),
    ]);
    expect(await timeline.getCustomer(tenant, owner)).toEqual(expect.objectContaining({ channels: ['chat'], interactions: 2 }));
    const { state } = await stores.customers.load(tenant, owner);
    expect(state.preferredChannel).toBe('chat');
    expect(state.consent['chat']).toBe('opted_out');
    expect(state.consent['webchat']).toBeUndefined();
  });
});
