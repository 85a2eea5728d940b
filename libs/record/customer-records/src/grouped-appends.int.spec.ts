import { Pool } from 'pg';
import { customerStream, type EventMetadata } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { ConcurrencyError, InvalidEventError } from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { createCustomerStores, type CustomerStores } from './customer-stores';
import { GroupedAppends } from './grouped-appends';

let pool: Pool;
let stores: CustomerStores;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  await stores.store.close();
  await pool.end();
});

const meta = (tenantId: string): EventMetadata => {
  const eventId = crypto.randomUUID();
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: '2026-12-06T10:00:00.000Z',
    recordedAt: '2026-12-06T10:00:00.000Z',
    schemaVersion: 1,
    tenantId,
    channel: 'system',
  };
};
const traits = (tenantId: string, tier: string): CustomerEvent => ({
  type: 'TraitsUpdated',
  data: { traits: { tier } },
  metadata: meta(tenantId),
});

describe('GroupedAppends', () => {
  it('writes appends to different customers made at the same time together, each with its own result', async () => {
    const tenantId = freshId('tn');
    const grouped = new GroupedAppends(stores.customers);
    const many = jest.spyOn(stores.customers, 'appendMany');
    const customers = Array.from({ length: 12 }, (_, i) => `c${i}`);

    const results = await Promise.all(customers.map((c) => grouped.append(tenantId, c, [traits(tenantId, c)], 'no_stream')));

    // The first goes alone at once; the eleven that arrived while it was written go in one call.
    expect(many).toHaveBeenCalledTimes(1);
    expect(many.mock.calls[0]![0]).toHaveLength(11);
    expect(results.map((r) => r.nextExpectedRevision)).toEqual(customers.map(() => 0n));
    for (const c of customers) {
      const [stored] = await stores.store.readStream(customerStream(tenantId, c));
      expect(stored!.data).toEqual({ traits: { tier: c } });
    }
  });

  it('gives a stale expected revision its own ConcurrencyError and writes the others', async () => {
    const tenantId = freshId('tn');
    await stores.customers.append(tenantId, 'stale', [traits(tenantId, 'x')]);
    const grouped = new GroupedAppends(stores.customers);
    const [first, stale, other] = await Promise.allSettled([
      grouped.append(tenantId, 'first', [traits(tenantId, 'a')], 'no_stream'),
      grouped.append(tenantId, 'stale', [traits(tenantId, 'b')], 'no_stream'),
      grouped.append(tenantId, 'other', [traits(tenantId, 'c')], 'no_stream'),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(stale.status === 'rejected' && stale.reason).toBeInstanceOf(ConcurrencyError);
    expect(other.status).toBe('fulfilled');
    expect(await stores.store.readStream(customerStream(tenantId, 'stale'))).toHaveLength(1);
  });

  it('never writes two appends of one customer together: the second sees the first', async () => {
    const tenantId = freshId('tn');
    const grouped = new GroupedAppends(stores.customers);
    const [a, , b] = await Promise.all([
      grouped.append(tenantId, 'x', [traits(tenantId, '0')], 'no_stream'),
      grouped.append(tenantId, 'y', [traits(tenantId, '0')], 'no_stream'),
      grouped.append(tenantId, 'y', [traits(tenantId, '1')], 0n),
    ]);
    expect(a.nextExpectedRevision).toBe(0n);
    expect(b.nextExpectedRevision).toBe(1n);
  });

  it('fails only the append the store refuses when a shared write is refused as a whole', async () => {
    const tenantId = freshId('tn');
    const grouped = new GroupedAppends(stores.customers);
    const broken = { ...traits(tenantId, 'bad'), metadata: { ...meta(tenantId), eventId: 'not-a-uuid' } };
    const settled = await Promise.allSettled([
      grouped.append(tenantId, 'one', [traits(tenantId, '1')]),
      grouped.append(tenantId, 'two', [traits(tenantId, '2')]),
      grouped.append(tenantId, 'bad', [broken]),
      grouped.append(tenantId, 'three', [traits(tenantId, '3')]),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidEventError);
  });
});
