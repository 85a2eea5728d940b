import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { CachedOutcomeTally, PostgresOutcomeTallyStore, type CountedOutcome } from './outcome-tally.store';

let pool: Pool;
let store: PostgresOutcomeTallyStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 8 });
  // Two workers booting at once both ensure the tables.
  [store] = await Promise.all([PostgresOutcomeTallyStore.create(pool), PostgresOutcomeTallyStore.create(pool)]);
});
afterAll(() => pool.end());

const outcome = (tenantId: string, o: Partial<CountedOutcome> = {}): CountedOutcome => ({
  eventId: freshId('o'),
  tenantId,
  decisionId: freshId('d'),
  actionId: 'retention_offer',
  segment: 'at_risk',
  outcome: 'accepted',
  occurredAt: '2026-11-23T09:00:00.000Z',
  ...o,
});

describe('PostgresOutcomeTallyStore', () => {
  describe('when outcomes of several actions and segments arrive, some twice and at once', () => {
    it('counts each event once, per tenant, action and segment (no segment: unknown)', async () => {
      const [tenantId, other] = [freshId('tn'), freshId('tn')];
      const accepted = outcome(tenantId);
      const outcomes = [
        accepted,
        accepted,
        outcome(tenantId, { outcome: 'declined' }),
        outcome(tenantId, { outcome: 'no_response' }),
        outcome(tenantId, { segment: 'champion' }),
        outcome(tenantId, { actionId: 'csat_survey', segment: null, outcome: 'no_response' }),
        outcome(other),
      ];
      const counted = await Promise.all(outcomes.map((o) => store.count(o)));
      expect(counted.filter(Boolean)).toHaveLength(6);
      expect(await store.tally(tenantId)).toEqual({
        retention_offer: { at_risk: { accepted: 1, declined: 1, noResponse: 1 }, champion: { accepted: 1, declined: 0, noResponse: 0 } },
        csat_survey: { unknown: { accepted: 0, declined: 0, noResponse: 1 } },
      });
      expect(await store.tally(freshId('tn'))).toEqual({});
    });
  });
});

describe('CachedOutcomeTally', () => {
  it('reads a tenant’s tally again only once the cache time passed', async () => {
    const tenantId = freshId('tn');
    let now = 0;
    const cached = new CachedOutcomeTally(store, 5_000, () => now);
    expect(await cached.tally(tenantId)).toEqual({});
    await store.count(outcome(tenantId));
    now = 4_999;
    expect(await cached.tally(tenantId)).toEqual({});
    now = 5_000;
    expect(await cached.tally(tenantId)).toEqual({ retention_offer: { at_risk: { accepted: 1, declined: 0, noResponse: 0 } } });
  });
});
