import { ALL_CHANNEL_IDS, deterministicId, type ChannelId } from '@hub/contracts';
import {
  NBA_POLICY_KINDS,
  type CustomerEvent,
  type CustomerState,
  type NbaActionKind,
  type NbaCandidate,
  type NbaChosen,
  type NbaContactCounters,
  type NbaFactValue,
  type NbaMenuEntry,
  type NbaOutcomeCounts,
  type NbaPolicyVerdict,
  type NbaRejection,
  type NbaScore,
} from '@hub/customer';
import type { Catalog, CatalogAction, Policies } from '../catalog/catalog.types';
import { traitKeysOf } from '../catalog/load-catalog';
import { contactCounters, contactVerdict, type ContactContext } from '../contact/contact-policy';
import { channelOf, deriveFacts } from '../facts/facts';
import type { ContactHistory } from '../history/contact-history';
import { sampleBeta } from '../learning/beta';
import { countsOf, posterior, type OutcomeTally } from '../learning/outcomes';
import { isSeed, substream } from '../learning/prng';
import { evaluatePolicy, evaluateRule, type Facts } from '../policy/rule';
import { STRATEGIES, STRATEGY_VERSION, type StrategyVersion } from './strategies';

export { STRATEGY_VERSION } from './strategies';

export interface DecideInput {
  tenantId: string;
  customerId: string;
  /** The folded customer, and the stream revision it was folded up to. */
  state: CustomerState;
  stateRevision: string;
  /** The event the decision answers (an interaction, a resolution, a survey answer, …), from the same stream. */
  trigger: CustomerEvent;
  catalog: Catalog;
  /** Outcomes of every customer by (action, segment): the posteriors' data. */
  outcomes: OutcomeTally;
  /** This customer's earlier decisions and outcomes (caps, cooldowns). */
  history: ContactHistory;
  now: string;
  /** A 32-bit unsigned integer; every random draw of the decision comes from it. */
  seed: number;
  /** Channels the hub can use; default every channel (`ALL_CHANNEL_IDS`). */
  enabledChannels?: readonly ChannelId[];
  /** The version of the engine's logic to run (`STRATEGIES`); default `STRATEGY_VERSION`, what the worker decides with. */
  strategyVersion?: StrategyVersion;
}

export interface Decision {
  decisionId: string;
  tenantId: string;
  customerId: string;
  decidedAt: string;
  basedOnRevision: string;
  basedOnEventId: string;
  strategyVersion: string;
  catalogVersion: string;
  seed: number;
  segment: string;
  facts: Facts;
  /** The catalog's policy defaults, evaluated once: every action but the do-nothing one must pass them. */
  defaults: NbaPolicyVerdict[];
  counters: NbaContactCounters;
  chosen: NbaChosen;
  menu: NbaMenuEntry[];
  candidates: NbaCandidate[];
  /** The population's outcome counts the scoring read, in `segment`, per scored action (actions with none are left out). */
  outcomes: Record<string, NbaOutcomeCounts>;
  /** The one-line why recorded as the event's `explanation`. */
  explanation: { ruleId: string; reason: string; inputs: Record<string, string | number | boolean | null> };
  /** The ranked first action, withheld: the decision fell in its control group (catalog `controlGroupShare`). Absent otherwise. */
  withheld?: { actionId: string; kind: NbaActionKind; channel: ChannelId | null; share: number };
}

/**
 * The uniform draw in [0, 1) that puts a decision in an action's control group (draw < share): a
 * sub-stream of the decision's seed of its own, so it changes no Thompson sample.
 */
export const controlDraw = (seed: number, actionId: string): number => substream(seed, `control-group:${actionId}`)();

const segmentOf = (v: NbaFactValue): string => (v === null ? 'unknown' : Array.isArray(v) ? v.join(',') || 'none' : String(v));

const policyVerdicts = (policies: Policies, facts: Facts): NbaPolicyVerdict[] =>
  NBA_POLICY_KINDS.map((policy) => ({ policy, ...evaluatePolicy(policies[policy], facts) }));

