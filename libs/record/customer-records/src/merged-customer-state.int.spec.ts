import { Pool } from 'pg';
import { deterministicId, type ChannelId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { foldCustomer, type CustomerState } from '@hub/customer';
import { EncryptingEventStore, PostgresKeyStore } from '@hub/crypto-shredding';
import { PostgresEventStore, type EventStore } from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { CustomerRepository } from './customer.repository';
import { IdentityResolver } from './identity.resolver';
import { unmergeCustomers } from './merge-customers';
import { recordInteraction } from './record-interaction';
import { PostgresSnapshotStore } from './postgres.snapshot-store';

let pool: Pool;
let store: EventStore;
let snapshots: PostgresSnapshotStore;
/** Snapshots every 2 events: a survivor has one from before its merge. */
let customers: CustomerRepository;
/** No snapshots: the reference. */
let plain: CustomerRepository;
let identities: IdentityResolver;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  const keys = await PostgresKeyStore.create({ pool });
  store = new EncryptingEventStore(await PostgresEventStore.create({ pool }), { keys });
  snapshots = await PostgresSnapshotStore.create({ pool, keys });
  customers = new CustomerRepository(store, { store: snapshots, every: 2 });
  plain = new CustomerRepository(store);
  identities = new IdentityResolver(store, TEST_IDENTITY_NAMING);
});
afterAll(() => pool.end());

const PHONE: IdentityRef = { kind: 'phone', value: '+14155550188' };
const EMAIL: IdentityRef = { kind: 'email', value: 'dana@example.com' };
const at = (minute: number) => new Date(Date.parse('2026-11-23T10:00:00.000Z') + minute * 60_000).toISOString();

function interaction(
  tenantId: string,
  key: string,
  minute: number,
  channel: ChannelId,
  ids: IdentityRef[],
  extra: Partial<InteractionReceived['data']> = {},
): InteractionReceived {
  const eventId = deterministicId('merged-state', tenantId, key);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: ids,
      content: { text: key, media: [] },
      provider: { name: 'test', messageId: key },
      ...extra,
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at(minute),
      recordedAt: at(minute),
      schemaVersion: 1,
      tenantId,
      channel,
    },
  };
}

/** One person: emails and a survey under the email, SMS, WhatsApp and a call under the phone, then an order with both. */
function person(tenantId: string): { email: InteractionReceived[]; phone: InteractionReceived[]; order: InteractionReceived } {
  return {
    email: [
      interaction(tenantId, 'email-1', 0, 'email', [EMAIL]),
      interaction(tenantId, 'email-2', 1, 'email', [EMAIL]),
      interaction(tenantId, 'survey', 2, 'survey', [EMAIL], {
        kind: 'survey',
        survey: { surveyId: 's', kind: 'csat', score: 2, answers: [] },
      }),
    ],
    phone: [
      interaction(tenantId, 'sms-1', 3, 'sms', [PHONE]),
      interaction(tenantId, 'sms-2', 4, 'sms', [PHONE]),
      interaction(tenantId, 'whatsapp', 5, 'whatsapp', [PHONE]),
      interaction(tenantId, 'call', 6, 'voice', [PHONE], { kind: 'call', call: { status: 'completed' } }),
    ],
    order: interaction(tenantId, 'order', 7, 'commerce', [EMAIL, PHONE], {
      kind: 'order',
      order: { orderId: 'o-1', action: 'created', amount: 4200, currency: 'EUR' },
    }),
  };
}

const record = (i: InteractionReceived) => recordInteraction({ customers, identities }, i, i.metadata.recordedAt);

/** What describes the person, not which record holds them (ids, merge bookkeeping). */
function personOf(s: CustomerState) {
  const {
    customerId: _c,
    tenantId: _t,
    status: _s,
    mergedFrom: _f,
    merges: _m,
    mergeProposals: _p,
    mergedInto: _i,
    identities,
    ...rest
  } = s;
  return { ...rest, identities: [...identities].sort((a, b) => `${a.kind}:${a.value}`.localeCompare(`${b.kind}:${b.value}`)) };
}

const withoutIds = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>'));

