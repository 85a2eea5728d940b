import { Pool } from 'pg';
import { deterministicId, type ChannelId, type IdentityRef, type InteractionData, type InteractionReceived } from '@hub/contracts';
import { PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { CustomerRepository } from './customer.repository';
import { IdentityResolver } from './identity.resolver';
import { mergeCustomers, unmergeCustomers } from './merge-customers';
import { recordInteraction } from './record-interaction';

let pool: Pool;
let deps: { customers: CustomerRepository; identities: IdentityResolver };

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  const store = await PostgresEventStore.create({ pool });
  deps = { customers: new CustomerRepository(store), identities: new IdentityResolver(store, TEST_IDENTITY_NAMING) };
});
afterAll(() => pool.end());

const phone = (value: string): IdentityRef => ({ kind: 'phone', value });
const email = (value: string): IdentityRef => ({ kind: 'email', value });
const telegram = (value: string): IdentityRef => ({ kind: 'handle', namespace: 'telegram', value });

function interaction(
  tenantId: string,
  id: string,
  channel: ChannelId,
  identities: IdentityRef[],
  data: Partial<InteractionData> = {},
): InteractionReceived {
  const eventId = deterministicId('record-interaction-int', tenantId, id);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities,
      content: { text: id, media: [] },
      provider: { name: 'test', messageId: id },
      ...data,
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-11-23T10:00:00.000Z',
      recordedAt: '2026-11-23T10:00:00.000Z',
      schemaVersion: 1,
      tenantId,
      channel,
    },
  };
}
const record = (i: InteractionReceived) => recordInteraction(deps, i, '2026-11-23T10:00:01.000Z');

/** The identities the customer's folded state lists, each with who the store's claim says holds it. */
async function holdersOfListed(tenantId: string, customerId: string): Promise<[string, string | undefined][]> {
  const { state } = await deps.customers.load(tenantId, customerId);
  return Promise.all(
    state.identities.map(async (i): Promise<[string, string | undefined]> => [i.value, await deps.identities.ownerOf(tenantId, i)]),
  );
}

