import type { ChannelId } from '@hub/contracts';
import type { ConsentStatus } from './customer.events';

/**
 * The explanation a `NextBestActionDecided` (v2) carries: every candidate action of the catalog
 * with the policy verdicts, contact checks and scores that ranked it. Plain JSON, so a decision can
 * be recomputed from its inputs and compared with what was recorded, field for field.
 */

export const NBA_ACTION_KINDS = ['self_service', 'callback', 'escalation', 'offer', 'survey', 'service', 'retention', 'none'] as const;
/** `self_service` and `callback` are the kinds of the first rule set (v1 decisions); the catalog uses the others. */
export type NbaActionKind = (typeof NBA_ACTION_KINDS)[number];

/** A value a decision read from the customer, the triggering event or the contact history. */
export type NbaFactValue = string | number | boolean | null | readonly string[];

/** One rule of a policy as evaluated: whether it held, and the fact values it read. */
export interface NbaRuleTrace {
  /** The rule's id in the catalog, when it has one. */
  id?: string;
  /** The rule as written: `satisfaction.lastCsat lte 2`, or `all` / `any` / `not` over `children`. */
  rule: string;
  passed: boolean;
  /** Every fact the rule (and its children) read, with the value it had. */
  facts: Record<string, NbaFactValue>;
  children?: NbaRuleTrace[];
}

export const NBA_POLICY_KINDS = ['eligibility', 'applicability', 'suitability'] as const;
/** Eligibility: may we? Applicability: does it fit now? Suitability: is it in the customer's interest? */
export type NbaPolicyKind = (typeof NBA_POLICY_KINDS)[number];

export interface NbaPolicyVerdict {
  policy: NbaPolicyKind;
  /** All of the rules held (no rules: it holds). */
  passed: boolean;
  rules: NbaRuleTrace[];
}

export const NBA_CONTACT_MODES = ['reply', 'proactive', 'handoff', 'none'] as const;
/**
 * How an action reaches the customer. `reply`: an automated answer in the conversation the customer
 * opened (reply window, consent). `proactive`: we start the contact (consent, caps, quiet hours).
 * `handoff`: a person takes over (consent, reachability). `none`: no contact.
 */
export type NbaContactMode = (typeof NBA_CONTACT_MODES)[number];

export const NBA_CHANNEL_BLOCKS = [
  'channel_disabled',
  'opted_out',
  'no_opt_in',
  'unreachable',
  'outside_reply_window',
  'cap_reached',
  'total_cap_reached',
  'quiet_hours',
] as const;
/** Why a channel cannot be used for an action (stable codes). */
export type NbaChannelBlock = (typeof NBA_CHANNEL_BLOCKS)[number];

export interface NbaUsage {
  used: number;
  max: number;
  windowDays: number;
}

export interface NbaChannelVerdict {
  /** A channel the catalog names; it may not be enabled in this hub. */
  channel: string;
  available: boolean;
  blockedBy: NbaChannelBlock[];
  consent: { status: ConsentStatus | null; required: 'opted_in' | 'not_opted_out' };
  /** Checked for `proactive` and `handoff`. */
  reachable?: { viaIdentity: boolean; viaEngagement: boolean };
  /** Checked for `reply`: the customer's latest inbound message on the channel. */
  replyWindow?: { lastInboundAt: string | null; hours: number };
  /** Checked for `proactive`: contacts already made on this channel and in all, in their windows. */
  cap?: NbaUsage;
  totalCap?: NbaUsage;
  /** Checked for `proactive` on channels that observe quiet hours. */
  quietHours?: { timeZone: string; localTime: string; from: string; to: string; quiet: boolean };
}

export const NBA_OUTCOMES = ['accepted', 'declined', 'no_response'] as const;
export type NbaOutcome = (typeof NBA_OUTCOMES)[number];

export interface NbaCooldownVerdict {
  passed: boolean;
  /** The latest earlier decision of this action, and the latest outcome recorded for it. */
  lastDecidedAt: string | null;
  lastOutcome: { outcome: NbaOutcome; at: string } | null;
  /** Why and until when the action is held back (null when it passed). */
  reason: 'declined' | 'no_response' | 'min_days_between' | null;
  until: string | null;
}

export interface NbaContactVerdict {
  mode: NbaContactMode;
  /** The cooldown held and (unless the mode is `none`) at least one channel is available. */
  passed: boolean;
  cooldown: NbaCooldownVerdict;
  /** In the order tried: the preferred channel first, then the trigger's, then the catalog's order. */
  channels: NbaChannelVerdict[];
  /** The first available channel. */
  channel: ChannelId | null;
}