function score(action: CatalogAction, input: DecideInput, facts: Facts, segment: string): NbaScore {
  const { catalog } = input;
  const post = posterior(action.basePropensity, countsOf(input.outcomes, action.id, segment), catalog.learning);
  const sampled = sampleBeta(post.alpha, post.beta, substream(input.seed, action.id));
  const rules = action.contextWeights.map((w) => ({ ...evaluateRule(w.when, facts), weight: w.weight }));
  const context = rules.reduce((c, r) => (r.passed ? c * r.weight : c), 1);
  const levers: Record<string, number> = {};
  for (const id of action.levers) levers[id] = catalog.levers.find((l) => l.id === id)!.value;
  const lever = Object.values(levers).reduce((a, b) => a * b, 1);
  return {
    propensity: { base: action.basePropensity, alpha: post.alpha, beta: post.beta, mean: post.mean, sampled },
    context: { weight: context, rules },
    value: action.value,
    lever: { weight: lever, levers },
    priority: sampled * context * action.value * lever,
  };
}

const kindOf = (action: CatalogAction): NbaActionKind => action.kind;

function summary(chosen: NbaChosen, candidates: readonly NbaCandidate[], survivors: number): string {
  if (chosen.priority !== null) {
    return `${chosen.actionId} ranked first of ${survivors} (priority ${chosen.priority.toFixed(3)})${chosen.channel ? ` on ${chosen.channel}` : ''}`;
  }
  // What applied but was held back, so "nothing" says why.
  const held = candidates.filter((c) => c.kind !== 'none' && !c.rejectedBy.includes('applicability'));
  const why = (c: NbaCandidate) => {
    const blocks = [...new Set((c.contact?.channels ?? []).flatMap((ch) => ch.blockedBy))];
    return `${c.actionId}: ${c.rejectedBy.join('+')}${c.rejectedBy.includes('no_channel') && blocks.length ? ` (${blocks.join(', ')})` : ''}`;
  };
  if (held.length === 0) return 'no action applies';
  return `no action survived: ${held.map(why).join('; ')}`;
}

/**
 * Decide the next best action. Pure and deterministic: the same input gives the same `Decision`,
 * field for field, whatever the machine or the day (`now` and `seed` are inputs).
 *
 * 1. Facts from the state, the trigger and the contact history.
 * 2. For every catalog action: eligibility, applicability and suitability (the catalog's defaults,
 *    evaluated once, and the action's own rules); for those that pass, the contact policy (cooldown; per channel consent, reach, caps,
 *    quiet hours) and the channel to use.
 * 3. Survivors are scored: P (a Thompson sample of the (action, segment) posterior, from the action's
 *    own sub-stream of the seed) × C (context weights) × V (value) × L (levers).
 * 4. The menu is the top `menuSize` by priority (ties: catalog order); the first is chosen, or the
 *    catalog's do-nothing action when none survived.
 */
