import { upcast, type HistoryEvent, type NextBestActionDecided, type StoredEvent } from '@hub/customer';
import fixture from '../explain/__fixtures__/nba-engine-v1.decisions.json';
import { DecisionReplayError, reproduceDecision } from '../explain/reproduce-decision';
import { storedAndRead } from '../testing/recorded-stream';
import { STRATEGIES, STRATEGY_VERSION, strategyOf } from './strategies';

/**
 * Decisions recorded by nba-engine-v1 before text signals and whole histories existed: made by
 * running libs/decide/nba at 918f975 (`__fixtures__/nba-engine-v1.generator.ts.txt`, run in a `git archive
 * 918f975` tree), with the streams they were made on, as stored, in the store-wide log's order.
 */
const log: HistoryEvent[] = fixture.log.map((e) => ({
  customerId: e.customerId,
  revision: BigInt(e.revision),
  position: BigInt(e.position),
  event: upcast(e.event as unknown as StoredEvent),
}));
const decisions = log.filter((h): h is HistoryEvent & { event: NextBestActionDecided } => h.event.type === 'NextBestActionDecided');
const reproduce = (h: HistoryEvent & { event: NextBestActionDecided }, decided = h.event) =>
  reproduceDecision({ decided, tenantId: fixture.tenantId, customerId: h.customerId, history: log });

describe('strategy versions', () => {
  it('then the worker decides with the newest, and every version a decision names is in the registry', () => {
    expect(STRATEGY_VERSION).toBe('nba-engine-v2');
    expect(Object.keys(STRATEGIES)).toEqual(['nba-engine-v1', 'nba-engine-v2']);
    expect(strategyOf('nba-engine-v1')).toMatchObject({ textSignals: false, reads: 'own-stream' });
    expect(strategyOf('toString')).toBeUndefined();
  });

  describe('given decisions recorded by nba-engine-v1 (libs/decide/nba at 918f975), text signals and a merge in their streams', () => {
    it('then the fixture holds what v1 decided: nothing for an Arabic complaint it could not read, nothing for a survivor whose merged-in self had complained', () => {
      expect(decisions.map((h) => [h.customerId, h.event.data.strategyVersion, h.event.data.action.code])).toEqual([
        ['c-1', 'nba-engine-v1', 'do_nothing'],
        ['c-1', 'nba-engine-v1', 'do_nothing'],
        ['c-1', 'nba-engine-v1', 'service_recovery'],
        ['m-1', 'nba-engine-v1', 'escalate_manager'],
        ['s-1', 'nba-engine-v1', 'do_nothing'],
      ]);
      // One was recorded as the release before v3 recorded decisions (the whole ranking, facts included).
      expect(decisions.filter((h) => h.event.data.arbitration).map((h) => h.revision)).toEqual([4n]);
    });

    it('then this build reproduces each bit for bit, with v1: the words not read, a survivor on its own stream', () => {
      for (const h of decisions) {
        const r = reproduce(h);
        expect({ id: h.event.data.decisionId, differences: r.differences, unmatched: r.unmatchedPosteriors }).toEqual({
          id: h.event.data.decisionId,
          differences: [],
          unmatched: [],
        });
        expect(r.recomputed.strategyVersion).toBe('nba-engine-v1');
        expect(r.recomputed.facts).not.toHaveProperty('signals.last24h');
        expect(r.recomputed.explanation.inputs).not.toHaveProperty('signals');
      }
    });

    it('then the same events under v2 decide otherwise: the words count, and the survivor is the whole person', () => {
      const asV2 = (h: HistoryEvent & { event: NextBestActionDecided }) =>
        reproduce(h, { ...storedAndRead(h.event), data: { ...h.event.data, strategyVersion: 'nba-engine-v2' } });
      const complaint = asV2(decisions[0]!);
      expect(complaint.recomputed.chosen.actionId).toBe('escalate_manager');
      expect(complaint.recomputed.facts['signals.last24h']).toEqual(['complaint', 'refund_cancel']);
      const survivor = asV2(decisions[4]!);
      expect(survivor.input.state.mergedFrom).toEqual(['m-1']);
      expect(survivor.input.history.decisions.map((d) => d.actionId)).toEqual(['escalate_manager']);
      expect(survivor.recomputed.facts['intent.complaintWithin24h']).toBe(true);
      expect(survivor.recomputed.chosen.actionId).not.toBe('do_nothing');
      expect(survivor.differences.map((d) => d.path)).toContain('action.code');
    });
  });

  it('when a decision names a version this build does not have, then it is refused, naming the versions it runs', () => {
    const h = decisions[0]!;
    const unknown = { ...storedAndRead(h.event), data: { ...h.event.data, strategyVersion: 'nba-engine-v0' } };
    expect(() => reproduce(h, unknown)).toThrow(DecisionReplayError);
    expect(() => reproduce(h, unknown)).toThrow(
      /strategy "nba-engine-v0", which this build does not have \(it runs nba-engine-v1, nba-engine-v2\)/,
    );
  });
});
