import type { ChannelId } from '@hub/contracts';
import type { ChannelEngagement, ConversationState, CustomerState } from '../state/customer.state';
import { own } from '../state/own';
import { DAY_MS, earliest, instant } from '../time/instant';

/**
 * Measures that depend on "now". State never reads a clock, so these take `now` as data: the same
 * state and the same `now` always give the same answer.
 */

/** Lifetimes shorter than this count as this long, so a two-day-old customer is not "45 contacts a month". */
export const MIN_FREQUENCY_SPAN_DAYS = 30;

export interface ChannelEngagementAt extends ChannelEngagement {
  /** Whole days from the last contact on the channel to `now` (0 if `now` is not after it). */
  daysSinceLastContact: number;
  /** Contacts on the channel per 30 days of the customer's life. */
  contactsPer30Days: number;
}

export interface EngagementAt {
  total: number;
  inbound: number;
  firstContactAt?: string;
  lastContactAt?: string;
  daysSinceLastContact?: number;
  /** All contacts per 30 days of the customer's life (from registration or first contact to `now`). */
  contactsPer30Days: number;
  byChannel: Partial<Record<ChannelId, ChannelEngagementAt>>;
}

const wholeDays = (fromIso: string, nowMs: number): number => Math.max(0, Math.floor((nowMs - instant(fromIso)) / DAY_MS));
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Recency and frequency per channel and overall, as of `now`. */
export function engagementAt(state: CustomerState, now: string): EngagementAt {
  const nowMs = instant(now);
  if (Number.isNaN(nowMs)) throw new RangeError(`engagementAt: not an ISO 8601 time: ${JSON.stringify(now)}`);
  const channels = Object.entries(state.engagement.byChannel) as [ChannelId, ChannelEngagement | undefined][];
  let first: string | undefined;
  let last: string | undefined;
  for (const [, e] of channels) {
    if (!e) continue;
    first = earliest(first, e.firstAt);
    if (last === undefined || instant(e.lastAt) > instant(last)) last = e.lastAt;
  }
  const lifeStart = earliest(first, state.registeredAt);
  const spanDays =
    lifeStart === undefined ? MIN_FREQUENCY_SPAN_DAYS : Math.max(MIN_FREQUENCY_SPAN_DAYS, (nowMs - instant(lifeStart)) / DAY_MS);
  const per30 = (count: number): number => round2((count / spanDays) * 30);

  const byChannel: Partial<Record<ChannelId, ChannelEngagementAt>> = {};
  for (const [channel, e] of channels) {
    if (e) byChannel[channel] = { ...e, daysSinceLastContact: wholeDays(e.lastAt, nowMs), contactsPer30Days: per30(e.count) };
  }
  return {
    total: state.engagement.total,
    inbound: state.engagement.inbound,
    ...(first !== undefined ? { firstContactAt: first } : {}),
    ...(last !== undefined ? { lastContactAt: last, daysSinceLastContact: wholeDays(last, nowMs) } : {}),
    contactsPer30Days: per30(state.engagement.total),
    byChannel,
  };
}

/** Net revenue per currency (minor units): the simple lifetime value. */
export function lifetimeValue(state: CustomerState): Record<string, number> {
  return Object.fromEntries(Object.entries(state.value.revenue).map(([currency, t]) => [currency, t.net]));
}

export function openConversations(state: CustomerState): ConversationState[] {
  return Object.values(state.conversations).filter((c) => c.status === 'open');
}

// ---------------------------------------------------------------------------------------------
// Experience × value
// ---------------------------------------------------------------------------------------------

