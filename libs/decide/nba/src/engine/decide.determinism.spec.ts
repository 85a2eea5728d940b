import { upcast, type CustomerEvent, type StoredEvent } from '@hub/customer';
import {
  conversationResolved,
  deepFreeze,
  generatedHistory,
  inbound,
  orderPlaced,
  phone,
  registered,
  surveyAnswered,
} from '@hub/customer/testing';
import { sampleBeta } from '../learning/beta';
import { substream } from '../learning/prng';
import { at, CUSTOMER, decideAfter, inputAfter } from '../testing/nba.fixtures';
import { decide } from './decide';
import { decidedEvent, latestTrigger } from './decided-event';

const story: CustomerEvent[] = [
  registered(CUSTOMER, at(1, 9), phone()),
  orderPlaced('o1', at(2), 'A-1', 90_000, 'EUR'),
  surveyAnswered('s1', at(4), 'csat', 2),
  inbound('i1', at(10, 9), { text: 'I want a refund, this is unacceptable' }),
  conversationResolved('r1', at(10, 11)),
];

describe('decide is deterministic', () => {
  describe('given the same input', () => {
    const input = inputAfter(story, { seed: 7 });

    it('then the decision is the same, field for field', () => {
      expect(decide(input)).toStrictEqual(decide(structuredClone(input)));
    });

    it('then an input that went through JSON gives the same decision (nothing hides in prototypes or undefined)', () => {
      expect(decide(JSON.parse(JSON.stringify(input)) as typeof input)).toStrictEqual(decide(input));
    });

    it('then the decision itself survives JSON unchanged', () => {
      const d = decide(input);
      expect(JSON.parse(JSON.stringify(d))).toStrictEqual(d);
    });

    it('then deciding changes neither the state, nor the history, nor the catalog', () => {
      const copy = (): typeof input => JSON.parse(JSON.stringify(input)) as typeof input;
      const frozen = deepFreeze(copy());
      expect(() => decide(frozen)).not.toThrow();
      expect(frozen).toStrictEqual(copy());
    });
  });

  describe('given a recorded decision', () => {
    const input = inputAfter(story, { seed: 123_456_789 });
    const decision = decide(input);
    const stored = JSON.parse(JSON.stringify(decidedEvent(decision, 'corr-1'))) as StoredEvent;
    const read = upcast(stored);

    it('then it records the seed and the versions that decided', () => {
      expect(read.type).toBe('NextBestActionDecided');
      if (read.type !== 'NextBestActionDecided') return;
      const versions = { strategyVersion: 'nba-engine-v2', catalogVersion: '2025.06-1' };
      expect(read.data).toMatchObject({ seed: 123_456_789, ...versions, basedOnEventId: 'r1', segment: decision.segment });
      expect(read.metadata).toMatchObject({
        eventId: decision.decisionId,
        causationId: 'r1',
        correlationId: 'corr-1',
        occurredAt: input.now,
      });
      expect(read.metadata.schemaVersion).toBe(3);
    });

    it('then it records the ranking’s outcome counts and priorities, not the ranking', () => {
      if (read.type !== 'NextBestActionDecided') throw new Error('not a decision');
      expect(read.data.arbitration).toBeUndefined();
      expect(read.data.menu).toEqual(decision.menu.map((m) => ({ actionId: m.actionId, channel: m.channel, priority: m.priority })));
      expect(read.data.contactMode).toBe(decision.chosen.contactMode);
    });

    it('then recomputing it from the same inputs and the recorded seed gives the recorded decision, bit for bit', () => {
      if (read.type !== 'NextBestActionDecided') throw new Error('not a decision');
      const again = decide({ ...input, seed: read.data.seed! });
      expect(decidedEvent(again, 'corr-1').data).toStrictEqual(read.data);
    });

    it('then every sampled propensity is the Beta draw of its own sub-stream of the seed', () => {
      for (const c of decision.candidates.filter((x) => x.score)) {
        const { alpha, beta, sampled } = c.score!.propensity;
        expect(sampleBeta(alpha, beta, substream(decision.seed, c.actionId))).toBe(sampled);
      }
    });
  });

  describe('given a seed recorded by an earlier release', () => {
    it('then the same samples come out (a change here breaks recomputing recorded decisions: bump STRATEGY_VERSION)', () => {
      const d = decideAfter(story, { seed: 7 });
      expect(d.candidates.filter((c) => c.score).map((c) => [c.actionId, c.score!.propensity.sampled])).toEqual([
        ['escalate_manager', 0.7852024110087602],
        ['service_recovery', 0.6051282082671119],
      ]);
    });
  });

  describe('given another seed', () => {
    it('then only the samples change, not the verdicts', () => {
      const [a, b] = [decideAfter(story, { seed: 1 }), decideAfter(story, { seed: 2 })];
      expect(a.candidates.map((c) => [c.actionId, c.rejectedBy])).toEqual(b.candidates.map((c) => [c.actionId, c.rejectedBy]));
      const sampled = (d: typeof a) => d.candidates.filter((c) => c.score).map((c) => c.score!.propensity.sampled);
      expect(sampled(a)).not.toEqual(sampled(b));
    });
  });

  describe('given generated customers of every kind of history', () => {
    const customers = Array.from({ length: 40 }, (_, seed) => generatedHistory(seed + 1, 60));

    it('then every decision explains itself and is reproducible', () => {
      for (const events of customers) {
        const trigger = latestTrigger(events)!;
        const input = inputAfter(events, { trigger, now: new Date(Date.parse(trigger.metadata.occurredAt) + 60_000).toISOString() });
        const d = decide(input);
        expect(JSON.parse(JSON.stringify(decide(JSON.parse(JSON.stringify(input)) as typeof input)))).toStrictEqual(
          JSON.parse(JSON.stringify(d)),
        );
        expect(d.candidates).toHaveLength(input.catalog.actions.length);
        for (const c of d.candidates) {
          expect(c.policies.map((p) => p.policy)).toEqual(['eligibility', 'applicability', 'suitability']);
          if (c.survived)
            expect(c.score!.priority).toBe(c.score!.propensity.sampled * c.score!.context.weight * c.score!.value * c.score!.lever.weight);
        }
        const priorities = d.menu.map((m) => m.priority);
        expect(priorities).toEqual([...priorities].sort((x, y) => y - x));
        expect(d.chosen.actionId).toBe(d.menu[0]?.actionId ?? 'do_nothing');
      }
    });
  });

  describe('given a time that is not a time, or a seed that is not 32 bits', () => {
    it('then it refuses rather than guess', () => {
      expect(() => decide({ ...inputAfter(story), now: 'yesterday' })).toThrow(RangeError);
      expect(() => decide({ ...inputAfter(story), seed: -1 })).toThrow(RangeError);
      expect(() => decide({ ...inputAfter(story), seed: 2 ** 32 })).toThrow(RangeError);
    });
  });
});
