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
      identities: [
        { kind: 'phone', value: phone },
        { kind: 'email', value: `${customerId}@example.com` },
      ],
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
    return [
      { kind: 'customer', tenantId, customerId, identity: { kind: 'phone', value: phone }, at: '2025-01-01T10:00:00.000Z' },
      entry(1),
      entry(2),
    ];
  }

  async function rowsOf(tenantId: string, customerId: string): Promise<{ entries: number; customers: number; identities: number }> {
    const count = async (table: string) =>
      Number(
        (
          await pool.query<{ n: string }>(`select count(*) as n from ${table} where tenant_id = $1 and customer_id = $2`, [
            tenantId,
            customerId,
          ])
        ).rows[0]!.n,
      );
    return {
      entries: await count('timeline_entries'),
      customers: await count('timeline_customers'),
      identities: await count('timeline_identities'),
    };
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

describe('PostgresTimelineStore.ensureSchema', () => {
  describe('when the read model was created by an earlier version (no details, value, satisfaction or facts)', () => {
    it('then it is upgraded in place: the rows stay, the new columns and table are added, and a second run changes nothing', async () => {
      const schema = `tl_upgrade_${freshId('').toLowerCase()}`;
      const admin = new Pool({ connectionString: testInfra().databaseUrl, max: 1 });
      const pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2, options: `-c search_path=${schema}` });
      try {
        await admin.query(`create schema ${schema}`);
        // The read model as the previous release left it.
        await pool.query(`
          create table timeline_entries (event_id uuid primary key, tenant_id text not null, customer_id text not null, stream_revision bigint not null,
            occurred_at timestamptz not null, recorded_at timestamptz not null, channel text not null, direction text not null, kind text not null,
            text text, media jsonb not null default '[]', provider jsonb not null, thread_id text);
          create table timeline_customers (tenant_id text not null, customer_id text not null, first_seen_at timestamptz not null, last_seen_at timestamptz,
            interactions integer not null default 0, channels text[] not null default '{}', merged_into text, preferred_channel text, quadrant text,
            primary key (tenant_id, customer_id));
          create table timeline_identities (tenant_id text not null, kind text not null, namespace text not null default '', value text not null,
            customer_id text not null, primary key (tenant_id, kind, namespace, value));
          create table timeline_erased (tenant_id text not null, customer_id text not null, erased_at timestamptz not null default now(), primary key (tenant_id, customer_id));
          insert into timeline_customers (tenant_id, customer_id, first_seen_at) values ('t', 'c', now());`);
        const store = new PostgresTimelineStore(pool);

        await store.ensureSchema();
        await store.ensureSchema();

        const columns = await pool.query<{ c: string }>(
          `select table_name || '.' || column_name as c from information_schema.columns where table_schema = $1 and table_name <> 'timeline_identities' and column_name in ('details', 'value', 'satisfaction', 'event') order by 1`,
          [schema],
        );
        expect(columns.rows.map((r) => r.c)).toEqual([
          'timeline_customers.satisfaction',
          'timeline_customers.value',
          'timeline_entries.details',
          'timeline_facts.event',
        ]);
        expect(await store.getCustomer('t', 'c')).toEqual(
          expect.objectContaining({ customerId: 'c', value: null, satisfaction: null, quadrant: 'unknown' }),
        );
      } finally {
        await pool.end();
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    });
  });
});
