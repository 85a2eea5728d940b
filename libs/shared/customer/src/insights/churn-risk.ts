import type { SatisfactionState, SurveyScore, ValueState } from '../state/customer.state';
import { DAY_MS, instant } from '../time/instant';

/**
 * Churn risk: a level and the reasons behind it, by a fixed, explainable rule (docs/operations.md,
 * "Segments: churn risk"). Pure. Everything but silence is a function of what happened, never of
 * "now", so a read model can store it and keep it up to date event by event; silence depends on
 * now and is added at query time (`churnRiskAt`).
 */

export const CHURN_RISK_LEVELS = ['high', 'medium', 'low', 'unknown'] as const;
export type ChurnRiskLevel = (typeof CHURN_RISK_LEVELS)[number];

/** Every reason, in the order a list of reasons is given. */
export const CHURN_RISK_REASONS = [
  'detractor',
  'satisfaction_falling',
  'refunded',
  'stated_cancellation',
  'stated_complaint',
  'stated_repeat_contact',
  'gone_silent',
] as const;
export type ChurnRiskReason = (typeof CHURN_RISK_REASONS)[number];

/** The reasons that do not depend on now: what a read model stores. */
export type StoredChurnRiskReason = Exclude<ChurnRiskReason, 'gone_silent'>;

/** The inbound contacts the rule reads: how many, the first and the latest (by when they happened). */
export interface InboundContacts {
  count: number;
  firstAt: string | null;
  lastAt: string | null;
}

/**
 * What the rule reads. Every field combines by sum, min or max, so a read model can keep it up to
 * date from each new event alone (and combine the members of a merged customer) without reading the
 * customer's history again.
 */
export interface ChurnRiskInputs {
  /** Survey answers as folded (`SatisfactionState`); null without any. */
  satisfaction: Pick<SatisfactionState, 'answers' | 'trend'> | null;
  /** Orders and refunds as folded (`ValueState`); null without any. */
  value: Pick<ValueState, 'lastOrderAt' | 'lastRefundAt'> | null;
  inbound: InboundContacts;
  /** When the customer's own words (inbound messages' text signals) last carried each signal; null: never. */
  said: { complaint: string | null; refund_cancel: string | null; repeat_contact: string | null };
}

export interface ChurnRiskRule {
  /** `detractor`: the latest survey answer is an NPS at most this … */
  detractorNpsAtMost: number;
  /** … or a CSAT at most this. */
  detractorCsatAtMost: number;
  /** `stated_*`: the signal was said within this many days before the customer's latest inbound contact. */
  statedWithinDays: number;
  /** `gone_silent`: at least this many inbound contacts … */
  silenceMinContacts: number;
  /** … spread over at least this many days (first to latest) — contact that was regular, not one burst … */
  silenceMinSpanDays: number;
  /** … and none for longer than this many times their usual gap (span ÷ (contacts − 1)) … */
  silenceGapMultiple: number;
  /** … and never less than this many days. */
  silenceMinDays: number;
}

export const DEFAULT_CHURN_RISK_RULE: ChurnRiskRule = {
  detractorNpsAtMost: 6,
  detractorCsatAtMost: 2,
  statedWithinDays: 30,
  silenceMinContacts: 3,
  silenceMinSpanDays: 14,
  silenceGapMultiple: 3,
  silenceMinDays: 14,
};

export interface ChurnRisk {
  level: ChurnRiskLevel;
  /** In `CHURN_RISK_REASONS` order; empty for `low` and `unknown`. */
  reasons: ChurnRiskReason[];
}

/** Nothing to judge by: no inbound contact, no order or refund, no survey answer. */
export function churnRiskKnown(inputs: ChurnRiskInputs): boolean {
  return inputs.inbound.count > 0 || inputs.satisfaction !== null || inputs.value !== null;
}

/**
 * The level the reasons make: `high` for a stated cancellation, or two reasons or more; `medium`
 * for one; `low` for none; `unknown` when nothing is known of the customer.
 */
export function churnRiskLevel(reasons: readonly ChurnRiskReason[], known: boolean): ChurnRiskLevel {
  if (!known) return 'unknown';
  if (reasons.includes('stated_cancellation') || reasons.length >= 2) return 'high';
  return reasons.length === 1 ? 'medium' : 'low';
}

/**
 * What `gone_silent` does to a level without it: one step up. The same as `churnRiskLevel` with one
 * more reason (checked for every set of reasons by the spec), so a query can apply silence to a
 * stored level without the stored reasons.
 */
