import type { IdentityKind } from '@hub/contracts';
import type { NbaContactMode, NbaPolicyKind } from '@hub/customer';
import type { Rule } from '../policy/rule';
import type { OutcomeKeywordList } from '../history/reply-outcome';
import type { CostToServe } from '../facts/cost-to-serve';

/** What an action does for the customer. */
export const CATALOG_ACTION_KINDS = ['service', 'offer', 'retention', 'survey', 'escalation', 'none'] as const;
export type CatalogActionKind = (typeof CATALOG_ACTION_KINDS)[number];

/** The work-item queue of an escalation action: its catalog `queue`, else its id. */
export const workItemQueueOf = (action: Pick<CatalogAction, 'id' | 'queue'>): string => action.queue ?? action.id;

export type Policies = Readonly<Record<NbaPolicyKind, readonly Rule[]>>;

export interface Cooldown {
  /** Do not propose the action again for this many days after the customer declined it … */
  afterDeclineDays: number;
  /** … or did not respond to it … */
  afterNoResponseDays: number;
  /** … and never more often than once in this many days, whatever the outcome (0: no limit). */
  minDaysBetween: number;
}

export interface Cap {
  max: number;
  windowDays: number;
}

export interface CatalogAction {
  id: string;
  kind: CatalogActionKind;
  /** The built-in strategy it implements (`self_service`, `escalation_at_risk`, …): named in explanations. */
  strategy: string;
  detail: string;
  /** Channels it may use, in the catalog's order of preference (after preferred and trigger channel). */
  channels: readonly string[];
  contactMode: NbaContactMode;
  /**
   * Escalations: the work-item queue people pick it up from (`WorkItemOpened.queue`); absent: the
   * action's id (the shipped catalogs name none, so `escalate_specialist` is its own queue).
   */
  queue?: string;
  /** Marketing: needs an explicit opt-in on the channel, not merely the absence of an opt-out. */
  requiresOptIn: boolean;
  /** V: what it is worth when accepted (any unit, the same for every action). */
  value: number;
  /** The prior propensity: the chance it is accepted before any outcome is known. */
  basePropensity: number;
  /** C: each rule that holds multiplies the context weight by its weight. */
  contextWeights: readonly { when: Rule; weight: number }[];
  /** L: ids of business levers (catalog `levers`) whose values multiply the priority. */
  levers: readonly string[];
  cooldown?: Partial<Cooldown>;
  policies: Policies;
  /**
   * Opt-in (absent: never withheld, decisions as before): the share of decisions that pick this
   * action which withhold it instead — the control group its uplift is measured against. Drawn from
   * the decision's seed (`controlDraw`), so a recomputation withholds the same ones.
   */
  controlGroupShare?: number;
}

export interface ChannelContactPolicy {
  channel: string;
  /** Identity kinds that make the customer reachable on it (or any earlier interaction on it). */
  reachableBy: readonly IdentityKind[];
  /** Proactive contacts on this channel per window. */
  cap: Cap;
  quietHours: boolean;
}

export interface Catalog {
  catalogVersion: string;
  description?: string;
  arbitration: {
    /** How many ranked actions the menu holds. */
    menuSize: number;
    /** Candidates with a lower priority are dropped. */
    minPriority: number;
  };
  learning: {
    /** The fact whose value is the learning segment (e.g. `customer.quadrant`). */
    segmentBy: string;
    priorStrength: number;
    noResponseWeight: number;
    /** After this long without an outcome, a decision counts as `no_response`. */
    noResponseAfterHours: number;
  };
  levers: readonly { id: string; value: number; description?: string }[];
  contactPolicy: {
    /** IANA time zone used when the customer's trait is absent or invalid. */
    defaultTimeZone: string;
    /** The trait that holds the customer's IANA time zone. */
    timeZoneTrait: string;
    /** Local times `HH:MM`; `from` later than `to` spans midnight. */
    quietHours: { from: string; to: string };
    /** A reply may follow the customer's latest inbound message on the channel for this long. */
    replyWindowHours: number;
    /** Proactive contacts on all channels together per window. */
    totalCap?: Cap;
    cooldown: Cooldown;
    channels: readonly ChannelContactPolicy[];
  };
  /** Rules every action but the do-nothing one must also pass, before its own. */
  policyDefaults: Policies;
  /**
   * Opt-in (absent: keyword replies answer nothing): per locale, the whole-message replies that
   * accept or decline the latest open decision on the channel they came in on (`outcomeOfReply`).
   * Read by the outcome recording only, never by the engine, so it changes no decision.
   */
  outcomeKeywords?: readonly OutcomeKeywordList[];
  /**
   * Opt-in (from catalog v4): what an interaction costs per channel. With it the engine derives
   * `value.costToServe`, `value.profit` and `customer.profitable`, which rules and weights may read;
   * without it those facts are absent (decisions of older catalogs read exactly what they read).
   */
  costToServe?: CostToServe;
  actions: readonly CatalogAction[];
}
