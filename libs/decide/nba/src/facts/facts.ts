import {
  CHURN_SIGNALS,
  churnSignals,
  CUSTOMER_EVENT_TYPES,
  DEFAULT_QUADRANT_THRESHOLDS,
  hasGoodExperience,
  isHighValue,
  NBA_OUTCOMES,
  QUADRANTS,
  quadrantOf,
  type CustomerEvent,
  type CustomerState,
  type NbaFactValue,
} from '@hub/customer';
import { TEXT_SIGNALS, type TextSignal } from '@hub/text-signals';
import type { ContactHistory } from '../history/contact-history';
import { AT_RISK_WORDS, firstWordIn, intentOf, INTENTS, ROUTINE_INTENTS } from '../intent/keyword-intents';
import type { Facts } from '../policy/rule';
import { profitabilityOf, type CostToServe } from './cost-to-serve';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

type FactType = 'string' | 'number' | 'boolean' | 'string[]';

export interface FactDefinition {
  type: FactType;
  /** May be null (absent: no answer yet, never happened, …). */
  nullable: boolean;
  /** For strings (and lists of strings): every value it can take. */
  values?: readonly string[];
  description: string;
}

const f = (type: FactType, description: string, o: { nullable?: boolean; values?: readonly string[] } = {}): FactDefinition => ({
  type,
  nullable: o.nullable ?? false,
  ...(o.values ? { values: o.values } : {}),
  description,
});

/**
 * Every fact a catalog rule may read, besides `traits.<key>` (a profile attribute as set, null when
 * unset). Times are relative to `now` and rounded down: `…HoursAgo`, `…DaysAgo`.
 */