describe('recognising a customer by any identity an interaction carries', () => {
  describe('given an order placed with an email and a phone', () => {
    const tenantId = freshId('rec');
    const order = interaction(tenantId, 'order-1', 'commerce', [email('maria@example.com'), phone('+16505550123')], {
      kind: 'order',
      order: { orderId: 'o-1', action: 'created', amount: 4200, currency: 'USD' },
    });
    let customerId: string;

    beforeAll(async () => {
      customerId = (await record(order)).customerId;
    });

    it('then a text from that phone reaches the same customer, without registering a new one', async () => {
      const sms = await record(interaction(tenantId, 'sms-1', 'sms', [phone('+16505550123')]));
      expect(sms.customerId).toBe(customerId);
      expect(sms.events.map((e) => e.type)).toEqual(['InteractionRecorded']);
    });

    it('then a Telegram user sharing that phone as their own contact is linked to them, and their next message too', async () => {
      const shared = await record(interaction(tenantId, 'tg-1', 'telegram', [telegram('777001'), phone('+16505550123')]));
      expect(shared.customerId).toBe(customerId);
      expect(shared.events.map((e) => e.type)).toEqual(['InteractionRecorded']);
      expect((await record(interaction(tenantId, 'tg-2', 'telegram', [telegram('777001')]))).customerId).toBe(customerId);
      expect(await deps.identities.ownerOf(tenantId, telegram('777001'))).toBe(customerId);
    });

    it('then the redelivered order changes nothing: same customer, duplicate, no second registration', async () => {
      const again = await record(JSON.parse(JSON.stringify(order)) as InteractionReceived);
      expect(again).toMatchObject({ customerId, duplicate: true });
    });

    it('then the folded customer lists every identity it was recognised by', async () => {
      const { state } = await deps.customers.load(tenantId, customerId);
      expect(state.identities).toEqual(expect.arrayContaining([email('maria@example.com'), phone('+16505550123'), telegram('777001')]));
    });
  });

  describe('given two customers already known by different identities', () => {
    it('then a chat where the visitor typed both stays with its primary identity’s customer, takes nothing from the other, and only proposes a merge', async () => {
      const tenantId = freshId('rec');
      const a = (await record(interaction(tenantId, 'a-1', 'email', [email('ana@example.com')]))).customerId;
      const b = (await record(interaction(tenantId, 'b-1', 'sms', [phone('+14155550177')]))).customerId;
      expect(a).not.toBe(b);
      const both = await record(
        interaction(tenantId, 'ab-1', 'webchat', [email('ana@example.com'), phone('+14155550177')], { mergeEvidence: 'chat_typed_detail' }),
      );
      expect(both.customerId).toBe(a);
      expect(both.merges.map((d) => d.outcome)).toEqual(['proposed']);
      expect(both.merges[0]!.reason).toContain('chat_typed_detail');
      expect(await deps.identities.ownerOf(tenantId, phone('+14155550177'))).toBe(b);
      expect((await record(interaction(tenantId, 'b-2', 'sms', [phone('+14155550177')]))).customerId).toBe(b);
    });

    it('then a paid order carrying both merges them (policy paid_order: auto), and the phone then reaches the survivor', async () => {
      const tenantId = freshId('rec');
      const byEmail = (await record(interaction(tenantId, 'm-1', 'email', [email('maria@example.com')]))).customerId;
      const byPhone = (await record(interaction(tenantId, 'm-2', 'whatsapp', [phone('+16505550123')]))).customerId;
      const order = interaction(tenantId, 'm-3', 'commerce', [email('maria@example.com'), phone('+16505550123')], {
        kind: 'order',
        order: { orderId: 'o-9', action: 'created', amount: 17800, currency: 'USD' },
      });
      const recorded = await record(order);
      expect(recorded.merges.map((d) => d.outcome)).toEqual(['merged']);
      const merged = recorded.merges[0]!.survivor.find((e) => e.type === 'CustomersMerged');
      const survivor = merged?.type === 'CustomersMerged' ? merged.data.survivorId : undefined;
      expect([byEmail, byPhone]).toContain(survivor);
      expect(await deps.identities.ownerOf(tenantId, phone('+16505550123'))).toBe(survivor);
      expect(await deps.identities.ownerOf(tenantId, email('maria@example.com'))).toBe(survivor);
      expect((await record(interaction(tenantId, 'm-4', 'sms', [phone('+16505550123')]))).customerId).toBe(survivor);
      // The order redelivered: the same merge request, nothing new decided.
      const again = await record(JSON.parse(JSON.stringify(order)) as InteractionReceived);
      expect(again.merges.every((d) => d.outcome === 'unchanged' || d.outcome === 'merged')).toBe(true);
    });
  });

  describe('given a Telegram customer who shares a contact card with the phone an SMS customer holds', () => {
    const tenantId = freshId('rec');
    const card = phone('+14155550188');
    let sms: string;
    let tg: string;

    beforeAll(async () => {
      sms = (await record(interaction(tenantId, 's-1', 'sms', [card]))).customerId;
      tg = (await record(interaction(tenantId, 't-1', 'telegram', [telegram('888001')]))).customerId;
      const shared = await record(interaction(tenantId, 't-2', 'telegram', [telegram('888001'), card]));
      expect(shared.customerId).toBe(tg);
      expect(shared.merges.map((d) => d.outcome)).toEqual(['proposed']);
    });

    it('then the Telegram customer’s state does not list the phone: what the state shows is what the store’s claims hold', async () => {
      expect((await deps.customers.load(tenantId, tg)).state.identities).toEqual([telegram('888001')]);
      expect(await holdersOfListed(tenantId, tg)).toEqual([['888001', tg]]);
      expect(await holdersOfListed(tenantId, sms)).toEqual([[card.value, sms]]);
    });

    it('then a merge a person confirms brings the phone with it, and an unmerge takes it back to the SMS customer', async () => {
      const decision = await mergeCustomers(deps, {
        tenantId,
        customerIds: [tg, sms],
        evidence: { source: 'agent_confirmed', detail: 'confirmed by an agent', identities: [telegram('888001'), card] },
        requestId: `${tenantId}-confirm`,
        now: '2026-11-23T11:00:00.000Z',
      });
      expect(decision.outcome).toBe('merged');
      const survivor = decision.survivor.find((e) => e.type === 'CustomersMerged');
      const survivorId = survivor?.type === 'CustomersMerged' ? survivor.data.survivorId : '';
      const mergedId = survivorId === tg ? sms : tg;
      const moved = survivor?.type === 'CustomersMerged' ? survivor.data.identitiesMoved.map((i) => i.value) : [];
      expect(moved).toEqual([mergedId === sms ? card.value : '888001']);
      expect((await holdersOfListed(tenantId, survivorId)).sort()).toEqual(
        [
          [card.value, survivorId],
          ['888001', survivorId],
        ].sort(),
      );

      await unmergeCustomers(deps, {
        tenantId,
        survivorId,
        mergeId: decision.mergeId,
        reason: 'not the same person',
        requestId: `${tenantId}-undo`,
        now: '2026-11-23T12:00:00.000Z',
      });
      expect(await holdersOfListed(tenantId, tg)).toEqual([['888001', tg]]);
      expect(await holdersOfListed(tenantId, sms)).toEqual([[card.value, sms]]);
    });
  });

  describe('given many interactions of new people sharing one new phone at once', () => {
    it('then they all end up with one customer holding that phone', async () => {
      const tenantId = freshId('rec');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          record(interaction(tenantId, `c-${i}`, 'webchat', [email(`visitor${i}@example.com`), phone('+14155550199')])),
        ),
      );
      const owner = await deps.identities.ownerOf(tenantId, phone('+14155550199'));
      expect(results.map((r) => r.customerId)).toContain(owner);
      expect(new Set(results.map((r) => r.customerId)).size).toBeGreaterThanOrEqual(1);
    });
  });
});

describe('given an interaction a contact-center platform says who handled (issue #16)', () => {
  it('then agent, queue, team and disposition are recorded with it in the customer’s stream', async () => {
    const tenantId = freshId('rec');
    const handling = { agent: 'a-117', queue: 'billing', team: 'tier-2', disposition: 'resolved' };
    const recorded = await record(interaction(tenantId, 'chat-1', 'webchat', [phone('+16505550199')], { handling }));
    const { events } = await deps.customers.history(tenantId, recorded.customerId);
    const event = events.find((e) => e.type === 'InteractionRecorded');
    expect(event?.type === 'InteractionRecorded' && event.data.handling).toEqual(handling);
  });

  it('then its own attributes are recorded with it as sent', async () => {
    const tenantId = freshId('rec');
    const attributes = { region: 'eu', priority: 2, vip: true };
    const recorded = await record(interaction(tenantId, 'chat-2', 'webchat', [phone('+16505550198')], { attributes }));
    const { events } = await deps.customers.history(tenantId, recorded.customerId);
    const event = events.find((e) => e.type === 'InteractionRecorded');
    expect(event?.type === 'InteractionRecorded' && event.data.attributes).toEqual(attributes);
  });
});
