import type { NextBestActionDecided } from '@hub/customer';
import {
  consentChanged,
  conversationResolved,
  email,
  inbound,
  orderPlaced,
  orderRefunded,
  phone,
  registered,
  surveyAnswered,
} from '@hub/customer/testing';
import { catalogV1 } from '../catalog/load-catalog';
import { tallyOutcomes, type OutcomeTally } from '../learning/outcomes';
import { at, CUSTOMER, TENANT } from '../testing/nba.fixtures';
import { RecordedStream, storedAndRead } from '../testing/recorded-stream';
import { DecisionReplayError, reproduceDecision } from './reproduce-decision';

/** Outcomes of the population: no-responses weigh 0.5, so beta is fractional. */
const population: OutcomeTally = tallyOutcomes([
  ...Array.from({ length: 7 }, () => ({ actionId: 'kb_order_tracking', segment: 'low_value_happy', outcome: 'accepted' as const })),
  ...Array.from({ length: 3 }, () => ({ actionId: 'kb_order_tracking', segment: 'low_value_happy', outcome: 'no_response' as const })),
  { actionId: 'kb_order_tracking', segment: 'low_value_happy', outcome: 'declined' as const },
  ...Array.from({ length: 5 }, () => ({ actionId: 'csat_survey', segment: 'low_value_happy', outcome: 'no_response' as const })),
  ...Array.from({ length: 2 }, () => ({ actionId: 'retention_offer', segment: 'champion', outcome: 'accepted' as const })),
  ...Array.from({ length: 9 }, () => ({ actionId: 'retention_offer', segment: 'champion', outcome: 'no_response' as const })),
]);

type Format = 'v2' | 'v3';

/**
 * A customer's month: questions, a resolution, a poor score, a refund; decided after each trigger,
 * each decision recorded in the format given for it (v2: the whole ranking, as the previous release did).
 */
function month(formats: readonly [Format, Format, Format, Format] = ['v3', 'v3', 'v3', 'v3']): {
  stream: RecordedStream;
  decisions: NextBestActionDecided[];
} {
  const stream = new RecordedStream().append(
    registered(CUSTOMER, at(1, 9), phone()),
    inbound('e-hello', at(1, 9, 5), { channel: 'email' as never, text: 'hello', identities: [email()] }),
    conversationResolved('r0', at(1, 10), { channel: 'email' as never }),
  );
  const decisions: NextBestActionDecided[] = [];
  stream.append(inbound('i1', at(3, 10), { text: 'Hi, where is my order #4411?' }));
  decisions.push(stream.decide(at(3, 10, 1), { outcomes: population, recordedAs: formats[0] }));
  stream.outcome(decisions[0]!, 'accepted', at(3, 12));
  stream.append(conversationResolved('r1', at(3, 14)));
  decisions.push(stream.decide(at(3, 14, 1), { outcomes: population, recordedAs: formats[1] }));
  stream.append(surveyAnswered('s1', at(4, 9), 'csat', 1));
  decisions.push(stream.decide(at(4, 9, 1), { outcomes: population, recordedAs: formats[2] }));
  stream.append(
    orderPlaced('o1', at(5), 'A-1', 80_000, 'EUR'),
    consentChanged('c1', at(6), 'opted_in', { channel: 'email' as never }),
    orderRefunded('rf1', at(20, 11), 'A-1', 20_000),
  );
  decisions.push(stream.decide(at(20, 11, 1), { outcomes: population, recordedAs: formats[3] }));
  return { stream, decisions };
}

const tampered = (d: NextBestActionDecided, change: (copy: NextBestActionDecided) => void): NextBestActionDecided => {
  const copy = storedAndRead(d);
  change(copy);
  return copy;
};

