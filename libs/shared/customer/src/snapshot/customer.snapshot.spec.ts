import type { CustomerEvent } from '../events/customer.events';
import { foldCustomer } from '../state/customer.evolve';
import { initialCustomerState } from '../state/customer.state';
import { generatedHistory as history } from '../testing/generated-history';
import {
  CUSTOMER_STATE_SCHEMA_VERSION,
  deserializeSnapshot,
  foldFromSnapshot,
  serializeSnapshot,
  shouldSnapshot,
  snapshotOf,
} from './customer.snapshot';

/** What a repository does: keep the latest snapshot taken every N events, stored as JSON. */
function foldWithSnapshots(events: CustomerEvent[], everyN: number): { state: ReturnType<typeof foldCustomer>; snapshots: number } {
  let stored: string | undefined;
  let state = initialCustomerState();
  let snapshots = 0;
  events.forEach((event, i) => {
    state = foldCustomer([event], state);
    const revision = BigInt(i);
    if (shouldSnapshot(revision, everyN)) {
      stored = serializeSnapshot(snapshotOf(state, revision));
      snapshots += 1;
    }
  });
  const snapshot = stored === undefined ? undefined : deserializeSnapshot(stored);
  const after = snapshot ? events.slice(Number(snapshot.revision) + 1) : events;
  return { state: foldFromSnapshot(snapshot, after), snapshots };
}

describe('customer snapshots', () => {
  describe('shouldSnapshot', () => {
    it('says yes after every N events (revisions N-1, 2N-1, …)', () => {
      const taken = Array.from({ length: 12 }, (_, i) => BigInt(i)).filter((r) => shouldSnapshot(r, 5));
      expect(taken).toEqual([4n, 9n]);
    });

    it('refuses an interval that is not a positive integer', () => {
      expect(() => shouldSnapshot(0n, 0)).toThrow(RangeError);
      expect(() => shouldSnapshot(0n, 2.5)).toThrow(RangeError);
    });
  });

  describe('given a snapshot written and read back', () => {
    const events = history(7, 60);
    const snapshot = snapshotOf(foldCustomer(events), 60n);
    const json = serializeSnapshot(snapshot);

    it('then it is plain JSON, the revision a decimal string', () => {
      expect(JSON.parse(json)).toMatchObject({ schemaVersion: CUSTOMER_STATE_SCHEMA_VERSION, revision: '60' });
    });

    it('then it reads back equal, state included', () => {
      expect(deserializeSnapshot(json)).toEqual(snapshot);
    });

    it('then the state survives JSON exactly: no Date, bigint, Map or undefined in it', () => {
      expect(JSON.parse(JSON.stringify(snapshot.state))).toStrictEqual(snapshot.state);
      for (const seed of [2, 5, 11, 20]) {
        const state = foldCustomer(history(seed, 150));
        expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
      }
    });
  });

  describe('given a snapshot of another state schema version, or garbage', () => {
    const json = serializeSnapshot(snapshotOf(foldCustomer(history(1, 5)), 5n));

    it('then it is ignored, so the caller folds the whole stream', () => {
      expect(deserializeSnapshot(json.replace(`"schemaVersion":${CUSTOMER_STATE_SCHEMA_VERSION}`, '"schemaVersion":0'))).toBeUndefined();
      expect(deserializeSnapshot('{not json')).toBeUndefined();
      expect(deserializeSnapshot('{"schemaVersion":1,"revision":"x","state":{}}')).toBeUndefined();
      expect(deserializeSnapshot('[]')).toBeUndefined();
    });

    it('then folding without a snapshot is the full fold', () => {
      const events = history(1, 5);
      expect(foldFromSnapshot(undefined, events)).toEqual(foldCustomer(events));
    });
  });

  describe.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])('given generated history #%i', (seed) => {
    const events = history(seed, 20 + seed * 7);
    const full = foldCustomer(events);

    it.each([1, 3, 10, 25])('then snapshot (every %i events) + the events after it equals the full fold', (everyN) => {
      const { state } = foldWithSnapshots(events, everyN);
      expect(state).toEqual(full);
      expect(JSON.stringify(state)).toBe(JSON.stringify(full));
    });
  });

  it('the generated histories exercise every part of the state', () => {
    const full = foldCustomer(history(20, 160));
    expect(full.consents).not.toEqual({});
    expect(Object.keys(full.traits).length).toBeGreaterThan(0);
    expect(full.satisfaction.trend).not.toBe('unknown');
    expect(full.value.orders).toBeGreaterThan(0);
    expect(Object.keys(full.conversations).length).toBeGreaterThan(1);
    expect(full.merges.map((m) => m.role)).toEqual(expect.arrayContaining(['survivor', 'merged']));
    expect(full.mergeProposals.length).toBeGreaterThan(0);
    expect(full.inboundWindow.length).toBeGreaterThan(0);
    expect(full.lastDecision).toBeDefined();
  });
});
