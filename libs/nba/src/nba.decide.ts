import type { ChannelId } from '@hub/contracts';
import type { CustomerState, NbaActionKind, RecentInteraction } from '@hub/customer';
import { AT_RISK_WORDS, BUYING_WORDS, CALLBACK_WORDS, closingThanks, matchesWord, ROUTINE_KEYWORDS } from './intent/keyword-intents';

export const RULESET_VERSION = 'rules-v0.2';

export interface NbaChoice {
  action: { kind: NbaActionKind; code: string; channel?: ChannelId; detail: string };
  explanation: { ruleId: string; reason: string; inputs: Record<string, string | number | boolean | null> };
  rulesetVersion: string;
}

interface Facts {
  last?: RecentInteraction;
  lastChannel: ChannelId | null;
  inboundLast24h: number;
  /** Inbound texts of the last 24 hours, oldest first (the last one included). */
  recentTexts: string[];
  optedOut: boolean;
  text: string;
}

type Rule = { id: string; when: (f: Facts) => string | undefined; then: (f: Facts, matched: string) => Omit<NbaChoice, 'explanation' | 'rulesetVersion'> & { reason: string } };

const DAY_MS = 24 * 60 * 60 * 1000;

const matches = matchesWord;
const keyword = (words: readonly string[]) => (f: Facts): string | undefined => words.find((w) => matches(w, f.text));
const keywordWithin24h = (words: readonly string[]) => (f: Facts): string | undefined => words.find((w) => f.recentTexts.some((t) => matches(w, t)));

const closing = (f: Facts): string | undefined => closingThanks(f.text);
const ROUTINE = ROUTINE_KEYWORDS;

/**
 * The first rule set, in priority order: the first rule that matches decides. Each rule names the
 * facts it used so the decision explains itself. (Superseded by the catalog engine, `decide`.)
 * Order: respect consent; a customer closing the conversation gets a survey; anyone at risk in the
 * last day goes to a manager; repeated contact to a specialist; then callback, self-service, offer.
 */
const RULES: readonly Rule[] = [
  {
    id: 'respect-opt-out',
    when: (f) => (f.optedOut ? 'opted_out' : undefined),
    then: () => ({ action: { kind: 'none', code: 'respect_opt_out', detail: 'Customer opted out on this channel: no contact' }, reason: 'consent withdrawn on the last channel used' }),
  },
  {
    id: 'resolved-survey',
    when: closing,
    then: (f, w) => ({
      action: { kind: 'survey', code: 'csat_survey', ...(f.lastChannel ? { channel: f.lastChannel } : {}), detail: 'Send a one-question satisfaction survey' },
      reason: `customer closed the conversation ("${w}")`,
    }),
  },
  {
    id: 'at-risk-escalation',
    when: keywordWithin24h(AT_RISK_WORDS),
    then: (f, w) => ({
      action: { kind: 'escalation', code: 'escalate_manager', ...(f.lastChannel ? { channel: f.lastChannel } : {}), detail: 'Escalate to a manager: the customer is at risk' },
      reason: `mentions "${w}" in the last 24 hours`,
    }),
  },
  {
    id: 'repeat-contact-escalation',
    when: (f) => (f.inboundLast24h >= 3 ? String(f.inboundLast24h) : undefined),
    then: (f, n) => ({
      action: { kind: 'escalation', code: 'escalate_specialist', ...(f.lastChannel ? { channel: f.lastChannel } : {}), detail: 'Route to a specialist: repeated contact without resolution' },
      reason: `${n} inbound contacts in the last 24 hours`,
    }),
  },
  {
    id: 'callback-request',
    when: keyword(CALLBACK_WORDS),
    then: (f, w) => ({
      action: { kind: 'callback', code: 'schedule_callback', ...(f.lastChannel ? { channel: f.lastChannel } : {}), detail: 'Offer a callback slot' },
      reason: `customer asked for a person ("${w}")`,
    }),
  },
  {
    id: 'routine-self-service',
    when: keyword(Object.keys(ROUTINE)),
    then: (f, w) => {
      const answer = ROUTINE[w.toLowerCase()] ?? { code: 'kb_search', detail: 'Send the help-centre search' };
      return { action: { kind: 'self_service', code: answer.code, ...(f.lastChannel ? { channel: f.lastChannel } : {}), detail: answer.detail }, reason: `routine inquiry ("${w}")` };
    },
  },
  {
    id: 'buying-intent-offer',
    when: keyword(BUYING_WORDS),
    then: (f, w) => ({ action: { kind: 'offer', code: 'offer_upgrade', ...(f.lastChannel ? { channel: f.lastChannel } : {}), detail: 'Offer the annual plan upgrade' }, reason: `buying intent ("${w}")` }),
  },
];

/**
 * Choose the next best action for a customer from their folded state. Pure: `now` is data, the same
 * state and time always give the same choice.
 */
export function decideNextBestAction(state: CustomerState, now: string): NbaChoice {
  const nowMs = Date.parse(now);
  const inbound = state.recent.filter((r) => r.direction === 'inbound');
  const last = inbound.at(-1);
  const within24h = inbound.filter((r) => nowMs - Date.parse(r.occurredAt) <= DAY_MS);
  const facts: Facts = {
    ...(last ? { last } : {}),
    lastChannel: last?.channel ?? null,
    inboundLast24h: within24h.length,
    recentTexts: within24h.map((r) => r.text ?? ''),
    optedOut: last ? state.consent[last.channel] === 'opted_out' : false,
    text: last?.text ?? '',
  };
  const inputs = { lastChannel: facts.lastChannel, inboundLast24h: facts.inboundLast24h, optedOut: facts.optedOut, totalInteractions: state.engagement.total };
  for (const rule of RULES) {
    const matched = rule.when(facts);
    if (matched === undefined) continue;
    const { action, reason } = rule.then(facts, matched);
    return { action, explanation: { ruleId: rule.id, reason, inputs: { ...inputs, matched } }, rulesetVersion: RULESET_VERSION };
  }
  return {
    action: { kind: 'none', code: 'no_action', detail: 'Nothing to do: no rule applies' },
    explanation: { ruleId: 'default-none', reason: 'no rule matched the latest interaction', inputs: { ...inputs, matched: null } },
    rulesetVersion: RULESET_VERSION,
  };
}
