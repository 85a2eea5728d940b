import type { NbaCandidate } from '@hub/customer';
import { catalogV1 } from '../catalog/load-catalog';
import { mulberry32 } from '../learning/prng';
import { countsOf, posterior, type OutcomeCounts } from '../learning/outcomes';
import { countAddingUpTo, overlayTally, recordedOutcomes } from './recorded-posteriors';

const catalog = catalogV1();
const scored = (actionId: string, alpha: number, beta: number): NbaCandidate => ({
  actionId,
  kind: 'service',
  strategy: 's',
  survived: true,
  rejectedBy: [],
  policies: [],
  contact: null,
  score: {
    propensity: { base: 0, alpha, beta, mean: 0, sampled: 0 },
    context: { weight: 1, rules: [] },
    value: 1,
    lever: { weight: 1, levers: {} },
    priority: 0,
  },
});

describe('turning recorded posteriors back into counts', () => {
  describe('given posteriors of many tallies (integer counts, no-responses weighing 0.5)', () => {
    const random = mulberry32(42);
    const cases = Array.from({ length: 2_000 }, () => {
      const action = catalog.actions[Math.floor(random() * catalog.actions.length)]!;
      const counts: OutcomeCounts = {
        accepted: Math.floor(random() * 5_000),
        declined: Math.floor(random() * 5_000),
        noResponse: Math.floor(random() * 5_000),
      };
      return { action, counts, post: posterior(action.basePropensity, counts, catalog.learning) };
    });

    it('then the counts found give back alpha and beta bit for bit through the engine’s own arithmetic', () => {
      for (const { action, post } of cases) {
        const { tally, unmatched } = recordedOutcomes(
          { segment: 'champion', candidates: [scored(action.id, post.alpha, post.beta)] },
          catalog,
        );
        expect(unmatched).toEqual([]);
        const again = posterior(action.basePropensity, countsOf(tally, action.id, 'champion'), catalog.learning);
        expect([again.alpha, again.beta]).toEqual([post.alpha, post.beta]);
      }
    });
  });

  describe('when a count cannot be an integer', () => {
    it('then the double that adds up exactly is used', () => {
      const prior = 0.1 * 3;
      const target = prior + 1e-9;
      const y = countAddingUpTo(prior, target)!;
      expect(prior + y).toBe(target);
    });
  });

  describe('when the scored action is not in the catalog', () => {
    it('then it is reported unmatched and left out of the tally', () => {
      expect(recordedOutcomes({ segment: 's', candidates: [scored('gone', 1, 1)] }, catalog)).toEqual({ tally: {}, unmatched: ['gone'] });
    });
  });

  describe('when recorded counts are laid over a replayed tally', () => {
    it('then they replace its counts for their (action, segment) only', () => {
      const base = {
        a: { x: { accepted: 1, declined: 1, noResponse: 1 }, y: { accepted: 2, declined: 2, noResponse: 2 } },
        b: { x: { accepted: 3, declined: 0, noResponse: 0 } },
      };
      expect(overlayTally(base, { a: { x: { accepted: 9, declined: 0, noResponse: 0 } } })).toEqual({
        ...base,
        a: { x: { accepted: 9, declined: 0, noResponse: 0 }, y: base.a.y },
      });
    });
  });
});
