import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import type { TimelineChange } from './timeline.projection';

describe('PostgresTimelineStore.purgeCustomer', () => {
  let pool: Pool;
  let store: PostgresTimelineStore;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
    store = new PostgresTimelineStore(pool);
    await store.ensureSchema();
  });

  afterAll(async () => {
    await pool?.end();
  });

  function customerChanges(tenantId: string, customerId: string, phone: string): TimelineChange[] {
    const entry = (n: number): TimelineChange => ({
      kind: 'entry',
      identities: [{ kind: 'phone', value: phone }, { kind: 'email', value: `${customerId}@example.com` }],
      entry: {
        tenantId,
        customerId,
        eventId: randomUUID(),
        streamRevision: String(n),
        occurredAt: `2025-01-0${n}T10:00:00.000Z`,
        recordedAt: `2025-01-0${n}T10:00:01.000Z`,
        channel: 'sms',
        direction: 'inbound',
        kind: 'message',
        text: `message ${n} from ${phone}`,
        media: [{ url: `https://media.example.com/${customerId}/${n}.jpg` }],
        provider: { name: 'twilio', messageId: `SM${n}` },
      },
    });
    return [{ kind: 'customer', tenantId, customerId, identity: { kind: 'phone', value: phone }, at: '2025-01-01T10:00:00.000Z' }, entry(1), entry(2)];
  }

  async function rowsOf(tenantId: string, customerId: string): Promise<{ entries: number; customers: number; identities: number }> {
    const count = async (table: string) =>
      Number((await pool.query<{ n: string }>(`select count(*) as n from ${table} where tenant_id = $1 and customer_id = $2`, [tenantId, customerId])).rows[0]!.n);
    return { entries: await count('timeline_entries'), customers: await count('timeline_customers'), identities: await count('timeline_identities') };
  }

  describe('when a customer with entries, a summary and identities is purged', () => {
    it('then no row of that customer is left in the three tables, and other customers keep theirs', async () => {
      const tenantId = freshId('tenant');
      const [erased, kept] = [freshId('c'), freshId('c')];
      await store.apply([...customerChanges(tenantId, erased, '+14155550101'), ...customerChanges(tenantId, kept, '+14155550102')]);
      expect(await rowsOf(tenantId, erased)).toEqual({ entries: 2, customers: 1, identities: 2 });

      const purged = await store.purgeCustomer(tenantId, erased);

      expect(purged).toEqual({ entries: 2, customers: 1, identities: 2 });
      expect(await rowsOf(tenantId, erased)).toEqual({ entries: 0, customers: 0, identities: 0 });
      expect(await store.getCustomer(tenantId, erased)).toBeUndefined();
      expect(await store.getTimeline(tenantId, erased)).toEqual([]);
      expect(await store.findCustomerIdByIdentity(tenantId, 'phone', '+14155550101')).toBeUndefined();
      expect(await rowsOf(tenantId, kept)).toEqual({ entries: 2, customers: 1, identities: 2 });
      expect(await store.findCustomerIdByIdentity(tenantId, 'phone', '+14155550102')).toBe(kept);
    });
  });

  describe('when the customer was already purged (or never projected)', () => {
    it('then purging again deletes nothing and does not fail', async () => {
      const tenantId = freshId('tenant');
      const customerId = freshId('c');
      await store.apply(customerChanges(tenantId, customerId, '+14155550103'));
      await store.purgeCustomer(tenantId, customerId);

      expect(await store.purgeCustomer(tenantId, customerId)).toEqual({ entries: 0, customers: 0, identities: 0 });
      expect(await store.purgeCustomer(tenantId, freshId('never'))).toEqual({ entries: 0, customers: 0, identities: 0 });
    });
  });
});
