import type { NbaFactValue, NbaRuleTrace } from '@hub/customer';

/**
 * The rule language of engagement policies and context weights, written in the catalog as JSON:
 *
 *   { "fact": "satisfaction.lastCsat", "op": "lte", "value": 2 }
 *   { "all": [rule, …] }   { "any": [rule, …] }   { "not": rule }
 *
 * Any rule may carry an `id` (named in verdicts). A list of rules (a policy) holds when all hold.
 * Facts are named values derived from the customer (`facts.ts`); a fact that is absent reads null.
 *
 * Operators: `eq` / `neq` (same JSON scalar), `lt` `lte` `gt` `gte` (numbers; never hold for null),
 * `in` / `nin` (the fact is / is not one of a list), `contains` (a list fact has the value), `exists`
 * (`value: true`: the fact is not null; `false`: it is null).
 */
export const RULE_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'nin', 'contains', 'exists'] as const;
export type RuleOp = (typeof RULE_OPS)[number];

export type RuleScalar = string | number | boolean | null;
export type RuleValue = RuleScalar | readonly RuleScalar[];

interface RuleBase {
  id?: string;
  description?: string;
}
export interface FactRule extends RuleBase {
  fact: string;
  op: RuleOp;
  value: RuleValue;
}
export interface AllRule extends RuleBase {
  all: readonly Rule[];
}
export interface AnyRule extends RuleBase {
  any: readonly Rule[];
}
export interface NotRule extends RuleBase {
  not: Rule;
}
export type Rule = FactRule | AllRule | AnyRule | NotRule;

export type Facts = Readonly<Record<string, NbaFactValue>>;

const isList = (v: NbaFactValue | RuleValue): v is readonly RuleScalar[] => Array.isArray(v);

function holds(op: RuleOp, fact: NbaFactValue, value: RuleValue): boolean {
  switch (op) {
    case 'eq':
      return !isList(fact) && fact === value;
    case 'neq':
      return !(!isList(fact) && fact === value);
    case 'lt':
      return typeof fact === 'number' && typeof value === 'number' && fact < value;
    case 'lte':
      return typeof fact === 'number' && typeof value === 'number' && fact <= value;
    case 'gt':
      return typeof fact === 'number' && typeof value === 'number' && fact > value;
    case 'gte':
      return typeof fact === 'number' && typeof value === 'number' && fact >= value;
    case 'in':
      return !isList(fact) && isList(value) && value.includes(fact);
    case 'nin':
      return !(!isList(fact) && isList(value) && value.includes(fact));
    case 'contains':
      return isList(fact) && !isList(value) && typeof value === 'string' && fact.includes(value);
    case 'exists':
      return (fact !== null) === (value === true);
    default: {
      const exhaustive: never = op;
      return exhaustive;
    }
  }
}

export const readFact = (facts: Facts, name: string): NbaFactValue =>
  Object.prototype.hasOwnProperty.call(facts, name) ? facts[name]! : null;

/** Rendered once per rule object: catalogs are deep-frozen when loaded, and each decision renders every leaf. */
const rendered = new WeakMap<Rule, string>();

export function renderRule(rule: Rule): string {
  if ('fact' in rule) {
    let text = rendered.get(rule);
    if (text === undefined) rendered.set(rule, (text = `${rule.fact} ${rule.op} ${JSON.stringify(rule.value)}`));
    return text;
  }
  if ('all' in rule) return 'all';
  if ('any' in rule) return 'any';
  return 'not';
}

const withId = (rule: Rule, trace: Omit<NbaRuleTrace, 'id'>): NbaRuleTrace => (rule.id === undefined ? trace : { id: rule.id, ...trace });

/**
 * Evaluate a rule over facts, recording whether it held and every fact value it read. Every child
 * of `all`/`any` is evaluated (no short cut), so a verdict shows each condition, not only the first
 * that failed.
 */
export function evaluateRule(rule: Rule, facts: Facts): NbaRuleTrace {
  if ('fact' in rule) {
    const value = readFact(facts, rule.fact);
    return withId(rule, { rule: renderRule(rule), passed: holds(rule.op, value, rule.value), facts: { [rule.fact]: value } });
  }
  const children =
    'all' in rule
      ? rule.all.map((r) => evaluateRule(r, facts))
      : 'any' in rule
        ? rule.any.map((r) => evaluateRule(r, facts))
        : [evaluateRule(rule.not, facts)];
  const read: Record<string, NbaFactValue> = {};
  for (const c of children) Object.assign(read, c.facts);
  const passed = 'all' in rule ? children.every((c) => c.passed) : 'any' in rule ? children.some((c) => c.passed) : !children[0]!.passed;
  return withId(rule, { rule: renderRule(rule), passed, facts: read, children });
}

/** A policy (a list of rules): holds when every rule holds; no rules always holds. */
export function evaluatePolicy(rules: readonly Rule[], facts: Facts): { passed: boolean; rules: NbaRuleTrace[] } {
  const traces = rules.map((r) => evaluateRule(r, facts));
  return { passed: traces.every((t) => t.passed), rules: traces };
}

/** Every fact name a rule reads. */
export function factsRead(rule: Rule): string[] {
  if ('fact' in rule) return [rule.fact];
  if ('all' in rule) return rule.all.flatMap(factsRead);
  if ('any' in rule) return rule.any.flatMap(factsRead);
  return factsRead(rule.not);
}