export const QUADRANTS = ['champion', 'at_risk', 'low_value_happy', 'low_value_unhappy'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export interface QuadrantThresholds {
  /** High value: net revenue (minor units) at or above this in at least one of these currencies. */
  highValueNet: Readonly<Record<string, number>>;
  /** A good experience: the latest answer is at least this (CSAT 1–5, NPS 0–10) … */
  goodCsatAtLeast: number;
  goodNpsAtLeast: number;
  /** … and scores are not falling. Without any answer, experience is taken to be this. */
  withoutAnswers: 'good' | 'poor';
}

export const DEFAULT_QUADRANT_THRESHOLDS: QuadrantThresholds = {
  highValueNet: { EUR: 50_000, USD: 50_000, GBP: 40_000 },
  goodCsatAtLeast: 4,
  goodNpsAtLeast: 7,
  withoutAnswers: 'good',
};

export function isHighValue(state: CustomerState, thresholds: QuadrantThresholds): boolean {
  return Object.entries(state.value.revenue).some(([currency, t]) => {
    const threshold = own(thresholds.highValueNet, currency);
    return threshold !== undefined && t.net >= threshold;
  });
}

/** The latest answer of either survey against its threshold, and the trend not falling. */
export function hasGoodExperience(state: CustomerState, thresholds: QuadrantThresholds): boolean {
  const last = state.satisfaction.answers.at(-1);
  if (!last) return thresholds.withoutAnswers === 'good';
  const good = last.survey === 'csat' ? last.score >= thresholds.goodCsatAtLeast : last.score >= thresholds.goodNpsAtLeast;
  return good && state.satisfaction.trend !== 'falling';
}

export function quadrantOf(state: CustomerState, thresholds: QuadrantThresholds): Quadrant {
  const high = isHighValue(state, thresholds);
  const good = hasGoodExperience(state, thresholds);
  if (high) return good ? 'champion' : 'at_risk';
  return good ? 'low_value_happy' : 'low_value_unhappy';
}

// ---------------------------------------------------------------------------------------------
// Churn signals
// ---------------------------------------------------------------------------------------------

export const CHURN_SIGNALS = [
  'repeated_unresolved_contacts',
  'falling_satisfaction',
  'recent_refund',
  'stated_complaint',
  'stated_cancellation',
] as const;
export type ChurnSignal = (typeof CHURN_SIGNALS)[number];

export interface ChurnSignalConfig {
  /** `repeated_unresolved_contacts`: at least this many inbound contacts on still-open conversations … */
  repeatedContacts: number;
  /** … within this many days up to `now`. */
  repeatedWithinDays: number;
  /** `recent_refund`: a refund within this many days up to `now`. */
  refundWithinDays: number;
  /** `stated_complaint`: the customer's words complained within this many days up to `now`. */
  complaintWithinDays: number;
  /** `stated_cancellation`: the customer's words asked for a refund or to cancel within this many days up to `now`. */
  cancellationWithinDays: number;
}

export const DEFAULT_CHURN_SIGNAL_CONFIG: ChurnSignalConfig = {
  repeatedContacts: 3,
  repeatedWithinDays: 7,
  refundWithinDays: 30,
  complaintWithinDays: 7,
  cancellationWithinDays: 30,
};

const within = (at: string, nowMs: number, days: number): boolean => instant(at) <= nowMs && nowMs - instant(at) <= days * DAY_MS;

/**
 * Churn signals as of `now`, in `CHURN_SIGNALS` order: repeated contacts that are still
 * unresolved — counted, or said by the customer ("this is my third message") on a conversation
 * still open —, satisfaction falling, a recent refund, and what the customer's own words said
 * lately: a complaint, a request for a refund or to cancel (`state.textSignals`).
 */
export function churnSignals(state: CustomerState, now: string, config: ChurnSignalConfig = DEFAULT_CHURN_SIGNAL_CONFIG): ChurnSignal[] {
  const nowMs = instant(now);
  if (Number.isNaN(nowMs)) throw new RangeError(`churnSignals: not an ISO 8601 time: ${JSON.stringify(now)}`);
  const signals: ChurnSignal[] = [];
  const open = new Set(
    Object.entries(state.conversations)
      .filter(([, c]) => c.status === 'open')
      .map(([key]) => key),
  );
  const unresolved = state.inboundWindow.filter((c) => open.has(c.conversation) && within(c.at, nowMs, config.repeatedWithinDays)).length;
  const said = state.textSignals;
  const saidRepeat =
    said.repeat_contact !== undefined &&
    open.has(said.repeat_contact.lastConversation) &&
    within(said.repeat_contact.lastAt, nowMs, config.repeatedWithinDays);
  if (open.size > 0 && (unresolved >= config.repeatedContacts || saidRepeat)) signals.push('repeated_unresolved_contacts');
  if (state.satisfaction.trend === 'falling') signals.push('falling_satisfaction');
  if (state.value.lastRefundAt !== undefined && within(state.value.lastRefundAt, nowMs, config.refundWithinDays))
    signals.push('recent_refund');
  if (said.complaint !== undefined && within(said.complaint.lastAt, nowMs, config.complaintWithinDays)) signals.push('stated_complaint');
  if (said.refund_cancel !== undefined && within(said.refund_cancel.lastAt, nowMs, config.cancellationWithinDays))
    signals.push('stated_cancellation');
  return signals;
}
