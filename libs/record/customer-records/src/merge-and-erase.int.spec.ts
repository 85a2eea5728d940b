import { Pool } from 'pg';
import { deterministicId, type InteractionReceived } from '@hub/contracts';
import { EncryptingEventStore, PostgresKeyStore } from '@hub/crypto-shredding';
import { PostgresEventStore, type EventStore } from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { CustomerRepository } from './customer.repository';
import { IdentityResolver } from './identity.resolver';
import { mergeCustomers, previewCustomerMerge, unmergeCustomers } from './merge-customers';
import { eraseCustomerRecord } from './erase-customer-record';
import { recordInteraction } from './record-interaction';
import { PostgresSnapshotStore } from './postgres.snapshot-store';

let pool: Pool;
let keys: PostgresKeyStore;
let store: EventStore;
let customers: CustomerRepository;
let identities: IdentityResolver;
let snapshots: PostgresSnapshotStore;
const NOW = '2026-11-23T10:00:00.000Z';

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  keys = await PostgresKeyStore.create({ pool });
  store = new EncryptingEventStore(await PostgresEventStore.create({ pool }), { keys });
  snapshots = await PostgresSnapshotStore.create({ pool, keys });
  customers = new CustomerRepository(store, { store: snapshots, every: 2 });
  identities = new IdentityResolver(store, TEST_IDENTITY_NAMING);
});
afterAll(() => pool.end());

function sms(tenantId: string, phone: string, text: string): InteractionReceived {
  const eventId = deterministicId('test-sms', tenantId, phone, text);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text, media: [] },
      provider: { name: 'twilio', messageId: eventId },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: NOW,
      recordedAt: NOW,
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

const record = (i: InteractionReceived) => recordInteraction({ customers, identities }, i, NOW);

describe('when a paid order links two customers', () => {
  it('merges them, later messages from either phone land on the survivor, and an unmerge gives everything back', async () => {
    const tenantId = freshId('tn');
    const a = await record(sms(tenantId, '+14155550301', 'first customer'));
    const b = await record(sms(tenantId, '+14155550302', 'second customer'));
    const evidence = {
      source: 'paid_order',
      detail: 'order 42 paid with both numbers',
      identities: [{ kind: 'phone' as const, value: '+14155550302' }],
    };

    const preview = await previewCustomerMerge(
      { customers, identities },
      { tenantId, customerIds: [a.customerId, b.customerId], evidence },
    );
    expect(preview.decision).toBe('merge');
    const survivorId = preview.survivorId;
    const mergedId = preview.mergedId;

    const merge = await mergeCustomers(
      { customers, identities },
      { tenantId, customerIds: [a.customerId, b.customerId], evidence, requestId: 'order-42', now: NOW },
    );
    expect(merge.outcome).toBe('merged');
    expect((await customers.load(tenantId, mergedId)).state).toMatchObject({ status: 'merged', mergedInto: survivorId });
    // Retrying the same request changes nothing.
    expect(
      (
        await mergeCustomers(
          { customers, identities },
          { tenantId, customerIds: [a.customerId, b.customerId], evidence, requestId: 'order-42', now: NOW },
        )
      ).outcome,
    ).toBe('unchanged');

    const mergedPhone = survivorId === a.customerId ? '+14155550302' : '+14155550301';
    const later = await record(sms(tenantId, mergedPhone, 'after the merge'));
    expect(later.customerId).toBe(survivorId);

    const unmerge = await unmergeCustomers(
      { customers, identities },
      { tenantId, survivorId, mergeId: merge.mergeId, reason: 'agent: two people', requestId: 'ticket-9', now: NOW },
    );
    expect(unmerge.outcome).toBe('unmerged');
    expect((await customers.load(tenantId, mergedId)).state.status).toBe('active');
    const afterUnmerge = await record(sms(tenantId, mergedPhone, 'after the unmerge'));
    expect(afterUnmerge.customerId).toBe(mergedId);
  });
});

describe('when the only evidence is a detail typed into a chat', () => {
  it('proposes the merge and moves nothing', async () => {
    const tenantId = freshId('tn');
    const a = await record(sms(tenantId, '+14155550311', 'one'));
    const b = await record(sms(tenantId, '+14155550312', 'two'));
    const decision = await mergeCustomers(
      { customers, identities },
      {
        tenantId,
        customerIds: [a.customerId, b.customerId],
        evidence: { source: 'chat_typed_detail', detail: 'typed the other number', identities: [] },
        requestId: 'chat-1',
        now: NOW,
      },
    );
    expect(decision.outcome).toBe('proposed');
    expect(await identities.ownerOf(tenantId, { kind: 'phone', value: '+14155550312' })).toBe(b.customerId);
    expect((await customers.load(tenantId, b.customerId)).state.status).toBe('active');
  });
});

describe('when a customer is erased', () => {
  it('leaves no readable personal data in the stored rows, and the person starts afresh if they write again', async () => {
    const tenantId = freshId('tn');
    const phone = '+14155550321';
    const secret = `my card ends ${freshId('x')}`;
    const first = await record(sms(tenantId, phone, secret));
    await customers.load(tenantId, first.customerId); // a snapshot exists now

    await eraseCustomerRecord(
      { store, keys, customers, identities, snapshots },
      { tenantId, customerId: first.customerId, reason: 'gdpr-art17', requestedBy: 'operator-1', now: NOW },
    );

    const raw = await pool.query<{ body: string }>(
      `select data::text || metadata::text as body from hub_events where metadata->>'tenantId' = $1`,
      [tenantId],
    );
    expect(raw.rowCount).toBeGreaterThan(0);
    for (const row of raw.rows) {
      expect(row.body).not.toContain(phone);
      expect(row.body).not.toContain(secret);
    }
    const snaps = await pool.query('select 1 from customer_snapshots where tenant_id = $1 and customer_id = $2', [
      tenantId,
      first.customerId,
    ]);
    expect(snaps.rowCount).toBe(0);

    const { state } = await customers.load(tenantId, first.customerId);
    expect(state.status).toBe('erased');
    expect(JSON.stringify(state)).not.toContain(secret);

    // Kafka redelivers the erased customer's old message: it is recognised, not recorded again.
    const redelivered = await record(sms(tenantId, phone, secret));
    expect(redelivered).toMatchObject({ alreadyRecordedElsewhere: true, events: [] });
    expect(await identities.ownerOf(tenantId, { kind: 'phone', value: phone })).toBeUndefined();

    const again = await record(sms(tenantId, phone, 'hello again'));
    expect(again.customerId).not.toBe(first.customerId);
    expect((await customers.load(tenantId, again.customerId)).state.recent.at(-1)?.text).toBe('hello again');
  });
});