export interface NbaScore {
  /** P: Thompson sample from Beta(alpha, beta), the posterior of (action, segment). */
  propensity: { base: number; alpha: number; beta: number; mean: number; sampled: number };
  /** C: product of the weights of the context rules that held. */
  context: { weight: number; rules: (NbaRuleTrace & { weight: number })[] };
  /** V. */
  value: number;
  /** L: product of the business levers the action names. */
  lever: { weight: number; levers: Record<string, number> };
  /** P × C × V × L. */
  priority: number;
}

export const NBA_REJECTIONS = [
  'eligibility',
  'applicability',
  'suitability',
  'cooldown',
  'no_channel',
  'below_min_priority',
  'fallback',
] as const;
export type NbaRejection = (typeof NBA_REJECTIONS)[number];

export interface NbaCandidate {
  actionId: string;
  kind: NbaActionKind;
  strategy: string;
  survived: boolean;
  /**
   * Empty when it survived; a policy kind when its defaults or the action's own rules failed;
   * `fallback` for the do-nothing action, which is never ranked.
   */
  rejectedBy: NbaRejection[];
  /** The action's own rules (the catalog defaults are in `NbaArbitration.defaults`). */
  policies: NbaPolicyVerdict[];
  /** Checked only when every policy passed (null: not checked). */
  contact: NbaContactVerdict | null;
  /** Scored only when policies and contact passed. */
  score: NbaScore | null;
}

export interface NbaMenuEntry {
  /** 1 = best. */
  rank: number;
  actionId: string;
  kind: NbaActionKind;
  strategy: string;
  detail: string;
  channel: ChannelId | null;
  contactMode: NbaContactMode;
  priority: number;
}

/** The chosen action: the top of the menu, or the catalog's do-nothing action (rank 0, priority null). */
export type NbaChosen = Omit<NbaMenuEntry, 'priority'> & { priority: number | null };

export interface NbaContactCounters {
  /** Proactive contacts per channel within the channel's cap window, up to `now`. */
  channels: Record<string, NbaUsage>;
  total: NbaUsage | null;
  timeZone: string;
  timeZoneSource: 'trait' | 'default' | 'default_invalid_trait';
  /** `now` in the customer's time zone, HH:MM. */
  localTime: string;
}

export interface NbaArbitration {
  /** The learning segment (e.g. the quadrant) whose posteriors were sampled. */
  segment: string;
  facts: Record<string, NbaFactValue>;
  /** The catalog's policy defaults, which every action but the do-nothing one must pass too. */
  defaults: NbaPolicyVerdict[];
  counters: NbaContactCounters;
  chosen: NbaChosen;
  /** Ranked, best first, at most the catalog's menu size. */
  menu: NbaMenuEntry[];
  /** Every catalog action, in catalog order. */
  candidates: NbaCandidate[];
}

/** Outcomes of one action in one segment, as the population's tally counts them. */
export interface NbaOutcomeCounts {
  accepted: number;
  declined: number;
  noResponse: number;
}

/** One entry of a decision's menu as a v3 decision records it: enough to check a recomputed ranking bit for bit. */
export interface NbaRankedAction {
  actionId: string;
  channel: ChannelId | null;
  priority: number;
}

/** One event a decision answers: its id, type and when it happened (`occurredAt`). */
export interface NbaTriggerRef {
  eventId: string;
  type: string;
  occurredAt: string;
}

/**
 * Where the chosen action reaches the customer: the channel and the customer's identity on it (a
 * phone number for SMS, WhatsApp and voice, an email address, a handle in the channel's namespace).
 * Personal data: sealed in the store, erased with the customer's key.
 */
export interface NbaChannelAddress {
  channel: ChannelId;
  kind: 'phone' | 'email' | 'handle';
  value: string;
  /** For a `handle`: the channel's namespace (`telegram`, `messenger`, …). */
  namespace?: string;
}

export const NBA_NO_ACTION_REASONS = [
  'no_eligible_action',
  'consent_missing',
  'contact_policy',
  'below_min_priority',
  'control_group',
] as const;
/**
 * Why a decision contacts nobody (stable codes): `no_eligible_action` (no action passed the
 * eligibility, applicability and suitability policies), `consent_missing` (those that did could
 * reach the customer only on channels without the consent they need), `contact_policy` (held back
 * by cooldowns, caps, quiet hours, the reply window or reachability), `below_min_priority` (they
 * scored below the catalog's minimum priority), `control_group` (an action was chosen and withheld:
 * the customer is in that action's control group this time, `NextBestActionDecided.withheld`).
 */
export type NbaNoActionReason = (typeof NBA_NO_ACTION_REASONS)[number];
