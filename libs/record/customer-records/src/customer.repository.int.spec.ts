import { Pool } from 'pg';
import { customerStream, deterministicId } from '@hub/contracts';
import { foldCustomer, type CustomerEvent } from '@hub/customer';
import { generatedHistory } from '@hub/customer/testing';
import { EncryptingEventStore, PostgresKeyStore } from '@hub/crypto-shredding';
import { PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { CustomerRepository, toNewEvent } from './customer.repository';
import { PostgresSnapshotStore } from './postgres.snapshot-store';

let pool: Pool;
let store: PostgresEventStore;
let snapshots: PostgresSnapshotStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  store = await PostgresEventStore.create({ pool });
  snapshots = await PostgresSnapshotStore.create({ pool });
});
afterAll(() => pool.end());

/** A generated history re-addressed to one tenant and customer, with unique event ids. */
function historyFor(tenantId: string, customerId: string, seed: number, length: number): CustomerEvent[] {
  return generatedHistory(seed, length).map((e, i) => ({
    ...e,
    metadata: { ...e.metadata, tenantId, eventId: deterministicId('history', tenantId, customerId, String(i)) },
  })) as CustomerEvent[];
}

async function appendInChunks(
  repo: CustomerRepository,
  tenantId: string,
  customerId: string,
  events: CustomerEvent[],
  chunk = 7,
): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) await repo.append(tenantId, customerId, events.slice(i, i + chunk));
}

describe('when snapshots are taken every 10 events', () => {
  it('loads the same state as a full fold, starting from the newest snapshot', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    const repo = new CustomerRepository(store, { store: snapshots, every: 10 });
    // Nobody merged into them: a survivor's whole history spans other streams, and is never snapshotted
    // (merged-customer-state.int.spec.ts).
    const events = historyFor(tenantId, customerId, 7, 95).filter((e) => e.type !== 'CustomersMerged' && e.type !== 'CustomerUnmerged');
    await appendInChunks(repo, tenantId, customerId, events.slice(0, 40));
    const first = await repo.load(tenantId, customerId); // takes a snapshot at revision 39
    expect(first.fromSnapshot).toBeUndefined();
    await appendInChunks(repo, tenantId, customerId, events.slice(40));

    const loaded = await repo.load(tenantId, customerId);
    expect(loaded.fromSnapshot).toBe(39n);
    const last = BigInt(events.length - 1);
    expect(loaded.events).toHaveLength(events.length - 40); // only what came after the snapshot was read
    expect(loaded.revision).toBe(last);
    expect(loaded.state).toEqual(foldCustomer(events));
    // And the next load starts from the snapshot taken by that one.
    expect((await repo.load(tenantId, customerId)).fromSnapshot).toBe(last);
    expect((await repo.load(tenantId, customerId)).state).toEqual(foldCustomer(events));
  });
});

describe('when the customer is loaded as of a past moment', () => {
  it('folds only the events recorded by then', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    const repo = new CustomerRepository(store);
    const events = historyFor(tenantId, customerId, 11, 30).map((e, i) => ({
      ...e,
      metadata: { ...e.metadata, recordedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() },
    })) as CustomerEvent[];
    await repo.append(tenantId, customerId, events);
    const asOf = new Date(Date.UTC(2026, 0, 1, 0, 12)).toISOString();
    const then = await repo.load(tenantId, customerId, { asOf });
    expect(then.state).toEqual(foldCustomer(events.slice(0, 13)));
    expect(then.revision).toBe(12n);
    const atRevision = await repo.load(tenantId, customerId, { atRevision: 4n });
    expect(atRevision.state).toEqual(foldCustomer(events.slice(0, 5)));
  });
});

describe('when a stored event has an older schema version', () => {
  it('is upcast to the current shape before it is folded', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    const eventId = deterministicId('legacy', tenantId, customerId);
    // A CustomerRegistered v0 as an early writer stored it: the phone as a bare string.
    await store.appendToStream(customerStream(tenantId, customerId), [
      {
        eventId,
        type: 'CustomerRegistered',
        data: { customerId, tenantId, phone: '+14155550100' },
        metadata: {
          eventId,
          correlationId: eventId,
          causationId: eventId,
          occurredAt: '2025-01-01T00:00:00.000Z',
          recordedAt: '2025-01-01T00:00:00.000Z',
          schemaVersion: 0,
          tenantId,
          channel: 'sms',
        },
      },
    ]);
    const { state } = await new CustomerRepository(store).load(tenantId, customerId);
    expect(state.identities).toEqual([{ kind: 'phone', value: '+14155550100' }]);
  });
});

describe('when snapshots are sealed with the customer key', () => {
  it('stores no readable personal data, and an erased key makes the snapshot unreadable', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    const keys = await PostgresKeyStore.create({ pool });
    const sealed = await PostgresSnapshotStore.create({ pool, keys });
    const repo = new CustomerRepository(new EncryptingEventStore(store, { keys }), { store: sealed, every: 1 });
    const eventId = deterministicId('sealed', tenantId, customerId);
    const registered: CustomerEvent = {
      type: 'CustomerRegistered',
      data: { customerId, tenantId, identity: { kind: 'phone', value: '+14155550199' } },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: '2025-01-01T00:00:00.000Z',
        recordedAt: '2025-01-01T00:00:00.000Z',
        schemaVersion: 1,
        tenantId,
        channel: 'sms',
      },
    };
    await repo.append(tenantId, customerId, [registered]);
    await repo.load(tenantId, customerId); // takes the snapshot
    const raw = await pool.query<{ snapshot: string }>(
      'select snapshot from customer_snapshots where tenant_id = $1 and customer_id = $2',
      [tenantId, customerId],
    );
    expect(raw.rows[0]!.snapshot).not.toContain('+14155550199');
    expect((await sealed.load(tenantId, customerId))!.state.identities).toEqual([{ kind: 'phone', value: '+14155550199' }]);
    await keys.destroy(tenantId, customerId);
    expect(await sealed.load(tenantId, customerId)).toBeUndefined();
    expect(toNewEvent(registered).eventId).toBe(eventId);
  });
});