export const FACT_DEFINITIONS = {
  'customer.status': f('string', 'unknown | active | merged | erased', { values: ['unknown', 'active', 'merged', 'erased'] }),
  'customer.quadrant': f('string', 'experience × value quadrant', { values: QUADRANTS }),
  'customer.highValue': f('boolean', 'net revenue at or above the high-value threshold in some currency'),
  'customer.goodExperience': f('boolean', 'latest survey answer good and satisfaction not falling (no answer: good)'),
  'customer.tenureDays': f('number', 'days since registration', { nullable: true }),
  'trigger.type': f('string', 'type of the event that triggered the decision', { values: CUSTOMER_EVENT_TYPES }),
  'trigger.channel': f('string', 'channel of the triggering event (null for system events)', { nullable: true }),
  'trigger.direction': f('string', 'direction of a triggering interaction', { nullable: true, values: ['inbound', 'outbound'] }),
  'intent.name': f('string', 'keyword intent of the triggering inbound message (none otherwise)', { values: INTENTS }),
  'intent.routine': f('boolean', 'the intent is a routine inquiry self-service can answer'),
  'intent.complaintWithin24h': f(
    'boolean',
    'an inbound message of the last 24 hours has an at-risk word, or its words carried a complaint or a refund/cancel request',
  ),
  'signals.trigger': f('string[]', 'text signals of the triggering inbound message', { values: TEXT_SIGNALS }),
  'signals.last24h': f('string[]', 'text signals of inbound messages in the 24 hours up to now', { values: TEXT_SIGNALS }),
  'engagement.total': f('number', 'interactions ever'),
  'engagement.inboundLast24h': f('number', 'inbound contacts in the 24 hours up to now'),
  'engagement.daysSinceLastContact': f('number', 'days since the latest interaction', { nullable: true }),
  'engagement.preferredChannel': f('string', 'channel with most inbound contacts in 90 days', { nullable: true }),
  'conversations.open': f('number', 'open conversations'),
  'conversations.maxInboundSinceOpened': f('number', 'most inbound messages in one open conversation since it opened'),
  'conversations.hoursSinceLastResolved': f('number', 'hours since the latest resolution', { nullable: true }),
  'satisfaction.lastCsat': f('number', 'latest CSAT (1–5)', { nullable: true }),
  'satisfaction.lastCsatHoursAgo': f('number', 'hours since the latest CSAT answer', { nullable: true }),
  'satisfaction.lastNps': f('number', 'latest NPS (0–10)', { nullable: true }),
  'satisfaction.lastNpsHoursAgo': f('number', 'hours since the latest NPS answer', { nullable: true }),
  'satisfaction.npsCategory': f('string', 'promoter (9–10), passive (7–8), detractor (0–6)', {
    nullable: true,
    values: ['promoter', 'passive', 'detractor'],
  }),
  'satisfaction.trend': f('string', 'improving | stable | falling | unknown', { values: ['improving', 'stable', 'falling', 'unknown'] }),
  'satisfaction.lastAnswerDaysAgo': f('number', 'days since the latest survey answer of either kind', { nullable: true }),
  'value.orders': f('number', 'distinct orders'),
  'value.daysSinceLastOrder': f('number', 'days since the latest order', { nullable: true }),
  'value.daysSinceLastRefund': f('number', 'days since the latest refund', { nullable: true }),
  'value.costToServe': f(
    'number',
    'what serving the customer cost: interactions × the catalog’s cost per channel (minor unit; only with costToServe)',
  ),
  'value.profit': f('number', 'net revenue in the cost table’s currency − cost to serve (minor unit; only with costToServe)'),
  'customer.profitable': f('boolean', 'value.profit ≥ 0 (only with costToServe)'),
  'churn.signals': f('string[]', 'churn signals as of now', { values: CHURN_SIGNALS }),
  'churn.count': f('number', 'how many churn signals'),
  'consent.triggerChannel': f('string', 'consent on the triggering channel (null: never given or withdrawn)', {
    nullable: true,
    values: ['opted_in', 'opted_out'],
  }),
  'consent.optedIn': f('string[]', 'channels the customer opted in on'),
  'consent.optedOut': f('string[]', 'channels the customer opted out on'),
  'contact.proactiveLast7Days': f('number', 'proactive contacts decided in the 7 days up to now'),
  'contact.hoursSinceLastProactive': f('number', 'hours since the latest proactive contact decided', { nullable: true }),
  'contact.lastOutcome': f('string', 'outcome of the latest decided action that has one', { nullable: true, values: NBA_OUTCOMES }),
} as const satisfies Record<string, FactDefinition>;

export type FactName = keyof typeof FACT_DEFINITIONS;

export const TRAIT_FACT = /^traits\.[A-Za-z0-9_-]+$/;

/** The definition of a fact name, or undefined when no rule may read it. */
export function factDefinition(name: string): FactDefinition | undefined {
  if (Object.prototype.hasOwnProperty.call(FACT_DEFINITIONS, name)) return FACT_DEFINITIONS[name as FactName];
  if (TRAIT_FACT.test(name)) return { type: 'string', nullable: true, description: 'profile attribute (string, number or boolean)' };
  return undefined;
}

export interface FactsInput {
  state: CustomerState;
  trigger: CustomerEvent;
  history: ContactHistory;
  now: string;
  /** The `traits.<key>` facts to read (those the catalog names). */
  traitKeys: readonly string[];
  /**
   * Read the customer's words (text signals; `Strategy.textSignals`). Default true. When false they
   * are not read at all, as nba-engine-v1 did: `signals.*` facts absent, churn and complaint facts
   * from the rest of the state only.
   */
  textSignals?: boolean;
  /** The catalog's cost table (v4 on): with it the `COST_TO_SERVE_FACTS`, without them absent. */
  costToServe?: CostToServe;
}

/** The facts only a catalog with a cost table derives: absent otherwise, so older catalogs' decisions read what they read. */
export const COST_TO_SERVE_FACTS = ['value.costToServe', 'value.profit', 'customer.profitable'] as const;

