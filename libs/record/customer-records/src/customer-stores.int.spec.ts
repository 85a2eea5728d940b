import { Pool } from 'pg';
import { customerStream, deterministicId, type InteractionReceived } from '@hub/contracts';
import { freshId, TEST_IDENTITY_NAMING, testInfra } from '@hub/testing';
import { createCustomerStores, customerStoresOptions, type CustomerStores } from './customer-stores';
import { recordInteraction } from './record-interaction';

/**
 * The end-to-end slice of the store factory: an app's config (`EVENT_STORE`) → `createCustomerStores`
 * → an interaction recorded, sealed, folded back, and the head of the log past it. On PostgreSQL
 * always; on EventStoreDB whenever EVENTSTORE_URL is set (reported as skipped when not: nothing was
 * checked against EventStoreDB).
 */
const KEK = Buffer.alloc(32, 9).toString('base64');
const eventStoreUrl = testInfra().eventStoreUrl;

let pool: Pool;
beforeAll(() => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
});
afterAll(() => pool.end());

const choices: [string, { EVENT_STORE: 'postgres' | 'eventstoredb'; EVENTSTORE_URL?: string } | undefined][] = [
  ['postgres', { EVENT_STORE: 'postgres' }],
  ['eventstoredb', eventStoreUrl ? { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: eventStoreUrl } : undefined],
];

describe.each(choices)('createCustomerStores with EVENT_STORE=%s', (kind, env) => {
  if (!env) {
    it.skip(`EventStoreDB slice skipped: EVENTSTORE_URL not set (${kind})`, () => undefined);
    return;
  }
  let stores: CustomerStores;
  beforeAll(async () => {
    stores = await createCustomerStores(pool, customerStoresOptions({ HUB_KEK: KEK, SNAPSHOT_EVERY: 50, ...env }, TEST_IDENTITY_NAMING));
  });
  afterAll(() => stores?.store.close());

  it('records an interaction sealed in the chosen store, folds it back opened, and the head is past it', async () => {
    const tenantId = freshId('stores');
    const eventId = deterministicId('customer-stores-int', tenantId);
    const phone = `+1650555${String(Date.now()).slice(-4)}`;
    const received: InteractionReceived = {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'phone', value: phone }],
        content: { text: 'hello from the slice', media: [] },
        provider: { name: 'test', messageId: eventId },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: '2026-12-06T10:00:00.000Z',
        recordedAt: '2026-12-06T10:00:00.000Z',
        schemaVersion: 1,
        tenantId,
        channel: 'sms',
      },
    };

    const recorded = await recordInteraction(stores, received, '2026-12-06T10:00:01.000Z');

    const { state } = await stores.customers.load(tenantId, recorded.customerId);
    expect(state.identities.map((i) => i.value)).toEqual([phone]);
    expect(
      await stores.identities.ownerOf(tenantId, {
        kind: 'phone',
        value: phone,
      }),
    ).toBe(recorded.customerId);
    const stored = await stores.raw.readStream(customerStream(tenantId, recorded.customerId));
    expect(stored.length).toBeGreaterThan(0);
    // Sealed: the stored bytes do not hold the personal fields.
    expect(JSON.stringify(stored.map((e) => e.data))).not.toContain('hello from the slice');
    expect(await stores.store.headPosition()).toBeGreaterThanOrEqual(stored.at(-1)!.globalPosition);
  });
});
