import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { customerStream, deterministicId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import {
  createCustomerStores,
  mergeCustomers,
  recordInteraction,
  toCustomerEvent,
  unmergeCustomers,
  type CustomerStores,
} from '@hub/customer-records';
import { PostgresTimelineStore, timelineChangeFor, TimelineQueries, type TimelineChange } from '@hub/timeline';
import { eventually, freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startQueryApi } from './main';

/**
 * `POST …/customers/:id/erase` erases the whole person, on real PostgreSQL: the customers recorded
 * and merged through the record's own stores (`createCustomerStores`), projected into the timeline
 * read model as the projector does, then one erasure of the survivor over HTTP.
 */
jest.setTimeout(60_000);

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const tenant = freshId('er');
const eraseKey = randomBytes(24).toString('base64url');

let app: NestFastifyApplication;
let url = '';
let pool: Pool;
let stores: CustomerStores;
let timeline: PostgresTimelineStore;
let queries: TimelineQueries;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  timeline = new PostgresTimelineStore(pool);
  queries = new TimelineQueries(pool);
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${tenant}:${sha(eraseKey)}:erase`,
  }));
});

afterAll(async () => {
  await app?.close();
  await stores?.store.close();
  await pool?.end();
});

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 11, minute)).toISOString();
let phones = 0;
const newPhone = (): IdentityRef => ({
  kind: 'phone',
  value: `+1415556${String(1000 + ((process.pid * 3 + phones++) % 9000)).padStart(4, '0')}`,
});

function sms(label: string, phone: IdentityRef, minute: number): InteractionReceived {
  const eventId = deterministicId('erase-api', tenant, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [phone],
      content: { text: `${label} says hello`, media: [] },
      provider: { name: 'test', messageId: label },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at(minute),
      recordedAt: at(minute),
      schemaVersion: 1,
      tenantId: tenant,
      channel: 'sms',
    },
  };
}

/** A customer with two messages. */
async function customer(name: string, minute: number): Promise<{ customerId: string; phone: IdentityRef }> {
  const phone = newPhone();
  const first = await recordInteraction(stores, sms(`${name}-1`, phone, minute), at(minute));
  await recordInteraction(stores, sms(`${name}-2`, phone, minute + 1), at(minute + 1));
  return { customerId: first.customerId, phone };
}

async function merge(survivor: { customerId: string; phone: IdentityRef }, merged: { customerId: string; phone: IdentityRef }) {
  const decision = await mergeCustomers(stores, {
    tenantId: tenant,
    customerIds: [survivor.customerId, merged.customerId],
    evidence: { source: 'paid_order', detail: 'paid with both numbers', identities: [survivor.phone, merged.phone] },
    requestId: `merge-${merged.customerId}`,
    now: at(20),
  });
  expect(decision.outcome).toBe('merged');
  return decision.mergeId;
}

/** Every change the projector makes from these customers' streams, in the order the store recorded them. */
async function changes(customerIds: readonly string[]): Promise<TimelineChange[]> {
  const all = [];
  for (const customerId of customerIds)
    for (const e of await stores.store.readStream(customerStream(tenant, customerId))) all.push({ customerId, e });
  return all
    .sort((x, y) => (x.e.globalPosition < y.e.globalPosition ? -1 : 1))
    .map(({ customerId, e }) => {
      const event = toCustomerEvent(e);
      return event && timelineChangeFor(tenant, customerId, e.revision, event);
    })
    .filter((c): c is TimelineChange => c !== undefined);
}

/** The read model's entries of the customer's timeline (its own and those of the customers merged into it), by record. */
async function entriesOf(customerId: string): Promise<string[]> {
  return (await queries.timeline(tenant, customerId)).entries.map((e) => e.customerId);
}

const erase = (customerId: string) =>
  fetch(`${url}/tenants/${tenant}/customers/${customerId}/erase`, {
    method: 'POST',
    headers: { authorization: `Bearer ${eraseKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'gdpr-art17', requestedBy: 'dpo-1' }),
  });