export interface DerivedFacts {
  facts: Facts;
  /** The keyword behind `intent.name`: it quotes the customer, so it stays out of `facts`. */
  keyword: string | null;
}

const hoursSince = (at: string | undefined, nowMs: number): number | null =>
  at === undefined ? null : Math.max(0, Math.floor((nowMs - Date.parse(at)) / HOUR_MS));
const daysSince = (at: string | undefined, nowMs: number): number | null =>
  at === undefined ? null : Math.max(0, Math.floor((nowMs - Date.parse(at)) / DAY_MS));

function latestOf(values: Iterable<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const v of values) if (v !== undefined && (best === undefined || Date.parse(v) > Date.parse(best))) best = v;
  return best;
}

/** The channel an event happened on, if any. */
export function channelOf(event: CustomerEvent): string | null {
  const data = event.data as { channel?: unknown };
  if (typeof data.channel === 'string') return data.channel;
  return event.metadata.channel === 'system' ? null : event.metadata.channel;
}

const npsCategory = (score: number | undefined): string | null =>
  score === undefined ? null : score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';

/** Text signals whose latest inbound message happened in the 24 hours up to `now`, in `TEXT_SIGNALS` order. */
export function textSignalsWithin24h(state: CustomerState, nowMs: number): TextSignal[] {
  return TEXT_SIGNALS.filter((s) => {
    const seen = state.textSignals[s];
    return seen !== undefined && Date.parse(seen.lastAt) <= nowMs && nowMs - Date.parse(seen.lastAt) <= DAY_MS;
  });
}

/**
 * The facts of one decision, from the folded state, the triggering event and the contact history,
 * as of `now`. Pure: the same inputs give the same facts.
 */
