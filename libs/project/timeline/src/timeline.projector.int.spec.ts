import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { customerStream, type EventMetadata, type InteractionData } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { PostgresCheckpointStore, PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import { timelineChangeFor } from './timeline.projection';
import { TimelineProjector } from './timeline.projector';
import { TimelineQueries } from './timeline.queries';

/**
 * The projector over a real PostgreSQL event store, into the real read model: orders, refunds and
 * survey answers (the derived events beside the InteractionRecorded that carried them) make the
 * summary's value, satisfaction and quadrant; each entry keeps its facet as details.
 */
describe('TimelineProjector: summary facts and interaction details', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  let timeline: PostgresTimelineStore;
  let queries: TimelineQueries;
  let checkpoints: PostgresCheckpointStore;
  const tenant = freshId('tf');
  const subscriptionId = `test.timeline.${freshId('p')}`;
  let from = 0n;
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().databaseUrl, max: 6 });
    store = await PostgresEventStore.create({ pool });
    timeline = new PostgresTimelineStore(pool);
    queries = new TimelineQueries(pool);
    await timeline.ensureSchema();
    await queries.ensureSchema();
    checkpoints = await PostgresCheckpointStore.create({ pool });
    // Only what this file appends: the shared test database holds every other test's events too.
    from = BigInt((await pool.query<{ h: string }>('select coalesce(max(global_position), 0)::text as h from hub_events')).rows[0]!.h);
  });

  afterAll(async () => {
    await store?.close();
    await pool?.end();
  });

  /** Projects what was appended since the last call, through the checkpointed projector, until caught up. */
  async function project(): Promise<void> {
    const projector = new TimelineProjector({
      store,
      timeline,
      checkpoints,
      subscriptionId,
      streamPrefix: customerStream(tenant, ''),
      fromWhenNoCheckpoint: from,
      logger: quiet,
    });
    await (
      await projector.start()
    ).caughtUp;
    await projector.stop();
  }

  const meta = (occurredAt: string): EventMetadata => {
    const eventId = randomUUID();
    return {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt,
      recordedAt: occurredAt,
      schemaVersion: 1,
      tenantId: tenant,
      channel: 'sms',
    };
  };
  const day = (d: number) => `2025-05-${String(d).padStart(2, '0')}T09:00:00.000Z`;
  const registered = (customerId: string, phone: string): CustomerEvent => ({
    type: 'CustomerRegistered',
    data: { customerId, tenantId: tenant, identity: { kind: 'phone', value: phone } },
    metadata: meta(day(1)),
  });
  const interaction = (phone: string, d: number, data: Partial<InteractionData>): CustomerEvent => ({
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { media: [] },
      provider: { name: 'shop', messageId: randomUUID() },
      ...data,
    },
    metadata: meta(day(d)),
  });
  const placed = (orderId: string, amount: number, d: number): CustomerEvent => ({
    type: 'OrderPlaced',
    data: { orderId, amount, currency: 'EUR' },
    metadata: meta(day(d)),
  });
  const answered = (survey: 'csat' | 'nps', score: number, d: number): CustomerEvent => ({
    type: 'SurveyAnswered',
    data: { survey, score },
    metadata: meta(day(d)),
  });
  const append = (customerId: string, events: CustomerEvent[]) =>
    store.appendToStream(
      customerStream(tenant, customerId),
      events.map((e) => ({ eventId: e.metadata.eventId, type: e.type, data: e.data, metadata: { ...e.metadata } })),
    );

  const order = { orderId: 'o-1', action: 'created' as const, amount: 60_000, currency: 'EUR' };
  const survey = {
    surveyId: 's-1',
    kind: 'csat' as const,
    score: 2,
    answers: [{ questionId: 'q1', question: 'How did we do?', value: 2 }],
  };
  const orderFact = placed('o-1', 60_000, 2);

  beforeAll(async () => {
    // a: a large order, then a poor CSAT (both as the interaction and as the derived event).
    await append('a', [
      registered('a', '+14155558001'),
      interaction('+14155558001', 2, { kind: 'order', order, content: { text: 'Order o-1', media: [] } }),
      orderFact,
      interaction('+14155558001', 3, { kind: 'survey', survey }),
      answered('csat', 2, 3),
      interaction('+14155558001', 4, { content: { text: 'where is it?', media: [] } }),
    ]);
    // b: a small order and a happy NPS, later merged into a.
    await append('b', [registered('b', '+14155558002'), placed('o-9', 100, 2), answered('nps', 10, 3), interaction('+14155558002', 3, {})]);
    // e: a customer who will be erased.
    await append('e', [registered('e', '+14155558003'), placed('o-5', 90_000, 2), interaction('+14155558003', 2, {})]);
    // n: only messages.
    await append('n', [registered('n', '+14155558004'), interaction('+14155558004', 2, {})]);
    await project();
  });

  describe('when a customer ordered and answered a survey', () => {
    it('then the summary carries value, satisfaction and the quadrant quadrantOf gives (high value, poor answer: at_risk)', async () => {
      const a = await timeline.getCustomer(tenant, 'a');
      expect(a).toEqual(
        expect.objectContaining({
          interactions: 3,
          value: { orders: 1, revenue: { EUR: { gross: 60_000, refunded: 0, net: 60_000 } }, lastOrderAt: day(2) },
          satisfaction: expect.objectContaining({ csat: expect.objectContaining({ score: 2, at: day(3) }), trend: 'unknown' }),
          quadrant: 'at_risk',
        }),
      );
      expect(await timeline.getCustomer(tenant, 'n')).toEqual(
        expect.objectContaining({ value: null, satisfaction: null, quadrant: 'unknown' }),
      );
    });

    it('then analysts list customers by quadrant, with value and satisfaction', async () => {
      const atRisk = await queries.searchCustomers(tenant, { quadrants: ['at_risk'] });
      expect(atRisk.customers.map((c) => c.customerId)).toEqual(['a']);
      expect(atRisk.customers[0]).toEqual(
        expect.objectContaining({
          value: expect.objectContaining({ orders: 1 }),
          satisfaction: expect.objectContaining({ trend: 'unknown' }),
        }),
      );
      expect((await queries.searchCustomers(tenant, { quadrants: ['low_value_happy'] })).customers.map((c) => c.customerId)).toEqual(['b']);
      // A customer with neither an order nor a survey answer is `unknown`, and found as such, alone or with others.
      expect((await queries.searchCustomers(tenant, { quadrants: ['unknown'] })).customers.map((c) => [c.customerId, c.quadrant])).toEqual([
        ['n', 'unknown'],
      ]);
      expect(
        (await queries.searchCustomers(tenant, { quadrants: ['unknown', 'at_risk'] })).customers.map((c) => c.customerId).sort(),
      ).toEqual(['a', 'n']);
    });

    it('then each entry keeps its facet as details, and the timeline filters by kind', async () => {
      const page = await queries.timeline(tenant, 'a', { kinds: ['order', 'survey'] });
      expect(page.entries.map((e) => [e.kind, e.details])).toEqual([
        ['order', { order }],
        ['survey', { survey }],
      ]);
      const all = await queries.timeline(tenant, 'a');
      expect(all.entries.map((e) => e.details)).toEqual([{ order }, { survey }, null]);
    });
  });

  describe('when a fact is delivered again', () => {
    it('then it still counts once', async () => {
      const change = timelineChangeFor(tenant, 'a', 2n, orderFact as CustomerEvent)!;
      await timeline.apply([change, change]);
      expect((await timeline.getCustomer(tenant, 'a'))?.value).toEqual(
        expect.objectContaining({ orders: 1, revenue: { EUR: { gross: 60_000, refunded: 0, net: 60_000 } } }),
      );
    });
  });

  describe('when a customer is merged into another, and another is erased', () => {
    beforeAll(async () => {
      const mergeId = randomUUID();
      await append('b', [
        {
          type: 'CustomerMergedInto',
          data: { mergeId, survivorId: 'a', reason: 'same person', source: 'agent_confirmed', identitiesHandedOver: [] },
          metadata: meta(day(5)),
        },
      ]);
      await append('e', [
        { type: 'CustomerErased', data: { customerId: 'e', reason: 'TICKET-9', requestedBy: 'test' }, metadata: meta(day(5)) },
      ]);
      await project();
    });

    it('then each keeps the quadrant of its own stream (as its folded state does), and the merged one leaves the listing', async () => {
      expect((await timeline.getCustomer(tenant, 'a'))?.quadrant).toBe('at_risk');
      expect((await timeline.getCustomer(tenant, 'b'))?.quadrant).toBe('low_value_happy');
      expect((await queries.searchCustomers(tenant, { quadrants: ['low_value_happy'] })).customers).toEqual([]);
      // b's entries are part of a's timeline, details included.
      expect((await queries.timeline(tenant, 'a')).entries).toHaveLength(4);
    });

    it('then the erased customer has no summary and no facts left, and a redelivered fact brings none back', async () => {
      expect(await timeline.getCustomer(tenant, 'e')).toBeUndefined();
      const facts = async () =>
        Number(
          (
            await pool.query<{ n: string }>('select count(*) as n from timeline_facts where tenant_id = $1 and customer_id = $2', [
              tenant,
              'e',
            ])
          ).rows[0]!.n,
        );
      expect(await facts()).toBe(0);
      await timeline.apply([timelineChangeFor(tenant, 'e', 1n, placed('o-6', 1, 4))!]);
      expect(await facts()).toBe(0);
      expect((await queries.searchCustomers(tenant, {})).customers.map((c) => c.customerId)).toEqual(['a', 'n']);
    });
  });
});
