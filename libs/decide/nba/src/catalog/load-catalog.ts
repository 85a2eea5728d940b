import { ALL_CHANNEL_IDS, HubError, validateAs, type FieldError, type Validated } from '@hub/contracts';
import { consentKeyword, NBA_POLICY_KINDS } from '@hub/customer';
import catalogV1Json from '../../catalog/catalog.v1.json';
import catalogV2Json from '../../catalog/catalog.v2.json';
import catalogV3Json from '../../catalog/catalog.v3.json';
import catalogV4Json from '../../catalog/catalog.v4.json';
import { COST_TO_SERVE_FACTS, factDefinition, TRAIT_FACT } from '../facts/facts';
import { factsRead, type Rule } from '../policy/rule';
import { CatalogDto, type OutcomeKeywordListDto, type RuleDto } from './catalog.dto';
import { keywordForm } from '../history/reply-outcome';
import type { Catalog, CatalogAction, Policies } from './catalog.types';

/** A catalog that cannot be used; `errors` name each failing field by its path (`actions.3.value`). */
export class CatalogError extends HubError {
  readonly code = 'INVALID_CATALOG';
  readonly retryable = false;
  constructor(
    readonly catalogVersion: string,
    readonly errors: FieldError[],
  ) {
    super(`action catalog ${catalogVersion}: invalid\n${errors.map((e) => `  - ${e.field}: ${e.messages.join('; ')}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

const SHAPES = ['fact', 'all', 'any', 'not'] as const;
const NUMERIC_OPS = new Set(['lt', 'lte', 'gt', 'gte']);

function ruleErrors(rule: RuleDto, path: string): FieldError[] {
  const err = (field: string, message: string): FieldError => ({ field: `${path}${field}`, messages: [message] });
  const shapes = SHAPES.filter((k) => rule[k] !== undefined);
  if (shapes.length !== 1)
    return [err('', `a rule has exactly one of fact, all, any, not (found ${shapes.length ? shapes.join(', ') : 'none'})`)];
  if (rule.all) return rule.all.flatMap((r, i) => ruleErrors(r, `${path}.all.${i}`));
  if (rule.any) return rule.any.flatMap((r, i) => ruleErrors(r, `${path}.any.${i}`));
  if (rule.not) return ruleErrors(rule.not, `${path}.not`);

  const fact = rule.fact!;
  const errors: FieldError[] = [];
  if (rule.op === undefined) errors.push(err('.op', 'a fact rule needs an op'));
  if (rule.value === undefined) errors.push(err('.value', 'a fact rule needs a value (null is a value)'));
  const def = factDefinition(fact);
  if (!def) errors.push(err('.fact', `unknown fact "${fact}" (see FACT_DEFINITIONS, or traits.<key>)`));
  if (errors.length > 0 || !def || rule.op === undefined) return errors;

  const { op, value } = rule;
  const isTrait = TRAIT_FACT.test(fact);
  const list = Array.isArray(value) ? value : undefined;
  if (NUMERIC_OPS.has(op)) {
    if (typeof value !== 'number') errors.push(err('.value', `${op} compares numbers`));
    if (!isTrait && def.type !== 'number') errors.push(err('.op', `${fact} is a ${def.type}; ${op} needs a number fact`));
  } else if (op === 'in' || op === 'nin') {
    if (!list) errors.push(err('.value', `${op} needs a list of values`));
  } else if (op === 'contains') {
    if (!isTrait && def.type !== 'string[]') errors.push(err('.op', `contains needs a list fact; ${fact} is a ${def.type}`));
    if (typeof value !== 'string') errors.push(err('.value', 'contains looks for a string'));
  } else if (op === 'exists') {
    if (typeof value !== 'boolean') errors.push(err('.value', 'exists takes true (not null) or false (null)'));
  } else {
    if (list) errors.push(err('.value', `${op} compares one value; use in / nin for a list`));
    else if (!isTrait && value !== null) {
      const expected = def.type === 'string[]' ? 'list' : def.type;
      if (typeof value !== expected) errors.push(err('.value', `${fact} is a ${def.type}, not a ${typeof value}`));
    } else if (!isTrait && value === null && !def.nullable) errors.push(err('.value', `${fact} is never null`));
  }
  // Enumerated facts: a value they can never take is a typo.
  if (def.values && errors.length === 0 && op !== 'exists') {
    const compared = list ?? (value === null ? [] : [value]);
    for (const v of compared) {
      if (v !== null && !def.values.includes(String(v)))
        errors.push(err('.value', `"${String(v)}" is not a value of ${fact} (${def.values.join(', ')})`));
    }
  }
  return errors;
}

function policiesErrors(
  p: { eligibility?: RuleDto[]; applicability?: RuleDto[]; suitability?: RuleDto[] } | undefined,
  path: string,
): FieldError[] {
  if (!p) return [];
  return NBA_POLICY_KINDS.flatMap((kind) => (p[kind] ?? []).flatMap((r, i) => ruleErrors(r, `${path}.${kind}.${i}`)));
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** What the DTOs cannot check: references, uniqueness, and that every rule reads a fact it can. */
function semanticErrors(c: CatalogDto): FieldError[] {
  const errors: FieldError[] = [];
  const push = (field: string, message: string) => errors.push({ field, messages: [message] });

  const levers = new Set<string>();
  c.levers.forEach((l, i) => (levers.has(l.id) ? push(`levers.${i}.id`, `duplicate lever "${l.id}"`) : levers.add(l.id)));
  const channels = new Set<string>();
  c.contactPolicy.channels.forEach((ch, i) =>
    channels.has(ch.channel) ? push(`contactPolicy.channels.${i}.channel`, `duplicate channel "${ch.channel}"`) : channels.add(ch.channel),
  );
  if (!isTimeZone(c.contactPolicy.defaultTimeZone))
    push('contactPolicy.defaultTimeZone', `"${c.contactPolicy.defaultTimeZone}" is not an IANA time zone`);
  if (!factDefinition(c.learning.segmentBy)) push('learning.segmentBy', `unknown fact "${c.learning.segmentBy}"`);
  errors.push(...policiesErrors(c.policyDefaults, 'policyDefaults'));
  errors.push(...costToServeErrors(c));

  const ids = new Set<string>();
  const none = c.actions.filter((a) => a.kind === 'none').length;
  if (none !== 1) push('actions', `must hold exactly one action of kind none (the do-nothing fallback); found ${none}`);
  c.actions.forEach((a, i) => {
    const at = `actions.${i}`;
    if (ids.has(a.id)) push(`${at}.id`, `duplicate action id "${a.id}"`);
    ids.add(a.id);
    if ((a.kind === 'none') !== (a.contactMode === 'none'))
      push(
        `${at}.contactMode`,
        a.kind === 'none' ? 'must be none for the do-nothing action' : 'only the do-nothing action has contact mode none',
      );
    if (a.kind === 'none' && a.channels.length > 0) push(`${at}.channels`, 'the do-nothing action uses no channel');
    if (a.kind === 'none' && a.controlGroupShare !== undefined)
      push(`${at}.controlGroupShare`, 'the do-nothing action has no control group');
    if (a.kind !== 'none' && a.channels.length === 0) push(`${at}.channels`, 'must name at least one channel');
    a.channels.forEach((ch, j) => {
      if (!channels.has(ch)) push(`${at}.channels.${j}`, `channel "${ch}" has no contactPolicy.channels entry`);
    });
    (a.levers ?? []).forEach((l, j) => {
      if (!levers.has(l)) push(`${at}.levers.${j}`, `unknown lever "${l}" (catalog levers: ${[...levers].join(', ') || 'none'})`);
    });
    (a.contextWeights ?? []).forEach((w, j) => errors.push(...ruleErrors(w.when, `${at}.contextWeights.${j}.when`)));
    errors.push(...policiesErrors(a.policies, `${at}.policies`));
  });
  errors.push(...outcomeKeywordErrors(c.outcomeKeywords ?? []));
  return errors;
}

/** Keyword lists: no consent keyword (STOP stays consent), no word that both accepts and declines, one list per locale. */
function outcomeKeywordErrors(lists: readonly OutcomeKeywordListDto[]): FieldError[] {
  const errors: FieldError[] = [];
  const answerOf = new Map<string, string>();
  const locales = new Set<string>();
  lists.forEach((list, i) => {
    if (locales.has(list.locale)) errors.push({ field: `outcomeKeywords.${i}.locale`, messages: [`duplicate locale "${list.locale}"`] });
    locales.add(list.locale);
    for (const answer of ['accept', 'decline'] as const)
      list[answer].forEach((word, j) => {
        const field = `outcomeKeywords.${i}.${answer}.${j}`;
        const form = keywordForm(word);
        const consent = consentKeyword(word)?.signal;
        if (form === '') errors.push({ field, messages: ['a keyword needs a letter or digit'] });
        else if (consent === 'opt_out' || consent === 'help')
          errors.push({ field, messages: [`"${word}" is a consent keyword: it changes consent and is never an outcome`] });
        else if (answerOf.has(form) && answerOf.get(form) !== answer)
          errors.push({ field, messages: [`"${word}" both accepts and declines`] });
        answerOf.set(form, answer);
      });
  });
  return errors;
}

const policiesOf = (p: Partial<Policies> | undefined): Policies => ({
  eligibility: p?.eligibility ?? [],
  applicability: p?.applicability ?? [],
  suitability: p?.suitability ?? [],
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The catalog as the engine reads it: plain JSON with every optional list filled in, frozen. */
function normalized(plain: Record<string, unknown>): Catalog {
  // A catalog is JSON: a JSON copy keeps it so (and in the caller's realm, unlike structuredClone under jest).
  const c = JSON.parse(JSON.stringify(plain)) as Omit<Catalog, 'actions' | 'policyDefaults'> & {
    actions: Partial<CatalogAction>[];
    policyDefaults?: Partial<Policies>;
  };
  const actions = c.actions.map(
    (a) =>
      ({
        ...a,
        requiresOptIn: a.requiresOptIn ?? false,
        contextWeights: a.contextWeights ?? [],
        levers: a.levers ?? [],
        policies: policiesOf(a.policies),
      }) as CatalogAction,
  );
  return deepFreeze({ ...c, policyDefaults: policiesOf(c.policyDefaults), actions });
}

/**
 * The cost table's channels and amounts; and a catalog without one may not read the facts only a cost
 * table derives (`COST_TO_SERVE_FACTS`): they would never be there.
 */
function costToServeErrors(c: CatalogDto): FieldError[] {
  const errors: FieldError[] = [];
  const push = (field: string, message: string) => errors.push({ field, messages: [message] });
  if (c.costToServe) {
    for (const [channel, amount] of Object.entries(c.costToServe.perInteraction)) {
      const at = `costToServe.perInteraction.${channel}`;
      if (!(ALL_CHANNEL_IDS as readonly string[]).includes(channel)) push(at, `unknown channel "${channel}"`);
      if (!Number.isInteger(amount) || amount < 0) push(at, 'must be a whole amount ≥ 0, in the currency’s minor unit');
    }
    return errors;
  }
  const named = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'fact' && typeof x === 'string') named.add(x);
        else walk(x);
      }
  };
  walk(c.actions);
  walk(c.policyDefaults);
  named.add(c.learning.segmentBy);
  for (const fact of COST_TO_SERVE_FACTS)
    if (named.has(fact)) push('costToServe', `the catalog reads "${fact}", which only a costToServe table derives: add one`);
  return errors;
}

/** Check a catalog (parsed JSON) against the DTOs and the semantic rules; every problem at once. */
export function validateCatalog(plain: unknown): Validated<Catalog> {
  const shape = validateAs(CatalogDto, plain);
  if (!shape.ok) return shape;
  const errors = semanticErrors(shape.value);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: normalized(plain as Record<string, unknown>) };
}

/** A usable catalog, or a `CatalogError` naming every failing field. Call at boot: fail fast. */
export function loadCatalog(plain: unknown): Catalog {
  const result = validateCatalog(plain);
  if (!result.ok) {
    const version =
      typeof plain === 'object' && plain !== null && typeof (plain as { catalogVersion?: unknown }).catalogVersion === 'string'
        ? (plain as { catalogVersion: string }).catalogVersion
        : '(no version)';
    throw new CatalogError(version, result.errors);
  }
  return result.value;
}

let v1: Catalog | undefined;
/** The first shipped catalog, `libs/decide/nba/catalog/catalog.v1.json`, validated on first use (what older decisions read). */
export function catalogV1(): Catalog {
  v1 ??= loadCatalog(catalogV1Json);
  return v1;
}

let v2: Catalog | undefined;
/** `libs/decide/nba/catalog/catalog.v2.json`: v1 with the plain `chat` channel (a platform's own chat, through the generic API), contacted like web chat. */
export function catalogV2(): Catalog {
  v2 ??= loadCatalog(catalogV2Json);
  return v2;
}

let v3: Catalog | undefined;
/**
 * `libs/decide/nba/catalog/catalog.v3.json`: v2 with `outcomeKeywords` (the yes / no replies that
 * answer a decision). The engine does not read them: a decision of v3 equals one of v2 but for its `catalogVersion`.
 */
export function catalogV3(): Catalog {
  v3 ??= loadCatalog(catalogV3Json);
  return v3;
}

let v4: Catalog | undefined;
/**
 * `libs/decide/nba/catalog/catalog.v4.json`: v3 with a cost to serve per interaction and channel, so
 * a customer's value is revenue − cost (`value.profit`, `customer.profitable`); the retention offer
 * weighs less for a customer who costs more than they bring.
 */
export function catalogV4(): Catalog {
  v4 ??= loadCatalog(catalogV4Json);
  return v4;
}

/** The catalog the hub decides with now (the worker, the query API's menu): the latest shipped one. */
export const currentCatalog = catalogV4;

const traitKeysCache = new WeakMap<Catalog, readonly string[]>();
/** The trait keys the catalog's rules (and segment) read: the only traits that become facts. */
export function traitKeysOf(catalog: Catalog): readonly string[] {
  let keys = traitKeysCache.get(catalog);
  if (!keys) {
    const rules: Rule[] = [
      ...NBA_POLICY_KINDS.flatMap((k) => catalog.policyDefaults[k]),
      ...catalog.actions.flatMap((a) => [...NBA_POLICY_KINDS.flatMap((k) => a.policies[k]), ...a.contextWeights.map((w) => w.when)]),
    ];
    const names = [...rules.flatMap(factsRead), catalog.learning.segmentBy]
      .filter((n) => TRAIT_FACT.test(n))
      .map((n) => n.slice('traits.'.length));
    keys = [...new Set(names)].sort();
    traitKeysCache.set(catalog, keys);
  }
  return keys;
}
