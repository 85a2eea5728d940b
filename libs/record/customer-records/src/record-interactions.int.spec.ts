import { Pool } from 'pg';
import { customerStream, deterministicId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { createCustomerStores, type CustomerStores } from './customer-stores';
import { recordInteraction } from './record-interaction';
import { recordInteractions } from './record-interactions';

const infra = testInfra();
let pool: Pool;
let stores: CustomerStores;
const recordedAt = '2026-12-06T10:00:01.000Z';

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 20 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
});

afterAll(async () => {
  await stores.store.close();
  await pool.end();
});

const phone = (n: number): IdentityRef => ({ kind: 'phone', value: `+1415555${String(n).padStart(4, '0')}` });
const email = (name: string): IdentityRef => ({ kind: 'email', value: `${name}@example.com` });

/** An inbound SMS; its event id derives from the tenant and a label, so every tenant has its own. */
function sms(tenantId: string, label: string, identities: IdentityRef[], occurredAt = '2026-12-06T10:00:00.000Z'): InteractionReceived {
  const eventId = deterministicId('test-sms', tenantId, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities,
      content: { text: label, media: [] },
      provider: { name: 'twilio', messageId: `${tenantId}-${label}` },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt,
      recordedAt: '2026-12-06T10:00:00.100Z',
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

/** A paid order: evidence the merge policy acts on at once (`paid_order`). */
function order(tenantId: string, label: string, identities: IdentityRef[]): InteractionReceived {
  const eventId = deterministicId('test-order', tenantId, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'order',
      identities,
      content: { text: label, media: [] },
      provider: { name: 'shopify', messageId: `${tenantId}-${label}` },
      order: { orderId: `${tenantId}-${label}`, action: 'created', amount: 42, currency: 'EUR' },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-12-06T10:00:00.000Z',
      recordedAt: '2026-12-06T10:00:00.100Z',
      schemaVersion: 1,
      tenantId,
      channel: 'commerce',
    },
  } as InteractionReceived;
}

/** A platform's own unsubscribe (or subscribe) event of the customer: kind `subscription`. */
function subscription(
  tenantId: string,
  label: string,
  identities: IdentityRef[],
  status: 'subscribed' | 'unsubscribed',
): InteractionReceived {
  const eventId = deterministicId('test-subscription', tenantId, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'subscription',
      identities,
      content: { media: [] },
      provider: { name: 'viber', messageId: `${tenantId}-${label}` },
      subscription: { status },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-12-06T10:00:00.500Z',
      recordedAt: '2026-12-06T10:00:00.600Z',
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

/** Each identity's customer as the store has it: its stream's event types and texts, in stream order. */
async function shape(tenantId: string, identities: readonly IdentityRef[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const identity of identities) {
    const owner = await stores.identities.ownerOf(tenantId, identity);
    if (!owner) {
      out[identity.value] = ['(nobody)'];
      continue;
    }
    const events = await stores.store.readStream(customerStream(tenantId, owner));
    out[identity.value] = events.map((e) => {
      const text = (e.data as { content?: { text?: string } }).content?.text;
      return text === undefined ? e.type : `${e.type}:${text}`;
    });
  }
  return out;
}

/**
 * A day's traffic in one batch: a returning customer, a new one writing three times, a new phone
 * that brings an email (a link), the linked email writing next, a redelivery beside a new message of
 * the same customer, and a message carrying two customers' phones (merge evidence).
 */
function scenario(tenant: string): { before: InteractionReceived[]; batch: InteractionReceived[]; identities: IdentityRef[] } {
  const before = [
    sms(tenant, 'a-1', [phone(1)]),
    sms(tenant, 'f-1', [phone(6)]),
    sms(tenant, 'g-1', [phone(7)]),
    // Ivan wrote first (by email): his customer survives the merge the order makes.
    sms(tenant, 'i-1', [email('ivan')], '2026-12-06T09:00:00.000Z'),
    sms(tenant, 'h-1', [phone(8), email('henry')]),
  ];
  const batch = [
    sms(tenant, 'a-2', [phone(1)]),
    sms(tenant, 'b-1', [phone(2)]),
    sms(tenant, 'b-2', [phone(2)]),
    sms(tenant, 'c-1', [phone(3), email('carol')]),
    sms(tenant, 'b-3', [phone(2)]),
    sms(tenant, 'c-2', [email('carol')]),
    before[0]!, // a-1 again: a redelivery
    sms(tenant, 'a-3', [phone(1)]),
    sms(tenant, 'f-2', [phone(6), phone(7)]),
    sms(tenant, 'g-2', [phone(7)]),
    // A paid order with Ivan's email and the phone of another customer: merged at once; the phone's
    // next message must reach the survivor, not the customer merged away.
    order(tenant, 'o-1', [email('ivan'), phone(8)]),
    sms(tenant, 'h-2', [phone(8)]),
    sms(tenant, 'h-3', [email('henry')]), // an identity of the customer merged away that the order did not carry
  ];
  return {
    before,
    batch,
    identities: [phone(1), phone(2), phone(3), email('carol'), phone(6), phone(7), email('ivan'), phone(8), email('henry')],
  };
}

describe('recordInteractions', () => {
  describe('when a batch mixes returning and new customers, links, a redelivery and merge evidence', () => {
    it('leaves every customer exactly as recording them one at a time does', async () => {
      const [batched, oneByOne] = [freshId('tn'), freshId('tn')];
      for (const tenant of [batched, oneByOne]) {
        for (const i of scenario(tenant).before) await recordInteraction(stores, i, recordedAt);
      }

      const { batch, identities } = scenario(batched);
      const results = await recordInteractions(stores, batch, recordedAt);
      for (const i of scenario(oneByOne).batch) await recordInteraction(stores, i, recordedAt);

      // Which of two equal customers the merge policy proposes to keep is decided by their (random)
      // ids: compare the streams without the proposal, and count the proposals.
      const withoutProposals = (byIdentity: Record<string, string[]>) =>
        Object.fromEntries(Object.entries(byIdentity).map(([k, v]) => [k, v.filter((t) => t !== 'MergeProposed')]));
      const proposals = (byIdentity: Record<string, string[]>) =>
        Object.values(byIdentity)
          .flat()
          .filter((t) => t === 'MergeProposed').length;
      const [b, o] = [await shape(batched, identities), await shape(oneByOne, identities)];
      expect(withoutProposals(b)).toEqual(withoutProposals(o));
      expect(proposals(b)).toBe(proposals(o));
      expect(proposals(b)).toBeGreaterThan(0);
      expect(b).toMatchObject({
        [phone(1).value]: ['CustomerRegistered', 'InteractionRecorded:a-1', 'InteractionRecorded:a-2', 'InteractionRecorded:a-3'],
        [phone(2).value]: ['CustomerRegistered', 'InteractionRecorded:b-1', 'InteractionRecorded:b-2', 'InteractionRecorded:b-3'],
        [email('carol').value]: ['CustomerRegistered', 'InteractionRecorded:c-1', 'InteractionRecorded:c-2'],
      });
      expect(results.map((r) => r.duplicate)).toEqual([
        false,
        false,
        false,
        false,
        false,
        false,
        true,
        false,
        false,
        false,
        false,
        false,
        false,
      ]);
      expect(results[10]!.merges.map((m) => m.outcome)).toEqual(['merged']);
      expect(b[phone(8).value]).toEqual(b[email('ivan').value]);
      expect(b[phone(8).value]).toContain('InteractionRecorded:h-2');
      expect(b[email('henry').value]).toEqual(b[email('ivan').value]);
      expect(b[email('henry').value]).toContain('InteractionRecorded:h-3');
      // The message carrying two customers' phones is evidence for the merge policy, as on its own.
      expect(results[8]!.merges).toHaveLength(1);
      expect(
        new Set(
          results
            .slice(1, 5)
            .filter((_, i) => i !== 2)
            .map((r) => r.customerId),
        ).size,
      ).toBe(1);
    });
  });

  describe('when interactions bring identities nobody holds beside ones that are known or new', () => {
    it('links them in the run’s claims write, not one interaction at a time, with the same claims and customers as one at a time', async () => {
      const [batched, oneByOne] = [freshId('tn'), freshId('tn')];
      const visitor = (n: number): IdentityRef => ({ kind: 'handle', namespace: 'webchat', value: `visitor-${n}` });
      const before = (tenant: string) => [sms(tenant, 'k-1', [phone(11)])];
      const batch = (tenant: string) => [
        sms(tenant, 'k-2', [phone(11), visitor(11)]), // a known customer's first chat: the visitor id is linked to them
        sms(tenant, 'n-1', [phone(12), visitor(12), email('nora')]), // a new customer with three identities
        sms(tenant, 'n-2', [email('nora')]), // reaches Nora through the link planned just before
        sms(tenant, 'k-3', [visitor(11)]),
      ];
      for (const tenant of [batched, oneByOne]) for (const i of before(tenant)) await recordInteraction(stores, i, recordedAt);

      const link = jest.spyOn(stores.identities, 'link');
      const alone = jest.spyOn(stores.customers, 'append');
      let results;
      try {
        results = await recordInteractions(stores, batch(batched), recordedAt);
        expect(link).not.toHaveBeenCalled();
        expect(alone).not.toHaveBeenCalled();
      } finally {
        link.mockRestore();
        alone.mockRestore();
      }
      for (const i of batch(oneByOne)) await recordInteraction(stores, i, recordedAt);

      const identities = [phone(11), visitor(11), phone(12), visitor(12), email('nora')];
      const [b, o] = [await shape(batched, identities), await shape(oneByOne, identities)];
      expect(b).toEqual(o);
      expect(b[visitor(11).value]).toEqual([
        'CustomerRegistered',
        'InteractionRecorded:k-1',
        'InteractionRecorded:k-2',
        'InteractionRecorded:k-3',
      ]);
      expect(b[email('nora').value]).toEqual(['CustomerRegistered', 'InteractionRecorded:n-1', 'InteractionRecorded:n-2']);
      expect(results.map((r) => r.customerId)).toEqual([
        results[0]!.customerId,
        results[1]!.customerId,
        results[1]!.customerId,
        results[0]!.customerId,
      ]);
      // The claims themselves: the same events (ids derive from the interaction), the same links.
      const claimsOf = async (tenant: string) => {
        const out: unknown[] = [];
        for (const identity of identities) {
          const events = await stores.store.readStream(stores.identities.claimStreamOf(tenant, identity));
          out.push(events.map((e) => ({ type: e.type, via: (e.data as { via?: unknown }).via ?? null })));
        }
        return out;
      };
      expect(await claimsOf(batched)).toEqual(await claimsOf(oneByOne));
      expect(JSON.stringify(await claimsOf(batched))).toContain('"kind":"link"');
    });
  });

  describe('when the same batch is delivered again', () => {
    it('appends nothing and names the same customers', async () => {
      const tenant = freshId('tn');
      const { before, batch, identities } = scenario(tenant);
      for (const i of before) await recordInteraction(stores, i, recordedAt);
      const first = await recordInteractions(stores, batch, recordedAt);
      const stored = await shape(tenant, identities);

      const again = await recordInteractions(stores, batch, recordedAt);

      expect(await shape(tenant, identities)).toEqual(stored);
      expect(again.map((r) => r.customerId)).toEqual(first.map((r) => r.customerId));
      expect(again.every((r) => r.duplicate)).toBe(true);
    });
  });

  describe('when a customer unsubscribes on the platform between two messages, and the batch is delivered again', () => {
    it('records the unsubscribe as a ConsentChanged under its own event id, in place of an interaction, once', async () => {
      const tenant = freshId('tn');
      const unsubscribed = subscription(tenant, 'u-1', [phone(30)], 'unsubscribed');
      const batch = [sms(tenant, 'x-1', [phone(30)]), unsubscribed, sms(tenant, 'x-2', [phone(30)])];
      await recordInteractions(stores, batch, recordedAt);
      const again = await recordInteractions(stores, batch, recordedAt);

      expect(again.every((r) => r.duplicate)).toBe(true);
      expect(await shape(tenant, [phone(30)])).toEqual({
        [phone(30).value]: ['CustomerRegistered', 'InteractionRecorded:x-1', 'ConsentChanged', 'InteractionRecorded:x-2'],
      });
      const owner = (await stores.identities.ownerOf(tenant, phone(30)))!;
      const consent = (await stores.store.readStream(customerStream(tenant, owner))).find((e) => e.type === 'ConsentChanged')!;
      expect(consent).toMatchObject({
        eventId: unsubscribed.metadata.eventId,
        data: { channel: 'sms', consent: 'opted_out', source: 'platform' },
      });
    });
  });

  describe('when someone the hub has never heard of subscribes on the platform', () => {
    it('registers the customer, opted in by the platform, with no interaction', async () => {
      const tenant = freshId('tn');
      const recorded = await recordInteraction(stores, subscription(tenant, 's-1', [phone(31)], 'subscribed'), recordedAt);

      expect(recorded.events.map((e) => e.type)).toEqual(['CustomerRegistered', 'ConsentChanged']);
      expect(await shape(tenant, [phone(31)])).toEqual({ [phone(31).value]: ['CustomerRegistered', 'ConsentChanged'] });
    });
  });

  describe('when a provider’s retry puts the same interaction twice into one run', () => {
    it('records it once, the second as a duplicate of the first, beside the run’s other interactions', async () => {
      const tenant = freshId('tn');
      const first = sms(tenant, 'd-1', [phone(20)]);
      const results = await recordInteractions(
        stores,
        [first, sms(tenant, 'd-2', [phone(20)]), JSON.parse(JSON.stringify(first)) as InteractionReceived, sms(tenant, 'e-1', [phone(21)])],
        recordedAt,
      );

      expect(results.map((r) => r.duplicate)).toEqual([false, false, true, false]);
      expect(results[2]!.customerId).toBe(results[0]!.customerId);
      expect(await shape(tenant, [phone(20)])).toEqual({
        [phone(20).value]: ['CustomerRegistered', 'InteractionRecorded:d-1', 'InteractionRecorded:d-2'],
      });
    });
  });

  describe('when two recorders meet the same new phone number at once', () => {
    it('makes one customer, registered once, holding both messages', async () => {
      const tenant = freshId('tn');
      const batches = [
        [sms(tenant, 'x-1', [phone(10)]), sms(tenant, 'y-1', [phone(11)])],
        [sms(tenant, 'x-2', [phone(10)]), sms(tenant, 'z-1', [phone(12)])],
      ];

      await Promise.all(batches.map((b) => recordInteractions(stores, b, recordedAt)));

      const [x] = Object.values(await shape(tenant, [phone(10)]));
      expect(x!.filter((t) => t === 'CustomerRegistered')).toHaveLength(1);
      expect([...x!].sort()).toEqual(['CustomerRegistered', 'InteractionRecorded:x-1', 'InteractionRecorded:x-2']);
      expect(await shape(tenant, [phone(11), phone(12)])).toEqual({
        [phone(11).value]: ['CustomerRegistered', 'InteractionRecorded:y-1'],
        [phone(12).value]: ['CustomerRegistered', 'InteractionRecorded:z-1'],
      });
    });
  });
});