export const CHURN_LEVEL_WITH_SILENCE: Readonly<Record<ChurnRiskLevel, ChurnRiskLevel>> = {
  unknown: 'unknown',
  low: 'medium',
  medium: 'high',
  high: 'high',
};

const isDetractor = (answer: SurveyScore, rule: ChurnRiskRule): boolean =>
  answer.survey === 'nps' ? answer.score <= rule.detractorNpsAtMost : answer.score <= rule.detractorCsatAtMost;

/** Said within `statedWithinDays` before the latest inbound contact (or at it). */
function saidLately(at: string | null, inbound: InboundContacts, rule: ChurnRiskRule): boolean {
  if (at === null) return false;
  const last = inbound.lastAt === null ? instant(at) : Math.max(instant(inbound.lastAt), instant(at));
  return last - instant(at) <= rule.statedWithinDays * DAY_MS;
}

/** The reasons that do not depend on now, in `CHURN_RISK_REASONS` order. */
export function storedChurnRiskReasons(inputs: ChurnRiskInputs, rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE): StoredChurnRiskReason[] {
  const reasons: StoredChurnRiskReason[] = [];
  const latestAnswer = inputs.satisfaction?.answers.at(-1);
  if (latestAnswer && isDetractor(latestAnswer, rule)) reasons.push('detractor');
  if (inputs.satisfaction?.trend === 'falling') reasons.push('satisfaction_falling');
  const v = inputs.value;
  if (
    v?.lastRefundAt !== undefined &&
    v?.lastRefundAt !== null &&
    (v.lastOrderAt === undefined || instant(v.lastRefundAt) >= instant(v.lastOrderAt))
  )
    reasons.push('refunded');
  if (saidLately(inputs.said.refund_cancel, inputs.inbound, rule)) reasons.push('stated_cancellation');
  if (saidLately(inputs.said.complaint, inputs.inbound, rule)) reasons.push('stated_complaint');
  if (saidLately(inputs.said.repeat_contact, inputs.inbound, rule)) reasons.push('stated_repeat_contact');
  return reasons;
}

/** The churn risk without silence: what a read model stores per customer. */
export function storedChurnRisk(
  inputs: ChurnRiskInputs,
  rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE,
): { level: ChurnRiskLevel; reasons: StoredChurnRiskReason[] } {
  const reasons = storedChurnRiskReasons(inputs, rule);
  return { level: churnRiskLevel(reasons, churnRiskKnown(inputs)), reasons };
}

/** The customer's usual gap between inbound contacts, in ms (span ÷ (contacts − 1)); undefined with fewer than two. */
export function usualInboundGapMs(inbound: InboundContacts): number | undefined {
  if (inbound.count < 2 || inbound.firstAt === null || inbound.lastAt === null) return undefined;
  return (instant(inbound.lastAt) - instant(inbound.firstAt)) / (inbound.count - 1);
}

/**
 * `gone_silent` as of `now`: contact that was regular (at least `silenceMinContacts` inbound
 * contacts over at least `silenceMinSpanDays`) and none since for longer than `silenceGapMultiple`
 * times the usual gap, and at least `silenceMinDays`.
 */
export function isGoneSilent(inbound: InboundContacts, now: string, rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE): boolean {
  const nowMs = instant(now);
  if (Number.isNaN(nowMs)) throw new RangeError(`isGoneSilent: not an ISO 8601 time: ${JSON.stringify(now)}`);
  const gap = usualInboundGapMs(inbound);
  if (gap === undefined || inbound.count < rule.silenceMinContacts || inbound.firstAt === null || inbound.lastAt === null) return false;
  if (instant(inbound.lastAt) - instant(inbound.firstAt) < rule.silenceMinSpanDays * DAY_MS) return false;
  return nowMs - instant(inbound.lastAt) > Math.max(rule.silenceGapMultiple * gap, rule.silenceMinDays * DAY_MS);
}

/** The stored risk, with `gone_silent` added as of `now` when it holds. */
export function withSilence(
  stored: { level: ChurnRiskLevel; reasons: readonly ChurnRiskReason[] },
  inbound: InboundContacts,
  now: string,
  rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE,
): ChurnRisk {
  if (!isGoneSilent(inbound, now, rule)) return { level: stored.level, reasons: [...stored.reasons] };
  return { level: CHURN_LEVEL_WITH_SILENCE[stored.level], reasons: [...stored.reasons.filter((r) => r !== 'gone_silent'), 'gone_silent'] };
}

/** The churn risk as of `now`: every reason, silence included. */
export function churnRiskAt(inputs: ChurnRiskInputs, now: string, rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE): ChurnRisk {
  return withSilence(storedChurnRisk(inputs, rule), inputs.inbound, now, rule);
}
