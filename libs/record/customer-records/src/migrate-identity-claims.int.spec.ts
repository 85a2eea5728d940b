import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  customerStream,
  deterministicId,
  IdentityHasher,
  parseIdentityStream,
  type IdentityRef,
  type InteractionReceived,
} from '@hub/contracts';
import { EncryptingEventStore, ERASED_MARKER, PostgresKeyStore } from '@hub/crypto-shredding';
import { PostgresEventStore, type EventStore } from '@hub/event-store';
import { freshDatabase, freshId } from '@hub/testing';
import { CustomerRepository } from './customer.repository';
import { eraseCustomerRecord } from './erase-customer-record';
import { IdentityResolver, legacyClaimStreamOf, type IdentityStreamNaming } from './identity.resolver';
import { migrateIdentityClaims } from './migrate-identity-claims';
import { interactionEvents, recordInteraction } from './record-interaction';
import { recordInteractions } from './record-interactions';

let pool: Pool;
let keys: PostgresKeyStore;
let store: EventStore;
let customers: CustomerRepository;
const NOW = '2026-12-07T10:00:00.000Z';
const KEY_1 = { current: IdentityHasher.fromBase64(Buffer.alloc(32, 11).toString('base64')) } satisfies IdentityStreamNaming;
const KEY_2_AFTER_1 = {
  current: IdentityHasher.fromBase64(Buffer.alloc(32, 12).toString('base64')),
  previous: KEY_1.current,
} satisfies IdentityStreamNaming;

// A database of its own: "writes nothing" is checked on the store's head, which any other spec
// writing to the shared test database would move meanwhile.
let database: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  database = await freshDatabase('migrate_claims');
  pool = new Pool({ connectionString: database.url, max: 10 });
  // The database is dropped WITH (FORCE) at the end: a connection it terminates (the store's
  // notification after an append, still in flight) must not fail the suite (57P01, seen twice).
  pool.on('error', () => undefined);
  keys = await PostgresKeyStore.create({ pool });
  store = new EncryptingEventStore(await PostgresEventStore.create({ pool }), { keys });
  customers = new CustomerRepository(store);
});
afterAll(async () => {
  await store.close(); // waits for the notifications it sent after commits
  await pool.end();
  await database.drop();
});

const resolverWith = (naming: IdentityStreamNaming) => new IdentityResolver(store, naming);

