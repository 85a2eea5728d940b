import { Pool } from 'pg';
import { customerStream, deterministicId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { ERASED_MARKER, eraseCustomer } from '@hub/crypto-shredding';
import { decideUnmerge } from '@hub/customer';
import type { RecordedEvent } from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { createCustomerStores, type CustomerStores } from './customer-stores';
import { eraseCustomerRecord } from './erase-customer-record';
import { mergeCustomers, unmergeCustomers } from './merge-customers';
import { recordInteraction } from './record-interaction';

/**
 * Erasure of the whole person on real PostgreSQL, through the stores every app builds
 * (`createCustomerStores`): erasing a customer erases every record merged into it, at any depth,
 * and nothing else.
 */
let pool: Pool;
let stores: CustomerStores;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  // Snapshots every 2 events: every record below has one before it is erased.
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, snapshotEvery: 2 });
});

afterAll(async () => {
  await stores.store.close();
  await pool.end();
});

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 9, minute)).toISOString();
let phones = 0;
const newPhone = (): IdentityRef => ({
  kind: 'phone',
  value: `+1415557${String(1000 + ((process.pid * 7 + phones++) % 9000)).padStart(4, '0')}`,
});

function sms(tenantId: string, label: string, phone: IdentityRef, text: string, minute: number): InteractionReceived {
  const eventId = deterministicId('erase-cascade', tenantId, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [phone],
      content: { text, media: [] },
      provider: { name: 'test', messageId: label },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at(minute),
      recordedAt: at(minute),
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

interface CustomerRecord {
  customerId: string;
  phone: IdentityRef;
  /** What only this record's events say, in clear. */
  words: string[];
}

/** A customer recorded from two messages (the first registers them), so they have a snapshot. */
async function customer(tenantId: string, name: string, minute: number): Promise<CustomerRecord> {
  const phone = newPhone();
  const words = [`${name} ${freshId('says')}`, `${name} ${freshId('again')}`];
  const first = await recordInteraction(stores, sms(tenantId, `${name}-1`, phone, words[0]!, minute), at(minute));
  await recordInteraction(stores, sms(tenantId, `${name}-2`, phone, words[1]!, minute + 1), at(minute + 1));
  await stores.customers.load(tenantId, first.customerId); // takes the snapshot
  return { customerId: first.customerId, phone, words: [...words, phone.value] };
}

async function merge(tenantId: string, survivor: CustomerRecord, merged: CustomerRecord, minute: number): Promise<string> {
  const decision = await mergeCustomers(stores, {
    tenantId,
    customerIds: [survivor.customerId, merged.customerId],
    evidence: { source: 'paid_order', detail: 'order paid with both numbers', identities: [survivor.phone, merged.phone] },
    requestId: `merge-${merged.customerId}`,
    now: at(minute),
  });
  expect(decision.outcome).toBe('merged');
  expect((await stores.customers.load(tenantId, merged.customerId)).state.mergedInto).toBe(survivor.customerId);
  return decision.mergeId;
}

/**
 * A (registered first) with B merged into it, C merged into B before that (so C is A's at depth 2),
 * and D merged into A and unmerged again: D is another person.
 */
async function givenAPerson() {
  const tenantId = freshId('ec');
  const a = await customer(tenantId, 'ada', 0);
  const b = await customer(tenantId, 'bo', 2);
  const c = await customer(tenantId, 'cy', 4);
  const d = await customer(tenantId, 'di', 6);
  await merge(tenantId, b, c, 10);
  await merge(tenantId, a, b, 11);
  const mergeD = await merge(tenantId, a, d, 12);
  const unmerge = await unmergeCustomers(stores, {
    tenantId,
    survivorId: a.customerId,
    mergeId: mergeD,
    reason: 'two people',
    requestId: `unmerge-${d.customerId}`,
    now: at(13),
  });
  expect(unmerge.outcome).toBe('unmerged');
  return { tenantId, a, b, c, d };
}

const erase = (tenantId: string, customerId: string, minute = 30) =>
  eraseCustomerRecord(stores, { tenantId, customerId, reason: 'gdpr-art17', requestedBy: 'dpo-1', now: at(minute) });

const opened = (tenantId: string, r: CustomerRecord): Promise<RecordedEvent[]> =>
  stores.store.readStream(customerStream(tenantId, r.customerId));
/** What a stream's events say, data and metadata, as text. */
const said = (events: readonly RecordedEvent[]) => JSON.stringify(events.map((e) => [e.data, e.metadata]));
const texts = (events: readonly RecordedEvent[]) =>
  events.filter((e) => e.type === 'InteractionRecorded').map((e) => (e.data as { content: { text: string } }).content.text);

/** The record reads as erased: key gone, every message `[erased]`, no word of it in the stored rows or the folded state, no snapshot, no claim. */
async function expectErased(tenantId: string, r: CustomerRecord, cascadeOf: string | undefined): Promise<void> {
  expect(await stores.keys.get(tenantId, r.customerId)).toBeUndefined();
  const events = await opened(tenantId, r);
  expect(texts(events)).toEqual([ERASED_MARKER, ERASED_MARKER]);
  expect(events.filter((e) => e.type === 'CustomerErased').map((e) => e.data)).toEqual([
    { customerId: r.customerId, reason: 'gdpr-art17', requestedBy: 'dpo-1', ...(cascadeOf ? { cascadeOf } : {}) },
  ]);
  const raw = said(await stores.raw.readStream(customerStream(tenantId, r.customerId)));
  const { state } = await stores.customers.load(tenantId, r.customerId);
  expect(state.status).toBe('erased');
  for (const words of r.words) {
    expect(raw).not.toContain(words);
    expect(said(events)).not.toContain(words);
    expect(JSON.stringify(state)).not.toContain(words);
  }
  expect(await stores.snapshots.load(tenantId, r.customerId)).toBeUndefined();
  expect(await stores.identities.ownerOf(tenantId, r.phone)).toBeUndefined();
}

describe('erasing a customer others were merged into', () => {
  describe('when the survivor is erased', () => {
    it('then every record merged into it, at any depth, is erased with it, each with its own CustomerErased naming the survivor', async () => {
      const { tenantId, a, b, c } = await givenAPerson();

      const erasure = await erase(tenantId, a.customerId);

      expect(erasure).toMatchObject({ customerId: a.customerId, keyDestroyed: true, duplicate: false, mergedInto: null, notErased: [] });
      expect(erasure.records.map((r) => [r.customerId, r.cascadeOf, r.keyDestroyed, r.duplicate])).toEqual([
        [a.customerId, null, true, false],
        [b.customerId, a.customerId, true, false],
        [c.customerId, a.customerId, true, false],
      ]);
      await expectErased(tenantId, a, undefined);
      await expectErased(tenantId, b, a.customerId);
      await expectErased(tenantId, c, a.customerId);
      // The survivor's whole history (its state) holds nothing of any of them.
      const whole = await stores.customers.readWholeHistory(tenantId, a.customerId);
      for (const words of [...a.words, ...b.words, ...c.words])
        expect(JSON.stringify(whole.history.map((h) => h.event))).not.toContain(words);
    });

    it('then a record unmerged before the erasure is another person: untouched, readable, holding its identity', async () => {
      const { tenantId, a, d } = await givenAPerson();
      const before = await opened(tenantId, d);

      const erasure = await erase(tenantId, a.customerId);

      expect(erasure.records.map((r) => r.customerId)).not.toContain(d.customerId);
      expect(await opened(tenantId, d)).toEqual(before);
      expect(texts(before)).toEqual(d.words.slice(0, 2));
      expect(await stores.keys.get(tenantId, d.customerId)).toBeDefined();
      expect(await stores.identities.ownerOf(tenantId, d.phone)).toBe(d.customerId);
      expect((await stores.customers.load(tenantId, d.customerId)).state.status).toBe('active');
    });

    it('then erasing it again, or a redelivered request, writes nothing and reports every record a duplicate', async () => {
      const { tenantId, a, b, c } = await givenAPerson();
      await erase(tenantId, a.customerId);
      const streams = await Promise.all([a, b, c].map((r) => opened(tenantId, r)));

      const again = await erase(tenantId, a.customerId, 45);

      expect(again).toMatchObject({ keyDestroyed: false, duplicate: true });
      expect(again.records.map((r) => [r.customerId, r.keyDestroyed, r.duplicate])).toEqual([
        [a.customerId, false, true],
        [b.customerId, false, true],
        [c.customerId, false, true],
      ]);
      expect(await Promise.all([a, b, c].map((r) => opened(tenantId, r)))).toEqual(streams);
    });
  });

  describe('when an unmerge was left half done: the record given back, the survivor still listing it', () => {
    it('then that record is not erased (a person said it is another person) and the answer names it', async () => {
      const tenantId = freshId('ec');
      const a = await customer(tenantId, 'ada', 0);
      const e = await customer(tenantId, 'ed', 2);
      const mergeE = await merge(tenantId, a, e, 10);
      // An unmerge appends to the restored customer first; a crash before the survivor's append leaves this.
      const [survivor, restored] = await Promise.all([a, e].map((x) => stores.customers.load(tenantId, x.customerId)));
      const unmerge = decideUnmerge(
        { tenantId, mergeId: mergeE, reason: 'two people', causationId: 'ticket-1', correlationId: 'ticket-1' },
        survivor!.state,
        restored!.state,
        at(12),
      );
      await stores.customers.append(tenantId, e.customerId, unmerge.restored);
      expect((await stores.customers.load(tenantId, a.customerId)).state.mergedFrom).toEqual([e.customerId]);

      const erasure = await erase(tenantId, a.customerId);

      expect(erasure.records.map((r) => r.customerId)).toEqual([a.customerId]);
      expect(erasure.notErased).toEqual([e.customerId]);
      expect(texts(await opened(tenantId, e))).toEqual(e.words.slice(0, 2));
      expect(await stores.keys.get(tenantId, e.customerId)).toBeDefined();
    });
  });

  describe('when the survivor was erased before erasure reached the records merged into it', () => {
    it('then erasing it again erases them, and only them', async () => {
      const { tenantId, a, b, c } = await givenAPerson();
      // What an erasure did before: the survivor's own claims released, its key destroyed, its CustomerErased, nothing more.
      const release = deterministicId('erasure', tenantId, a.customerId);
      for (const identity of (await stores.customers.load(tenantId, a.customerId)).state.identities)
        await stores.identities.releaseClaim(tenantId, identity, a.customerId, {
          eventId: release,
          correlationId: release,
          causationId: release,
          occurredAt: at(20),
          recordedAt: at(20),
          schemaVersion: 1,
          tenantId,
          channel: 'system',
        });
      await eraseCustomer({
        store: stores.store,
        keys: stores.keys,
        tenantId,
        customerId: a.customerId,
        reason: 'gdpr-art17',
        requestedBy: 'dpo-1',
        now: at(20),
      });
      expect(texts(await opened(tenantId, b))).toEqual(b.words.slice(0, 2));

      const completed = await erase(tenantId, a.customerId);

      expect(completed.duplicate).toBe(false);
      expect(completed.records.map((r) => [r.customerId, r.duplicate])).toEqual([
        [a.customerId, true],
        [b.customerId, false],
        [c.customerId, false],
      ]);
      await expectErased(tenantId, b, a.customerId);
      await expectErased(tenantId, c, a.customerId);
    });
  });

  describe('when a record merged away is erased by its own id', () => {
    it('then it and the records merged into it are erased, its survivor is not, and the answer names the survivor', async () => {
      const { tenantId, a, b, c } = await givenAPerson();

      const erasure = await erase(tenantId, b.customerId);

      expect(erasure).toMatchObject({ customerId: b.customerId, mergedInto: a.customerId, duplicate: false });
      expect(erasure.records.map((r) => [r.customerId, r.cascadeOf])).toEqual([
        [b.customerId, null],
        [c.customerId, b.customerId],
      ]);
      expect(await stores.keys.get(tenantId, b.customerId)).toBeUndefined();
      expect(texts(await opened(tenantId, c))).toEqual([ERASED_MARKER, ERASED_MARKER]);
      // The survivor keeps its own record and its identities (the merged-away record held none of them any more).
      expect(texts(await opened(tenantId, a))).toEqual(a.words.slice(0, 2));
      expect((await stores.customers.load(tenantId, a.customerId)).state.status).toBe('active');
      expect(await stores.identities.ownerOf(tenantId, b.phone)).toBe(a.customerId);

      // Erasing the survivor afterwards erases the person; the records already erased are duplicates.
      const whole = await erase(tenantId, a.customerId, 40);
      expect(whole.records.map((r) => [r.customerId, r.duplicate])).toEqual([
        [a.customerId, false],
        [b.customerId, true],
        [c.customerId, true],
      ]);
      await expectErased(tenantId, a, undefined);
    });
  });
});