export function deriveFacts({
  state: folded,
  trigger,
  history,
  now,
  traitKeys,
  textSignals = true,
  costToServe,
}: FactsInput): DerivedFacts {
  const state = textSignals ? folded : { ...folded, textSignals: {} };
  const nowMs = Date.parse(now);
  const within24h = (at: string): boolean => nowMs - Date.parse(at) <= DAY_MS;
  const triggerChannel = channelOf(trigger);
  const inboundText =
    trigger.type === 'InteractionRecorded' && trigger.data.direction === 'inbound' ? trigger.data.content.text : undefined;
  const intent = inboundText === undefined ? { intent: 'none' as const, keyword: null } : intentOf(inboundText);
  const recentInbound = state.recent.filter((r) => r.direction === 'inbound' && within24h(r.occurredAt));
  const open = Object.values(state.conversations).filter((c) => c.status === 'open');
  const signals = churnSignals(state, now);
  const said = textSignalsWithin24h(state, nowMs);
  const triggerSaid =
    textSignals && trigger.type === 'InteractionRecorded' && trigger.data.direction === 'inbound'
      ? (trigger.data.textSignals?.found ?? [])
      : [];
  const s = state.satisfaction;
  const consents = Object.entries(state.consents);
  const proactive = history.decisions.filter((d) => d.contactMode === 'proactive' && Date.parse(d.decidedAt) <= nowMs);
  const lastOutcome = history.outcomes
    .filter((o) => Date.parse(o.at) <= nowMs)
    .reduce<ContactHistory['outcomes'][number] | undefined>((a, o) => (!a || Date.parse(o.at) >= Date.parse(a.at) ? o : a), undefined);
  const consentOnTrigger = triggerChannel === null ? undefined : consents.find(([ch]) => ch === triggerChannel)?.[1];
  const lastContact = latestOf(Object.values(state.engagement.byChannel).map((e) => e?.lastAt));
  const profitability = costToServe ? profitabilityOf(state, costToServe) : undefined;

  const facts: Record<string, NbaFactValue> = {
    'customer.status': state.status,
    'customer.quadrant': quadrantOf(state, DEFAULT_QUADRANT_THRESHOLDS),
    'customer.highValue': isHighValue(state, DEFAULT_QUADRANT_THRESHOLDS),
    'customer.goodExperience': hasGoodExperience(state, DEFAULT_QUADRANT_THRESHOLDS),
    'customer.tenureDays': daysSince(state.registeredAt, nowMs),
    'trigger.type': trigger.type,
    'trigger.channel': triggerChannel,
    'trigger.direction': trigger.type === 'InteractionRecorded' ? trigger.data.direction : null,
    'intent.name': intent.intent,
    'intent.routine': (ROUTINE_INTENTS as readonly string[]).includes(intent.intent),
    'intent.complaintWithin24h':
      recentInbound.some((r) => firstWordIn(AT_RISK_WORDS, r.text ?? '') !== undefined) ||
      said.includes('complaint') ||
      said.includes('refund_cancel'),
    'signals.trigger': TEXT_SIGNALS.filter((s) => triggerSaid.includes(s)),
    'signals.last24h': said,
    'engagement.total': state.engagement.total,
    'engagement.inboundLast24h': state.inboundWindow.filter((c) => within24h(c.at) && Date.parse(c.at) <= nowMs).length,
    'engagement.daysSinceLastContact': daysSince(lastContact, nowMs),
    'engagement.preferredChannel': state.preferredChannel ?? null,
    'conversations.open': open.length,
    'conversations.maxInboundSinceOpened': open.reduce((m, c) => Math.max(m, c.inboundSinceOpened), 0),
    'conversations.hoursSinceLastResolved': hoursSince(latestOf(Object.values(state.conversations).map((c) => c.resolvedAt)), nowMs),
    'satisfaction.lastCsat': s.csat?.score ?? null,
    'satisfaction.lastCsatHoursAgo': hoursSince(s.csat?.at, nowMs),
    'satisfaction.lastNps': s.nps?.score ?? null,
    'satisfaction.lastNpsHoursAgo': hoursSince(s.nps?.at, nowMs),
    'satisfaction.npsCategory': npsCategory(s.nps?.score),
    'satisfaction.trend': s.trend,
    'satisfaction.lastAnswerDaysAgo': daysSince(s.answers.at(-1)?.at, nowMs),
    'value.orders': state.value.orders,
    'value.daysSinceLastOrder': daysSince(state.value.lastOrderAt, nowMs),
    'value.daysSinceLastRefund': daysSince(state.value.lastRefundAt, nowMs),
    'value.costToServe': profitability?.costToServe ?? 0,
    'value.profit': profitability?.profit ?? 0,
    'customer.profitable': (profitability?.profit ?? 0) >= 0,
    'churn.signals': signals,
    'churn.count': signals.length,
    'consent.triggerChannel': consentOnTrigger?.status ?? null,
    'consent.optedIn': consents
      .filter(([, c]) => c?.status === 'opted_in')
      .map(([ch]) => ch)
      .sort(),
    'consent.optedOut': consents
      .filter(([, c]) => c?.status === 'opted_out')
      .map(([ch]) => ch)
      .sort(),
    'contact.proactiveLast7Days': proactive.filter((d) => nowMs - Date.parse(d.decidedAt) < 7 * DAY_MS).length,
    'contact.hoursSinceLastProactive': hoursSince(latestOf(proactive.map((d) => d.decidedAt)), nowMs),
    'contact.lastOutcome': lastOutcome?.outcome ?? null,
  } satisfies Record<FactName, NbaFactValue>;
  if (!costToServe) for (const fact of COST_TO_SERVE_FACTS) delete facts[fact];
  if (!textSignals) {
    delete facts['signals.trigger'];
    delete facts['signals.last24h'];
  }
  for (const key of traitKeys) {
    const v = Object.prototype.hasOwnProperty.call(state.traits, key) ? state.traits[key] : null;
    facts[`traits.${key}`] = v ?? null;
  }
  return { facts, keyword: intent.keyword };
}
