import { evaluatePolicy, evaluateRule, type Facts, type Rule } from './rule';

const facts: Facts = {
  'satisfaction.lastCsat': 2,
  'satisfaction.lastNps': null,
  'customer.quadrant': 'at_risk',
  'churn.signals': ['recent_refund'],
  'customer.highValue': true,
};

describe('the rule language', () => {
  describe('given a fact rule', () => {
    it.each<[Rule, boolean]>([
      [{ fact: 'satisfaction.lastCsat', op: 'lte', value: 2 }, true],
      [{ fact: 'satisfaction.lastCsat', op: 'lt', value: 2 }, false],
      [{ fact: 'satisfaction.lastCsat', op: 'gte', value: 2 }, true],
      [{ fact: 'satisfaction.lastCsat', op: 'gt', value: 1 }, true],
      [{ fact: 'customer.quadrant', op: 'eq', value: 'at_risk' }, true],
      [{ fact: 'customer.quadrant', op: 'neq', value: 'at_risk' }, false],
      [{ fact: 'customer.quadrant', op: 'in', value: ['champion', 'at_risk'] }, true],
      [{ fact: 'customer.quadrant', op: 'nin', value: ['champion', 'at_risk'] }, false],
      [{ fact: 'churn.signals', op: 'contains', value: 'recent_refund' }, true],
      [{ fact: 'churn.signals', op: 'contains', value: 'falling_satisfaction' }, false],
      [{ fact: 'customer.highValue', op: 'eq', value: true }, true],
      [{ fact: 'satisfaction.lastNps', op: 'exists', value: false }, true],
      [{ fact: 'satisfaction.lastCsat', op: 'exists', value: true }, true],
    ])('then %j holds: %s', (rule, passed) => {
      expect(evaluateRule(rule, facts).passed).toBe(passed);
    });

    it('then a comparison with null never holds, and null is not equal to a value', () => {
      for (const op of ['lt', 'lte', 'gt', 'gte'] as const)
        expect(evaluateRule({ fact: 'satisfaction.lastNps', op, value: 6 }, facts).passed).toBe(false);
      expect(evaluateRule({ fact: 'satisfaction.lastNps', op: 'neq', value: 6 }, facts).passed).toBe(true);
      expect(evaluateRule({ fact: 'satisfaction.lastNps', op: 'eq', value: null }, facts).passed).toBe(true);
    });

    it('then an absent fact reads null', () => {
      expect(evaluateRule({ fact: 'traits.tier', op: 'eq', value: 'gold' }, facts)).toEqual({
        rule: 'traits.tier eq "gold"',
        passed: false,
        facts: { 'traits.tier': null },
      });
    });
  });

  describe('given nested rules', () => {
    const rule: Rule = {
      id: 'poor-recent-or-at-risk',
      any: [
        {
          id: 'poor',
          all: [
            { fact: 'satisfaction.lastCsat', op: 'lte', value: 1 },
            { fact: 'customer.highValue', op: 'eq', value: true },
          ],
        },
        { not: { fact: 'customer.quadrant', op: 'eq', value: 'champion' } },
      ],
    };

    it('then the trace shows every condition, what it read and whether it held', () => {
      expect(evaluateRule(rule, facts)).toEqual({
        id: 'poor-recent-or-at-risk',
        rule: 'any',
        passed: true,
        facts: { 'satisfaction.lastCsat': 2, 'customer.highValue': true, 'customer.quadrant': 'at_risk' },
        children: [
          {
            id: 'poor',
            rule: 'all',
            passed: false,
            facts: { 'satisfaction.lastCsat': 2, 'customer.highValue': true },
            children: [
              { rule: 'satisfaction.lastCsat lte 1', passed: false, facts: { 'satisfaction.lastCsat': 2 } },
              { rule: 'customer.highValue eq true', passed: true, facts: { 'customer.highValue': true } },
            ],
          },
          {
            rule: 'not',
            passed: true,
            facts: { 'customer.quadrant': 'at_risk' },
            children: [{ rule: 'customer.quadrant eq "champion"', passed: false, facts: { 'customer.quadrant': 'at_risk' } }],
          },
        ],
      });
    });
  });

  describe('given a policy (a list of rules)', () => {
    it('then it holds when all hold, and an empty one always holds', () => {
      expect(evaluatePolicy([], facts)).toEqual({ passed: true, rules: [] });
      const p = evaluatePolicy(
        [
          { fact: 'customer.highValue', op: 'eq', value: true },
          { fact: 'satisfaction.lastCsat', op: 'gt', value: 3 },
        ],
        facts,
      );
      expect(p.passed).toBe(false);
      expect(p.rules.map((r) => r.passed)).toEqual([true, false]);
    });
  });
});
