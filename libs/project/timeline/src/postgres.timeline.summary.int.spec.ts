import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { orderPlaced, surveyAnswered } from '@hub/customer/testing';
import { freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import { summaryOfFacts } from './timeline.summary';
import type { TimelineChange } from './timeline.projection';

let pool: Pool;
let store: PostgresTimelineStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  store = new PostgresTimelineStore(pool);
  await store.ensureSchema();
});
afterAll(() => pool.end());

const at = (minute: number) => new Date(Date.parse('2026-11-23T10:00:00.000Z') + minute * 60_000).toISOString();

function contacts(
  tenantId: string,
  customerId: string,
  identity: { kind: string; value: string },
  entries: [minute: number, channel: string][],
): TimelineChange[] {
  return [
    { kind: 'customer', tenantId, customerId, identity, at: at(entries[0]![0]) },
    ...entries.map(
      ([minute, channel], n): TimelineChange => ({
        kind: 'entry',
        identities: [identity],
        entry: {
          tenantId,
          customerId,
          eventId: randomUUID(),
          streamRevision: String(n + 1),
          occurredAt: at(minute),
          recordedAt: at(minute),
          channel,
          direction: 'inbound',
          kind: 'message',
          text: null,
          media: [],
          provider: { name: 'test', messageId: randomUUID() },
        },
      }),
    ),
  ];
}

describe('the customer summary of a customer others were merged into', () => {
  describe('when the phone customer (and a customer merged into it before) are merged into the email customer', () => {
    it('then the survivor’s summary counts every member’s interactions, channels, orders and answers; an unmerge takes them out again', async () => {
      const tenantId = freshId('tn');
      const [email, phone, older] = [freshId('c-email'), freshId('c-phone'), freshId('c-older')];
      const [survey, order] = [surveyAnswered(randomUUID(), at(2), 'csat', 2), orderPlaced(randomUUID(), at(6), 'o-1', 4200)];
      await store.apply([
        ...contacts(tenantId, email, { kind: 'email', value: 'dana@example.com' }, [
          [0, 'email'],
          [1, 'email'],
        ]),
        { kind: 'fact', tenantId, customerId: email, streamRevision: '3', fact: survey },
        ...contacts(tenantId, older, { kind: 'phone', value: '+447700900123' }, [[2, 'voice']]),
        ...contacts(tenantId, phone, { kind: 'phone', value: '+14155550188' }, [
          [3, 'sms'],
          [4, 'sms'],
          [5, 'whatsapp'],
        ]),
        { kind: 'fact', tenantId, customerId: phone, streamRevision: '4', fact: order },
      ]);
      const own = await store.getCustomer(tenantId, email);
      await store.merge(tenantId, older, phone);
      await store.merge(tenantId, phone, email);

      const summary = await store.getCustomer(tenantId, email);
      expect(summary).toMatchObject({
        firstSeenAt: at(0),
        lastSeenAt: at(5),
        interactions: 6,
        channels: ['email', 'sms', 'voice', 'whatsapp'],
        preferredChannel: 'sms',
        value: { orders: 1, revenue: { EUR: { gross: 4200, refunded: 0, net: 4200 } } },
        satisfaction: { csat: { score: 2 } },
        quadrant: summaryOfFacts([survey, order]).quadrant,
      });
      expect(summary!.identities.map((i) => i.value).sort()).toEqual(['+14155550188', '+447700900123', 'dana@example.com']);

      await store.unmerge(tenantId, phone, [{ kind: 'phone', value: '+14155550188' }]);
      const after = await store.getCustomer(tenantId, email);
      expect({ ...after, identities: [] }).toEqual({ ...own, identities: [] });
      expect(await store.getCustomer(tenantId, phone)).toMatchObject({ interactions: 4, channels: ['sms', 'voice', 'whatsapp'] });
    });
  });
});
