import type { InteractionKind, ChannelId, Direction, IdentityRef } from '@hub/contracts';
import type { TextSignal } from '@hub/text-signals';
import type { ConsentStatus, NbaActionKind, SurveyKind, TraitValue, WorkItemPriority } from '../events/customer.events';

export interface ChannelEngagement {
  count: number;
  inbound: number;
  firstAt: string;
  lastAt: string;
}

export interface RecentInteraction {
  eventId: string;
  channel: ChannelId;
  direction: Direction;
  occurredAt: string;
  text?: string;
  /** Absent on interactions recorded before kinds other than `message` existed. */
  kind?: InteractionKind;
  /** The provider's message id: how an edit (`data.edits`) finds the message it edits. */
  messageId?: string;
  /** The text signals its words carried (the latest version's, once edited); absent when not read. */
  signals?: TextSignal[];
  /** When the edit it shows happened (`occurredAt`): absent while never edited. */
  editedAt?: string;
}

export interface DecisionSummary {
  decisionId: string;
  kind: NbaActionKind;
  code: string;
  detail: string;
  decidedAt: string;
  basedOnRevision: string;
  basedOnEventId: string;
  ruleId: string;
  reason: string;
}

/** Consent on one channel and when it took effect: a signal older than `at` never overrides it. */
export interface ConsentRecord {
  status: ConsentStatus;
  /** When the change happened (`occurredAt` of the event that made it). */
  at: string;
  /** `keyword` for an inbound STOP/START text, else the source named by `ConsentChanged`. */
  source: string;
  eventId: string;
}

/** One inbound contact, kept for windowed measures (preferred channel, repeated contact). */
export interface InboundContact {
  at: string;
  channel: ChannelId;
  /** `conversationKey(channel, threadId)`. */
  conversation: string;
}

/**
 * One conversation thread on one channel. Open while the customer's latest inbound message is later
 * than the latest resolution; an inbound message after a resolution reopens it.
 */
export interface ConversationState {
  channel: ChannelId;
  threadId?: string;
  status: 'open' | 'resolved';
  /** When the current (or last) open period started, as far as the recorded events show. */
  openedAt?: string;
  lastInboundAt?: string;
  lastOutboundAt?: string;
  resolvedAt?: string;
  /** Inbound messages since the conversation was last (re)opened. */
  inboundSinceOpened: number;
}

/** How often the customer's own words carried one text signal, and when last (by `occurredAt`). */
export interface TextSignalSeen {
  count: number;
  firstAt: string;
  lastAt: string;
  /** The interaction that carried it last, and its conversation (`conversationKey`). */
  lastEventId: string;
  lastConversation: string;
}

export interface SurveyScore {
  survey: SurveyKind;
  score: number;
  at: string;
  eventId: string;
  conversationId?: string;
}

export type SatisfactionTrend = 'improving' | 'stable' | 'falling' | 'unknown';

export interface SatisfactionState {
  /** The latest answer of each survey, by when it was answered. */
  csat?: SurveyScore;
  nps?: SurveyScore;
  /** The latest six answers of either survey, oldest first, by when they were answered. */
  answers: SurveyScore[];
  /** The average of the latest three answers against the three before (scores scaled to 0–1). */
  trend: SatisfactionTrend;
}

export interface CurrencyTotals {
  /** Integer amounts in the currency's minor unit. */
  gross: number;
  refunded: number;
  net: number;
}

export interface ValueState {
  /** Distinct orders placed. */
  orders: number;
  orderIds: string[];
  /** Per ISO 4217 currency code: ordered, refunded, and net (= simple lifetime value). */
  revenue: Record<string, CurrencyTotals>;
  lastOrderAt?: string;
  lastRefundAt?: string;
}

export interface MergeRecord {
  mergeId: string;
  /** `survivor`: `otherId` was merged into this customer; `merged`: this customer was merged into `otherId`. */
  role: 'survivor' | 'merged';
  otherId: string;
  source: string;
  reason: string;
  mergedAt: string;
  /** Survivor: the identities that moved in. Merged: the identities it handed over. */
  identities: IdentityRef[];
  unmergedAt?: string;
}

export interface MergeProposal {
  proposalId: string;
  otherId: string;
  source: string;
  reason: string;
  proposedAt: string;
}

export interface RejectedMergeProposal {
  proposalId: string;
  otherId: string;
  reason: string;
  rejectedAt: string;
}