function sms(tenantId: string, phone: string, text: string): InteractionReceived {
  const eventId = deterministicId('migrate-test-sms', tenantId, phone, text);
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

/**
 * What the hub wrote before identity names were keyed, for a first contact: the customer's stream
 * and a claim under the unkeyed name (`identityStream` of the time: SHA-256 of `kind:value`), the
 * same events the resolver wrote then.
 */
async function recordTheOldWay(interaction: InteractionReceived): Promise<string> {
  const { tenantId } = interaction.metadata;
  const identity = interaction.data.identities[0]!;
  const customerId = randomUUID();
  const stream = legacyClaimStreamOf(tenantId, identity);
  const claimId = deterministicId('identity-claimed', stream, interaction.metadata.eventId, 'no_stream');
  await store.appendToStream(
    stream,
    [
      {
        eventId: claimId,
        type: 'IdentityClaimed',
        data: { customerId, identity },
        metadata: { ...interaction.metadata, eventId: claimId, causationId: interaction.metadata.eventId },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
  const events = interactionEvents(interaction, 'sms', customerId, true, interaction.metadata);
  await store.appendToStream(
    customerStream(tenantId, customerId),
    events.map((e) => ({ eventId: e.metadata.eventId, type: e.type, data: e.data, metadata: { ...e.metadata } })),
  );
  return customerId;
}

const phone = (): IdentityRef => ({ kind: 'phone', value: `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}` });
const claimStreamsOf = (tenantId: string) =>
  store.lastMatchingEvents({ streamPrefixes: [`identity-${tenantId}.`], eventTypes: ['IdentityClaimed', 'IdentityReleased'] });

describe('given a store written before identity stream names were keyed', () => {
  describe('when nothing was migrated yet', () => {
    it('then look-ups fall back to the legacy name, and recording reaches the same customer and writes the claim forward', async () => {
      const tenantId = freshId('mig');
      const identities = resolverWith(KEY_1);
      const [p1, p2] = [phone(), phone()];
      const c1 = await recordTheOldWay(sms(tenantId, p1.value, 'hello'));
      const c2 = await recordTheOldWay(sms(tenantId, p2.value, 'hi'));

      expect(await identities.ownerOf(tenantId, p1)).toBe(c1);
      const again = await recordInteraction({ customers, identities }, sms(tenantId, p1.value, 'me again'), NOW);
      expect(again).toMatchObject({ customerId: c1, duplicate: false });
      // Written forward: the keyed name answers by itself from now on.
      expect((await identities.last(identities.claimStreamOf(tenantId, p1)))?.event).toMatchObject({
        type: 'IdentityClaimed',
        data: { customerId: c1 },
      });

      // The batch path reads the legacy name too (in the same round trip).
      const [batched] = await recordInteractions({ customers, identities }, [sms(tenantId, p2.value, 'batched')], NOW);
      expect(batched!.customerId).toBe(c2);
      // A redelivery of the old first contact is still that customer's first contact, not a new customer.
      const redelivered = await recordInteraction({ customers, identities }, sms(tenantId, p2.value, 'hi'), NOW);
      expect(redelivered).toMatchObject({ customerId: c2, duplicate: true });
    });
  });

  describe('when `hub identities migrate` runs', () => {
    it('then every claim lives under its keyed name, the legacy streams are released, look-ups still resolve, and a second run is a no-op', async () => {
      const tenantId = freshId('mig');
      const identities = resolverWith(KEY_1);
      const phones = [phone(), phone(), phone()];
      const owners = await Promise.all(phones.map((p, n) => recordTheOldWay(sms(tenantId, p.value, `first ${n}`))));
      // One of them was already written forward by a recorder before the migration ran.
      await recordInteraction({ customers, identities }, sms(tenantId, phones[0]!.value, 'before the migration'), NOW);

      const report = await migrateIdentityClaims({ store, identities }, { tenantId, now: NOW });
      expect(report).toEqual({ examined: 4, moved: 2, superseded: 1, erased: 0, current: 1 });

      for (const [n, p] of phones.entries()) {
        expect(await identities.ownerOf(tenantId, p)).toBe(owners[n]);
        const legacy = await store.readStream(legacyClaimStreamOf(tenantId, p));
        expect(legacy.at(-1)).toMatchObject({ type: 'IdentityReleased', data: { reason: 'migrated', customerId: owners[n] } });
        // A resolver that no longer had the fallback would find the same owner: the keyed stream holds the claim.
        expect((await identities.last(identities.claimStreamOf(tenantId, p)))?.event).toMatchObject({
          type: 'IdentityClaimed',
          data: { customerId: owners[n], identity: p },
        });
      }
      for (const { streamName, type } of await claimStreamsOf(tenantId)) {
        expect(type).toBe(parseIdentityStream(streamName)!.keyed ? 'IdentityClaimed' : 'IdentityReleased');
      }
      // New messages from those phones still reach their customers.
      expect((await recordInteraction({ customers, identities }, sms(tenantId, phones[2]!.value, 'after'), NOW)).customerId).toBe(
        owners[2],
      );

      const head = await store.headPosition();
      expect(await migrateIdentityClaims({ store, identities }, { tenantId, now: '2026-12-08T10:00:00.000Z' })).toEqual({
        examined: 3,
        moved: 0,
        superseded: 0,
        erased: 0,
        current: 3,
      });
      expect(await store.headPosition()).toBe(head);
    });

    it('then a dry run counts what would move and writes nothing', async () => {
      const tenantId = freshId('mig');
      const identities = resolverWith(KEY_1);
      await recordTheOldWay(sms(tenantId, phone().value, 'one'));
      const head = await store.headPosition();
      expect(await migrateIdentityClaims({ store, identities }, { tenantId, now: NOW, dryRun: true })).toMatchObject({
        examined: 1,
        moved: 1,
      });
      expect(await store.headPosition()).toBe(head);
    });

    it('then a claim left held by an erased customer (key destroyed, never released) is released, not moved', async () => {
      const tenantId = freshId('mig');
      const identities = resolverWith(KEY_1);
      const p = phone();
      const customerId = await recordTheOldWay(sms(tenantId, p.value, 'one'));
      await keys.destroy(tenantId, customerId);
      expect((await identities.last(legacyClaimStreamOf(tenantId, p)))?.event).toMatchObject({
        data: { identity: { value: ERASED_MARKER } },
      });

      expect(await migrateIdentityClaims({ store, identities }, { tenantId, now: NOW })).toMatchObject({
        examined: 1,
        moved: 0,
        erased: 1,
      });
      expect(await identities.ownerOf(tenantId, p)).toBeUndefined();
      expect(await identities.last(identities.claimStreamOf(tenantId, p))).toBeUndefined();
    });
  });
});

describe('given a store whose names are keyed, when the identity hash key is rotated', () => {
  it('then look-ups fall back to the previous key until the migration moves the claims, and the legacy names are left alone', async () => {
    const tenantId = freshId('rot');
    const before = resolverWith(KEY_1);
    const p = phone();
    const first = await recordInteraction({ customers, identities: before }, sms(tenantId, p.value, 'under key 1'), NOW);

    const after = resolverWith(KEY_2_AFTER_1);
    expect(await after.ownerOf(tenantId, p)).toBe(first.customerId);
    expect(await migrateIdentityClaims({ store, identities: after }, { tenantId, now: NOW })).toMatchObject({ moved: 1 });
    expect((await store.readStream(before.claimStreamOf(tenantId, p))).at(-1)).toMatchObject({
      type: 'IdentityReleased',
      data: { reason: 'migrated' },
    });
    // Without the previous key configured any more, the new name alone resolves it.
    expect(await resolverWith({ current: KEY_2_AFTER_1.current }).ownerOf(tenantId, p)).toBe(first.customerId);
    expect((await recordInteraction({ customers, identities: after }, sms(tenantId, p.value, 'under key 2'), NOW)).customerId).toBe(
      first.customerId,
    );
    await expect(store.readStream(legacyClaimStreamOf(tenantId, p))).rejects.toMatchObject({ code: expect.any(String) });
  });
});

describe('given a customer known under a legacy name, when they are erased', () => {
  it('then no name of the identity resolves to them any more, and their next message starts a new customer', async () => {
    const tenantId = freshId('era');
    const identities = resolverWith(KEY_1);
    const p = phone();
    const customerId = await recordTheOldWay(sms(tenantId, p.value, 'hello'));

    await eraseCustomerRecord(
      { store, keys, customers, identities },
      { tenantId, customerId, reason: 'ticket-1', requestedBy: 'dpo', now: NOW },
    );

    expect(await identities.ownerOf(tenantId, p)).toBeUndefined();
    expect((await store.readStream(legacyClaimStreamOf(tenantId, p))).at(-1)).toMatchObject({
      type: 'IdentityReleased',
      data: { reason: 'erasure' },
    });
    // The released claim holds no readable identity any more: its value was sealed under the erased key.
    const [claim] = await store.readStream(legacyClaimStreamOf(tenantId, p));
    expect(claim!.data).toMatchObject({ identity: { value: ERASED_MARKER } });
    const next = await recordInteraction({ customers, identities }, sms(tenantId, p.value, 'back again'), NOW);
    expect(next.customerId).not.toBe(customerId);
    // And the migration finds nothing to carry forward for them.
    expect(await migrateIdentityClaims({ store, identities }, { tenantId, now: NOW })).toMatchObject({ moved: 0, erased: 0 });
  });
});