describe('when an order proves that a phone customer and an email customer are one person', () => {
  it('then the survivor’s state holds the whole person, whatever order their identities met in, through snapshots and as-of reads; an unmerge gives both back', async () => {
    // Order 1: the email first, the phone later, the order last: the order merges the two customers.
    const split = freshId('tn');
    const p = person(split);
    for (const i of p.email) await record(i);
    for (const i of p.phone) await record(i);
    const phoneCustomer = (await identities.ownerOf(split, PHONE))!;
    const emailCustomer = (await identities.ownerOf(split, EMAIL))!;
    // Loading them takes a snapshot of each (every 2 events): the survivor has one from before the merge.
    const beforeMerge = {
      phone: (await customers.load(split, phoneCustomer)).state,
      email: (await customers.load(split, emailCustomer)).state,
    };
    expect(await snapshots.load(split, emailCustomer)).toBeDefined();
    const ordered = await record(p.order);
    expect(ordered.merges.map((m) => m.outcome)).toEqual(['merged']);
    const survivorId = ordered.customerId;
    expect(survivorId).toBe(emailCustomer);

    // Order 2: the order first (both identities, one customer from the start), no merge needed.
    const whole = freshId('tn');
    const q = person(whole);
    for (const i of [q.order, ...q.email, ...q.phone]) await record(i);
    const one = (await identities.ownerOf(whole, EMAIL))!;
    expect(await identities.ownerOf(whole, PHONE)).toBe(one);
    const oneState = (await plain.load(whole, one)).state;

    const loaded = await customers.load(split, survivorId);
    expect(loaded.state.engagement.total).toBe(8);
    expect(Object.keys(loaded.state.engagement.byChannel).sort()).toEqual(['commerce', 'email', 'sms', 'survey', 'voice', 'whatsapp']);
    expect(loaded.state.preferredChannel).toBe(oneState.preferredChannel);
    expect(loaded.state.mergedFrom).toEqual([phoneCustomer]);
    expect(loaded.revision).toBe((await plain.history(split, survivorId)).recorded.at(-1)!.revision);
    // Snapshot or not, the same whole customer.
    expect(loaded.state).toEqual((await plain.load(split, survivorId)).state);
    expect((await customers.load(split, survivorId)).state).toEqual(loaded.state);
    // The person of order 2, up to what the order of recording makes different (which interaction was
    // recorded last, when the first contact was) and the event ids (each tenant has its own).
    const { lastInteractionEventId: _l1, registeredAt: _g1, ...a } = personOf(loaded.state);
    const { lastInteractionEventId: _l2, registeredAt: _g2, ...b } = personOf(oneState);
    expect(withoutIds(a)).toEqual(withoutIds(b));

    // As of a moment: before the order was recorded, the two were apart; after it, one.
    expect((await customers.load(split, survivorId, { asOf: at(6) })).state.engagement.total).toBe(3);
    expect((await customers.load(split, survivorId, { asOf: at(7) })).state.engagement.total).toBe(8);
    const mergedAt = (await plain.history(split, survivorId)).recorded.find((e) => e.type === 'CustomersMerged')!.revision;
    expect((await customers.load(split, survivorId, { atRevision: mergedAt - 1n })).state.engagement.total).toBe(4);
    expect((await customers.load(split, survivorId, { atRevision: mergedAt })).state.engagement.total).toBe(8);
    // The merged-away record keeps only its own history, and says where it lives on.
    expect((await customers.load(split, phoneCustomer)).state).toMatchObject({
      status: 'merged',
      mergedInto: survivorId,
      engagement: { total: 4 },
    });

    // Unmerge: each is again what its own stream holds, the order (recorded on the survivor) staying there.
    await unmergeCustomers(
      { customers, identities },
      { tenantId: split, survivorId, mergeId: ordered.merges[0]!.mergeId, reason: 'test', requestId: 'undo', now: at(8) },
    );
    const survivorAfter = (await customers.load(split, survivorId)).state;
    const restoredAfter = (await customers.load(split, phoneCustomer)).state;
    expect(survivorAfter.engagement.total).toBe(4);
    expect(survivorAfter).toEqual(foldCustomer((await plain.history(split, survivorId)).events));
    expect(personOf(restoredAfter)).toEqual(personOf(beforeMerge.phone));
    expect(restoredAfter.status).toBe('active');
    expect(personOf(survivorAfter).engagement.byChannel.sms).toBeUndefined();
    expect(beforeMerge.email.engagement.total).toBe(3);
  });
});