describe('reproducing a recorded decision', () => {
  const { stream, decisions } = month();
  const reproduce = (decided: NextBestActionDecided) =>
    reproduceDecision({ decided, tenantId: TENANT, customerId: CUSTOMER, stream: stream.events });

  describe('given decisions recorded the way the worker records them, with population posteriors', () => {
    it('then the month holds the expected variety of actions', () => {
      expect(decisions.map((d) => d.data.action.code)).toEqual(['kb_order_tracking', 'csat_survey', 'service_recovery', 'retention_offer']);
    });

    it('then each recomputes bit for bit from the stream, its catalog version, its seed and its recorded posteriors', () => {
      for (const decided of decisions) {
        const r = reproduce(decided);
        expect(r.differences).toEqual([]);
        expect(r.unmatchedPosteriors).toEqual([]);
        expect(r.recomputed.decisionId).toBe(decided.data.decisionId);
      }
    });

    it('then the rebuilt input is the stream up to the revision it was based on, the trigger, the seed and now', () => {
      const decided = decisions[1]!;
      const r = reproduce(decided);
      expect(r.input).toMatchObject({
        stateRevision: decided.data.basedOnRevision,
        seed: decided.data.seed,
        now: decided.metadata.occurredAt,
      });
      expect(r.input.trigger.metadata.eventId).toBe('r1');
      expect(r.input.history.decisions.map((d) => d.decisionId)).toEqual([decisions[0]!.data.decisionId]);
      expect(r.input.history.outcomes).toHaveLength(1);
    });

    it('then the posteriors it sampled are the population’s, with fractional no-responses', () => {
      const scored = reproduce(decisions[0]!).recomputed.candidates.find((c) => c.actionId === 'kb_order_tracking')!.score!;
      expect(scored.propensity).toMatchObject({ alpha: 0.6 * 10 + 7, beta: 0.4 * 10 + 1 + 1.5 });
    });
  });

  describe('when a stored decision was changed', () => {
    it('then a changed seed shows in what its samples ranked', () => {
      const r = reproduce(tampered(decisions[0]!, (d) => (d.data.seed = d.data.seed! + 1)));
      expect(r.input.seed).toBe(decisions[0]!.data.seed! + 1);
      expect(r.differences.map((x) => x.path)).toEqual(['explanation.reason', 'menu.0.priority']);
    });

    it('then a changed priority is the one path that differs', () => {
      const r = reproduce(tampered(decisions[2]!, (d) => (d.data.menu![0]!.priority = 99)));
      expect(r.differences).toEqual([{ path: 'menu.0.priority', stored: 99, recomputed: decisions[2]!.data.menu![0]!.priority }]);
    });

    it('then changed outcome counts show in the priority sampled from them', () => {
      const r = reproduce(tampered(decisions[0]!, (d) => (d.data.outcomes!['kb_order_tracking']!.accepted += 50)));
      expect(r.input.outcomes['kb_order_tracking']!['low_value_happy']!.accepted).toBe(57);
      expect(r.differences.map((x) => x.path)).toEqual(['explanation.reason', 'menu.0.priority']);
    });

    it('then a changed action is reported where it was changed', () => {
      const r = reproduce(tampered(decisions[3]!, (d) => (d.data.action.code = 'offer_upgrade')));
      expect(r.differences).toEqual([{ path: 'action.code', stored: 'offer_upgrade', recomputed: 'retention_offer' }]);
    });
  });

  describe('given the population counts a decision read', () => {
    it('then it records them for the actions it scored, in its segment, and nothing of the ranking', () => {
      const d = decisions[0]!.data;
      expect(d.segment).toBe('low_value_happy');
      expect(d.outcomes).toEqual({ kb_order_tracking: { accepted: 7, declined: 1, noResponse: 3 } });
      expect(d.arbitration).toBeUndefined();
    });
  });

  describe('when a decision cannot be recomputed', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
        return undefined;
      } catch (err) {
        return err instanceof DecisionReplayError ? err.code : String(err);
      }
    };

    it('then an unknown catalog version says so', () => {
      const d = tampered(decisions[0]!, (x) => (x.data.catalogVersion = '1999.01-9'));
      expect(() => reproduce(d)).toThrow(/catalog version "1999.01-9", which no shipped catalog has/);
      expect(codeOf(() => reproduce(d))).toBe('NBA_UNKNOWN_CATALOG_VERSION');
    });

    it('then another strategy version says which', () => {
      expect(codeOf(() => reproduce(tampered(decisions[0]!, (x) => (x.data.strategyVersion = 'nba-engine-v0'))))).toBe(
        'NBA_STRATEGY_VERSION',
      );
    });

    it('then a decision of the first rule set has nothing to recompute from', () => {
      expect(
        codeOf(() =>
          reproduce(tampered(decisions[0]!, (x) => ((x.data.arbitration = null), (x.data.seed = null), (x.data.catalogVersion = null)))),
        ),
      ).toBe('NBA_FIRST_RULE_SET');
    });

    it('then a revision the stream does not reach, or a trigger not in it, is named', () => {
      expect(codeOf(() => reproduce(tampered(decisions[0]!, (x) => (x.data.basedOnRevision = '999'))))).toBe('NBA_REVISION_NOT_FOUND');
      expect(codeOf(() => reproduce(tampered(decisions[0]!, (x) => (x.data.basedOnEventId = 'not-there'))))).toBe('NBA_TRIGGER_NOT_FOUND');
    });
  });

  describe('given the catalog the decision was made with', () => {
    it('then it is the shipped catalog of that version', () => {
      expect(reproduce(decisions[0]!).input.catalog).toStrictEqual(catalogV1());
    });
  });

  describe('given decisions recorded by the previous release (v2: the whole ranking), old and new in one stream', () => {
    const old = month(['v2', 'v2', 'v3', 'v3']);
    const replay = (decided: NextBestActionDecided) =>
      reproduceDecision({ decided, tenantId: TENANT, customerId: CUSTOMER, stream: old.stream.events });

    it('then they are the same decisions as recorded today', () => {
      expect(old.decisions.map((d) => d.data.decisionId)).toEqual(decisions.map((d) => d.data.decisionId));
      expect(old.decisions[0]!.data.arbitration?.segment).toBe('low_value_happy');
      expect(old.decisions[0]!.data.contactMode).toBe(decisions[0]!.data.contactMode);
    });

    it('then each, v2 or v3, recomputes bit for bit, a v2 one compared in its own shape', () => {
      for (const decided of old.decisions) {
        const r = replay(decided);
        expect(r.differences).toEqual([]);
        expect(r.unmatchedPosteriors).toEqual([]);
      }
      expect(Object.keys(replay(old.decisions[0]!).recomputedRecord)).toContain('arbitration');
    });

    it('then a changed v2 priority is still reported where it was changed', () => {
      const r = replay(tampered(old.decisions[1]!, (d) => (d.data.arbitration!.menu[0]!.priority = 99)));
      expect(r.differences).toEqual([
        { path: 'arbitration.menu.0.priority', stored: 99, recomputed: old.decisions[1]!.data.arbitration!.menu[0]!.priority },
      ]);
    });
  });
});