/** One work item (an escalation handed to people) as folded from its `WorkItem*` events. */
export interface WorkItemState {
  workItemId: string;
  decisionId: string;
  actionId: string;
  queue: string;
  priority: WorkItemPriority;
  /** `open` until someone claims it, `claimed` while an agent holds it, `resolved` once closed. */
  status: 'open' | 'claimed' | 'resolved';
  assignee?: string;
  openedAt: string;
  dueAt: string;
  conversation?: { channel: ChannelId; threadId?: string };
  resolvedAt?: string;
  resolution?: string;
}

/**
 * A customer as folded from their stream. Never stored as the record: always rebuilt from the
 * events (a snapshot is only a cache of this fold). JSON-safe: strings, numbers, booleans, arrays
 * and plain objects only — no Date, bigint or Map — so it survives `JSON.stringify`/`parse` intact.
 */
export interface CustomerState {
  /**
   * `merged`: the record lives on as `mergedInto`; its own events stay in its stream.
   * `erased`: GDPR erasure; personal fields are unreadable and nothing more is decided for them.
   */
  status: 'unknown' | 'active' | 'merged' | 'erased';
  erasedAt?: string;
  /** The interaction recorded last in stream order: what a decision made now answers. */
  lastInteractionEventId?: string;
  customerId?: string;
  tenantId?: string;
  registeredAt?: string;
  identities: IdentityRef[];
  engagement: { total: number; inbound: number; byChannel: Partial<Record<ChannelId, ChannelEngagement>> };
  /** The last ten interactions, newest last, by when they happened. */
  recent: RecentInteraction[];
  /** The current consent status per channel (the status of `consents[channel]`). */
  consent: Partial<Record<ChannelId, ConsentStatus>>;
  /** Consent per channel with when it took effect and where it came from. */
  consents: Partial<Record<ChannelId, ConsentRecord>>;
  lastDecision?: DecisionSummary;
  decisions: number;
  /** Latest value per key, by when it was set. */
  traits: Record<string, TraitValue>;
  /** When each trait was last set: an older update arriving late does not override a newer one. */
  traitsSetAt: Record<string, string>;
  /**
   * Inbound contacts of the 90 days up to the latest interaction (at most 500, the latest kept),
   * oldest first. Feeds `preferredChannel` and the repeated-contact churn signal.
   */
  inboundWindow: InboundContact[];
  /** The channel with most inbound contacts in those 90 days; ties go to the most recently used. */
  preferredChannel?: ChannelId;
  /** Every conversation thread seen, by `conversationKey(channel, threadId)`. */
  conversations: Record<string, ConversationState>;
  satisfaction: SatisfactionState;
  value: ValueState;
  /** Text signals of inbound messages (`InteractionRecorded.data.textSignals`), per signal. */
  textSignals: Partial<Record<TextSignal, TextSignalSeen>>;
  /** Set while this customer is merged into another. */
  mergedInto?: string;
  /** Customers currently merged into this one. */
  mergedFrom: string[];
  /** Every merge this customer took part in, in either role, including undone ones. */
  merges: MergeRecord[];
  /** Merges proposed with this customer as survivor and neither confirmed nor superseded yet. */
  mergeProposals: MergeProposal[];
  /** Proposals a person rejected (`MergeProposalRejected`): the same pair is not proposed again. */
  rejectedMergeProposals: RejectedMergeProposal[];
  /** Every work item opened for the customer, by id, resolved ones included (`openWorkItems` lists the others). */
  workItems: Record<string, WorkItemState>;
}

export const initialCustomerState = (): CustomerState => ({
  status: 'unknown',
  identities: [],
  engagement: { total: 0, inbound: 0, byChannel: {} },
  recent: [],
  consent: {},
  consents: {},
  decisions: 0,
  traits: {},
  traitsSetAt: {},
  inboundWindow: [],
  conversations: {},
  satisfaction: { answers: [], trend: 'unknown' },
  value: { orders: 0, orderIds: [], revenue: {} },
  textSignals: {},
  mergedFrom: [],
  merges: [],
  mergeProposals: [],
  rejectedMergeProposals: [],
  workItems: {},
});

/** The key of one conversation thread in `CustomerState.conversations`. */
export function conversationKey(channel: ChannelId, threadId?: string): string {
  return threadId === undefined ? `${channel}:` : `${channel}:${threadId}`;
}