describe('POST /tenants/:t/customers/:id/erase', () => {
  describe('when the customer has records merged into it, one of them with its own merged in, and one unmerged', () => {
    it('then one erasure purges the read model of every merged-in record, leaves the unmerged one, and a repeat is a duplicate', async () => {
      const a = await customer('ada', 0);
      const b = await customer('bo', 2);
      const c = await customer('cy', 4);
      const d = await customer('di', 6);
      await merge(b, c);
      await merge(a, b);
      const mergeD = await merge(a, d);
      const unmerge = await unmergeCustomers(stores, {
        tenantId: tenant,
        survivorId: a.customerId,
        mergeId: mergeD,
        reason: 'two people',
        requestId: `unmerge-${d.customerId}`,
        now: at(21),
      });
      expect(unmerge.outcome).toBe('unmerged');
      const ids = [a, b, c, d].map((x) => x.customerId);
      const before = await changes(ids);
      await timeline.apply(before);
      expect((await entriesOf(a.customerId)).sort()).toEqual([a, a, b, b, c, c].map((x) => x.customerId).sort());
      expect(await entriesOf(d.customerId)).toEqual([d.customerId, d.customerId]);

      const res = await erase(a.customerId);

      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        records: { customerId: string; cascadeOf: string | null; duplicate: boolean; purged: { entries: number } }[];
      };
      expect(body).toMatchObject({ erased: true, keyDestroyed: true, duplicate: false, mergedInto: null, purged: { entries: 2 } });
      expect(body.records.map((r) => [r.customerId, r.cascadeOf, r.duplicate, r.purged.entries])).toEqual([
        [a.customerId, null, false, 2],
        [b.customerId, a.customerId, false, 2],
        [c.customerId, a.customerId, false, 2],
      ]);
      for (const x of [a, b, c]) {
        expect(await entriesOf(x.customerId)).toEqual([]);
        expect(await timeline.getCustomer(tenant, x.customerId)).toBeUndefined();
      }
      // The customer unmerged before the erasure is another person: its rows and its record stay.
      expect(await entriesOf(d.customerId)).toEqual([d.customerId, d.customerId]);
      expect(await timeline.getCustomer(tenant, d.customerId)).toMatchObject({ interactions: 2 });
      expect(await stores.identities.ownerOf(tenant, d.phone)).toBe(d.customerId);

      // The projector sees each record's CustomerErased (and may redeliver what came before): no row comes back.
      const after = await changes(ids);
      expect(after.filter((ch) => ch.kind === 'purge').map((ch) => ch.customerId)).toEqual([a, b, c].map((x) => x.customerId));
      await timeline.apply(after);
      for (const x of [a, b, c]) expect(await entriesOf(x.customerId)).toEqual([]);
      expect(await entriesOf(d.customerId)).toEqual([d.customerId, d.customerId]);

      // The audit log names the customer asked for and every record erased with it (written in batches: polled).
      const audited = await eventually(
        async () => {
          const { rows } = await pool.query<{ customer_id: string; detail: { customerIds?: string[] } }>(
            `select customer_id, detail from hub_key_audit where tenant_id = $1 and action = 'customer.erased'`,
            [tenant],
          );
          return rows.length > 0 ? rows : undefined;
        },
        { what: 'the erasure in the audit log' },
      );
      expect(audited.map((r) => [r.customer_id, r.detail.customerIds])).toEqual([[a.customerId, [a, b, c].map((x) => x.customerId)]]);

      // Erasing again: nothing is written, every record says duplicate.
      const again = await erase(a.customerId);
      expect(again.status).toBe(200);
      const repeat = (await again.json()) as { duplicate: boolean; records: { customerId: string; duplicate: boolean }[] };
      expect(repeat.duplicate).toBe(true);
      expect(repeat.records.map((r) => [r.customerId, r.duplicate])).toEqual([a, b, c].map((x) => [x.customerId, true]));
      expect(await changes(ids)).toEqual(after);
    });
  });
});
