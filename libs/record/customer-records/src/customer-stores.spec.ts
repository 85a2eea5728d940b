import { customerStoresOptions, eventStoreChoice } from './customer-stores';
import { IdentityHasher } from '@hub/contracts';

const naming = { current: IdentityHasher.development() };

describe('the store factory reads the deployment choice', () => {
  it('PostgreSQL by default, EventStoreDB with its URL', () => {
    expect(eventStoreChoice({})).toEqual({ kind: 'postgres' });
    expect(
      eventStoreChoice({
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://h:2113',
      }),
    ).toEqual({ kind: 'eventstoredb', url: 'esdb://h:2113' });
  });

  it('refuses EventStoreDB without a URL, and an unknown store', () => {
    expect(() => eventStoreChoice({ EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_URL/);
    expect(() => eventStoreChoice({ EVENT_STORE: 'mongodb' })).toThrow(/EVENT_STORE/);
  });

  it("carries the app's key and snapshot settings along", () => {
    expect(
      customerStoresOptions(
        {
          HUB_KEK: 'k',
          SNAPSHOT_EVERY: 7,
          EVENT_STORE: 'postgres',
        },
        naming,
      ),
    ).toEqual({ identityNaming: naming, kek: 'k', snapshotEvery: 7, eventStore: { kind: 'postgres' } });
    expect(customerStoresOptions({ SNAPSHOT_EVERY: 7 }, naming)).toEqual({
      identityNaming: naming,
      snapshotEvery: 7,
      eventStore: { kind: 'postgres' },
    });
    expect(customerStoresOptions({ SNAPSHOT_EVERY: 7, EVENT_STORE_MIN_GAP_MS: 20 }, naming)).toMatchObject({ subscriptionMinGapMs: 20 });
  });
});