export function decide(input: DecideInput): Decision {
  const { catalog, state, trigger, history, now, seed } = input;
  const nowMs = Date.parse(now);
  if (Number.isNaN(nowMs)) throw new RangeError(`decide: now is not an ISO 8601 time: ${JSON.stringify(now)}`);
  if (!isSeed(seed)) throw new RangeError(`decide: seed must be an integer in [0, 2^32), got ${seed}`);

  const strategy = STRATEGIES[input.strategyVersion ?? STRATEGY_VERSION];
  const { facts, keyword } = deriveFacts({
    state,
    trigger,
    history,
    now,
    traitKeys: traitKeysOf(catalog),
    textSignals: strategy.textSignals,
    ...(catalog.costToServe ? { costToServe: catalog.costToServe } : {}),
  });
  const segment = segmentOf(facts[catalog.learning.segmentBy] ?? null);
  const counters = contactCounters(catalog, state, history, nowMs);
  const defaults = policyVerdicts(catalog.policyDefaults, facts);
  const ctx: ContactContext = {
    catalog,
    state,
    history,
    nowMs,
    counters,
    enabledChannels: input.enabledChannels ?? ALL_CHANNEL_IDS,
    preferredChannel: state.preferredChannel ?? null,
    triggerChannel: channelOf(trigger),
  };

  const candidates: NbaCandidate[] = catalog.actions.map((action) => {
    const policies = policyVerdicts(action.policies, facts);
    if (action.kind === 'none')
      return {
        actionId: action.id,
        kind: kindOf(action),
        strategy: action.strategy,
        survived: false,
        rejectedBy: ['fallback'],
        policies,
        contact: null,
        score: null,
      };
    const rejectedBy: NbaRejection[] = NBA_POLICY_KINDS.filter((_kind, i) => !defaults[i]!.passed || !policies[i]!.passed);
    // The contact policy is checked for actions the engagement policies allow: that keeps the record short.
    const contact = rejectedBy.length === 0 ? contactVerdict(action, ctx) : null;
    if (contact && !contact.cooldown.passed) rejectedBy.push('cooldown');
    if (contact && contact.channel === null) rejectedBy.push('no_channel');
    const scored = rejectedBy.length === 0 ? score(action, input, facts, segment) : null;
    if (scored && scored.priority < catalog.arbitration.minPriority) rejectedBy.push('below_min_priority');
    return {
      actionId: action.id,
      kind: kindOf(action),
      strategy: action.strategy,
      survived: rejectedBy.length === 0,
      rejectedBy,
      policies,
      contact,
      score: scored,
    };
  });

  const ranked = candidates
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.survived)
    .sort((a, b) => b.c.score!.priority - a.c.score!.priority || a.index - b.index);
  const menu: NbaMenuEntry[] = ranked.slice(0, catalog.arbitration.menuSize).map(({ c, index }, i) => ({
    rank: i + 1,
    actionId: c.actionId,
    kind: c.kind,
    strategy: c.strategy,
    detail: catalog.actions[index]!.detail,
    channel: c.contact!.channel,
    contactMode: c.contact!.mode,
    priority: c.score!.priority,
  }));
  const outcomes: Record<string, NbaOutcomeCounts> = {};
  for (const c of candidates) {
    if (!c.score) continue;
    const counts = countsOf(input.outcomes, c.actionId, segment);
    if (counts.accepted !== 0 || counts.declined !== 0 || counts.noResponse !== 0) outcomes[c.actionId] = { ...counts };
  }
  const fallback = catalog.actions.find((a) => a.kind === 'none')!;
  const nothing: NbaChosen = {
    rank: 0,
    actionId: fallback.id,
    kind: 'none',
    strategy: fallback.strategy,
    detail: fallback.detail,
    channel: null,
    contactMode: 'none',
    priority: null,
  };
  const first = menu[0];
  // Opt-in: an action with a control group is withheld from a share of the decisions that choose it.
  const share = first ? catalog.actions.find((a) => a.id === first.actionId)!.controlGroupShare : undefined;
  const withheld =
    first && share !== undefined && controlDraw(seed, first.actionId) < share
      ? { actionId: first.actionId, kind: first.kind, channel: first.channel, share }
      : undefined;
  const chosen: NbaChosen = withheld ? nothing : (first ?? nothing);

  const basedOnEventId = trigger.metadata.eventId;
  const intent = facts['intent.name'];
  const said = facts['signals.last24h'];
  const signals = Array.isArray(said) && said.length > 0 ? said.join(',') : null;
  const inputs: Decision['explanation']['inputs'] = {
    trigger: trigger.type,
    segment,
    intent: typeof intent === 'string' ? intent : null,
    matched: keyword,
  };
  // A strategy that does not read the customer's words names none (nba-engine-v1 had no such input).
  if (strategy.textSignals) inputs['signals'] = signals;
  return {
    decisionId: deterministicId('nba-decision', input.tenantId, input.customerId, basedOnEventId, strategy.version, catalog.catalogVersion),
    tenantId: input.tenantId,
    customerId: input.customerId,
    decidedAt: now,
    basedOnRevision: input.stateRevision,
    basedOnEventId,
    strategyVersion: strategy.version,
    catalogVersion: catalog.catalogVersion,
    seed,
    segment,
    facts,
    defaults,
    counters,
    chosen,
    menu,
    candidates,
    outcomes,
    explanation: {
      ruleId: chosen.strategy,
      reason: `${withheld ? `control group: ${withheld.actionId} ranked first and is withheld (share ${withheld.share})` : summary(chosen, candidates, ranked.length)}${signals ? `; the customer's words: ${signals.replace(/,/g, ', ')}` : ''}`,
      inputs: { ...inputs, survivors: ranked.length, channel: chosen.channel },
    },
    ...(withheld ? { withheld } : {}),
  };
}
