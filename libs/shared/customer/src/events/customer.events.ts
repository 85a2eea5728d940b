import type { ChannelId, EventMetadata, IdentityRef, InteractionData } from '@hub/contracts';
import type { TextSignal } from '@hub/text-signals';
import type {
  NbaActionKind,
  NbaArbitration,
  NbaChannelAddress,
  NbaContactMode,
  NbaNoActionReason,
  NbaOutcome,
  NbaOutcomeCounts,
  NbaRankedAction,
  NbaTriggerRef,
} from './nba-explanation';

/**
 * Events in a customer's stream (`customerStream(tenant, id)`). Past tense; every one carries the
 * full `EventMetadata`. Adding a type: add it here and to `CUSTOMER_EVENT_TYPE_SET`, handle it in
 * `evolve` (the compiler insists), give it a schema version in `CURRENT_SCHEMA_VERSIONS`, and
 * document it in docs/events.md.
 */
export type CustomerRegistered = {
  type: 'CustomerRegistered';
  data: { customerId: string; tenantId: string; identity: IdentityRef };
  metadata: EventMetadata;
};

/**
 * What the recorder found in an inbound message's own words (`detectTextSignals` of
 * libs/shared/text-signals), recorded once, in clear, beside the sealed text: the fold reads these, never
 * the text, so the state is the same whether the text is readable or erased. Absent on
 * interactions recorded before detection existed and on those with no text to read.
 */
export interface RecordedTextSignals {
  /** The signals found, in `TEXT_SIGNALS` order; empty when the text was read and said none. */
  found: TextSignal[];
  /** `TEXT_SIGNALS_VERSION` of the detector that read it. */
  version: string;
}

export type InteractionRecorded = {
  type: 'InteractionRecorded';
  data: InteractionData & {
    channel: ChannelId;
    textSignals?: RecordedTextSignals;
    /**
     * The identities the interaction named that another customer held when it was recorded (merge
     * evidence, not this customer's: their claims were not taken). Written by the recorder, since
     * the fold must agree with the claims; absent when it took every identity named, and on
     * interactions recorded before it said (the fold then takes them all, as it always did).
     */
    identitiesHeldByOthers?: IdentityRef[];
  };
  metadata: EventMetadata;
};

export { NBA_ACTION_KINDS, type NbaActionKind } from './nba-explanation';

/**
 * A next best action was decided for the customer (v3). `action` is the chosen action (`kind:
 * 'none'` when nothing is to be done) and `contactMode` how it reaches the customer; `explanation`
 * is its one-line why. The event carries what reproduces the decision, not every intermediate: the
 * engine and catalog versions, the seed, the state revision and trigger, the segment, the
 * population's outcome counts it read and the menu's priorities (a bit-for-bit check); the whole
 * ranking is recomputed from them and the stream (`reproduceDecision` of libs/decide/nba).
 * v2 recorded the whole ranking (`arbitration`), and keeps it when read (upcast with `contactMode`
 * and `segment` taken from it). v1 (the first rule set) had `rulesetVersion` and no catalog, seed
 * or arbitration: it is upcast with `strategyVersion = rulesetVersion` and the rest null.
 */
export type NextBestActionDecided = {
  type: 'NextBestActionDecided';
  data: {
    decisionId: string;
    customerId: string;
    action: { kind: NbaActionKind; code: string; channel?: ChannelId; detail: string };
    /** How the action reaches the customer (`none` when it does not). */
    contactMode: NbaContactMode;
    /** Why, in one line: the rule or strategy that decided and the facts it read. */
    explanation: { ruleId: string; reason: string; inputs: Record<string, string | number | boolean | null> };
    /** The version of the decision logic (`rules-v0.2` for v1 decisions, the engine's strategy version since). */
    strategyVersion: string;
    /** The version of the action catalog the engine read (null for the first rule set). */
    catalogVersion: string | null;
    /** The seed of the Thompson sampling: with the same inputs it recomputes the decision bit for bit. */
    seed: number | null;
    /** The stream revision of the state the decision was made on, and the event that triggered it. */
    basedOnRevision: string;
    basedOnEventId: string;
    /** The learning segment whose posteriors were sampled (null for v1 decisions). */
    segment: string | null;
    /**
     * v3: the population's outcome counts the decision read, in `segment`, for each action it
     * scored (an action left out had none). Absent before v3 (v2 recorded the posteriors themselves).
     */
    outcomes?: Record<string, NbaOutcomeCounts>;
    /** v3: the menu as ranked, best first: action, channel, priority. Absent before v3 (in `arbitration`). */
    menu?: NbaRankedAction[];
    /** v2: the full ranking as recorded; null for v1; absent since v3 (recomputed, never stored). */
    arbitration?: NbaArbitration | null;
    /**
     * Added within v3 (absent on decisions recorded before; a reader takes absent as "not said"):
     * every trigger the decision folded (the events a debounced decision answers at once: those not
     * answered by an earlier decision, up to `basedOnEventId`), in stream order.
     */
    triggers?: NbaTriggerRef[];
    /** Added within v3: the chosen action's channel address, from the folded state (sealed); absent when it contacts nobody or the state has none. */
    address?: NbaChannelAddress;
    /** Added within v3: why a decision contacts nobody (`action.kind` `none`); absent otherwise. */
    noAction?: { reason: NbaNoActionReason };
    /**
     * Added within v3: the action the engine chose and withheld because the decision fell in its
     * control group (catalog `controlGroupShare`); `action` is then the do-nothing one. Absent otherwise.
     */
    withheld?: { actionId: string; kind: NbaActionKind; channel: ChannelId | null; share: number };
  };
  metadata: EventMetadata;
};

/**
 * What became of a decided action: the customer took it (`accepted`), refused it (`declined`), or
 * did not react within the catalog's timeout (`no_response`). Feeds the per-(action, segment)
 * posteriors and the cooldowns of the decision engine; changes nothing in the folded state.
 */
export type NbaOutcomeRecorded = {
  type: 'NbaOutcomeRecorded';
  data: {
    decisionId: string;
    /** The action the outcome is about (`action.code` of the decision). */
    actionId: string;
    outcome: NbaOutcome;
    /** The learning segment the decision was made in (`arbitration.segment`); null for v1 decisions. */
    segment: string | null;
    channel?: ChannelId;
    /** Who observed it: `channel` (a reply or click), `agent`, `timeout`, … */
    source: string;
  };
  metadata: EventMetadata;
};

// ---------------------------------------------------------------------------------------------
// Consent, traits, surveys, orders, conversations
// ---------------------------------------------------------------------------------------------

export const CONSENT_STATUSES = ['opted_in', 'opted_out'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/**
 * Where a consent change came from: `keyword` (an inbound STOP/START text, derived in `evolve`),
 * or whatever the recording system names (`web_form`, `agent`, `import`, `double_opt_in`, …).
 */
export type ConsentSource = string;

/** The customer's consent to be contacted on one channel changed, as of `metadata.occurredAt`. */
export type ConsentChanged = {
  type: 'ConsentChanged';
  data: { channel: ChannelId; consent: ConsentStatus; source: ConsentSource };
  metadata: EventMetadata;
};

export type TraitValue = string | number | boolean | null;

/** Profile attributes set by a system or an agent (`{ tier: 'gold', language: 'de' }`); `null` clears one. */
export type TraitsUpdated = {
  type: 'TraitsUpdated';
  data: { traits: Record<string, TraitValue> };
  metadata: EventMetadata;
};

export const SURVEY_KINDS = ['csat', 'nps'] as const;
export type SurveyKind = (typeof SURVEY_KINDS)[number];

/** A satisfaction survey answer: CSAT is an integer 1–5, NPS an integer 0–10. */
export type SurveyAnswered = {
  type: 'SurveyAnswered';
  data: { survey: SurveyKind; score: number; conversationId?: string };
  metadata: EventMetadata;
};

/** Money is an integer amount in the currency's minor unit (cents) and an ISO 4217 code. */
export type OrderPlaced = {
  type: 'OrderPlaced';
  data: { orderId: string; amount: number; currency: string };
  metadata: EventMetadata;
};

/** A (possibly partial) refund of an order; several may refund one order. */
export type OrderRefunded = {
  type: 'OrderRefunded';
  data: { orderId: string; amount: number; currency: string };
  metadata: EventMetadata;
};

/** An agent or bot closed a conversation. `threadId` absent: the channel's default thread. */
export type ConversationResolved = {
  type: 'ConversationResolved';
  data: { channel: ChannelId; threadId?: string };
  metadata: EventMetadata;
};

// ---------------------------------------------------------------------------------------------
// Merge and unmerge (decided by `decideMerge` / `decideUnmerge`)
// ---------------------------------------------------------------------------------------------

/**
 * Why two customer records are believed to be one person. `source` selects the policy
 * (`MergePolicy`); `identities` are the identities the evidence links.
 */
export interface MergeEvidence {
  source: string;
  detail: string;
  identities: IdentityRef[];
}

/** In the survivor's stream: another customer was merged into this one. */
export type CustomersMerged = {
  type: 'CustomersMerged';
  data: {
    mergeId: string;
    survivorId: string;
    mergedId: string;
    reason: string;
    evidence: MergeEvidence;
    /** The merged customer's identities the survivor did not have: exactly what an unmerge gives back. */
    identitiesMoved: IdentityRef[];
  };
  metadata: EventMetadata;
};

/** In the merged customer's stream: this customer now lives on as `survivorId`. */
export type CustomerMergedInto = {
  type: 'CustomerMergedInto';
  data: {
    mergeId: string;
    survivorId: string;
    reason: string;
    /** The evidence source that justified the merge (see `CustomersMerged.evidence`). */
    source: string;
    /** Every identity this customer had when merged: they all belong to the survivor now. */
    identitiesHandedOver: IdentityRef[];
  };
  metadata: EventMetadata;
};

/** In the survivor's stream, compensating `CustomersMerged`: the merge was wrong. */
export type CustomerUnmerged = {
  type: 'CustomerUnmerged';
  data: { mergeId: string; restoredId: string; reason: string; identitiesReturned: IdentityRef[] };
  metadata: EventMetadata;
};

/** In the restored customer's stream, compensating `CustomerMergedInto`. */
export type CustomerRestored = {
  type: 'CustomerRestored';
  data: { mergeId: string; survivorId: string; reason: string; identitiesReturned: IdentityRef[] };
  metadata: EventMetadata;
};

/** In the would-be survivor's stream: the evidence only proposes a merge; a person must confirm it. */
export type MergeProposed = {
  type: 'MergeProposed';
  data: {
    proposalId: string;
    survivorId: string;
    mergedId: string;
    reason: string;
    evidence: MergeEvidence;
    identitiesMoving: IdentityRef[];
  };
  metadata: EventMetadata;
};

/**
 * In the would-be survivor's stream: a person rejected a proposed merge. The proposal is closed, and
 * evidence that would only propose merging the same pair again proposes nothing (`previously_rejected`);
 * evidence the policy trusts on its own, or a person's confirmation, still merges.
 */
export type MergeProposalRejected = {
  type: 'MergeProposalRejected';
  data: { proposalId: string; survivorId: string; mergedId: string; reason: string };
  metadata: EventMetadata;
};

/**
 * GDPR erasure: the customer's key was destroyed, so every personal field of this stream now reads
 * as `[erased]`; projections purge the customer. Holds no personal data itself.
 */
export type CustomerErased = {
  type: 'CustomerErased';
  data: {
    customerId: string;
    /** A code or ticket reference (`gdpr-art17`, `TICKET-123`), never free text about the person. */
    reason: string;
    /** An operator or system id, not the customer's contact details. */
    requestedBy: string;
    /**
     * Set when this record was erased because the customer it is merged into was (the erasure of the
     * whole person, `eraseCustomerRecord`): that customer's id. Absent for a record erased by its own
     * id, and in every CustomerErased recorded before erasure reached the records merged in.
     */
    cascadeOf?: string;
  };
  metadata: EventMetadata;
};

// ---------------------------------------------------------------------------------------------
// Work items: escalations handed to people (opened by the nba-worker, worked through the query API)
// ---------------------------------------------------------------------------------------------

export const WORK_ITEM_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
/** How soon a person should take it: from the customer's value and churn risk (`workItemPriority`). */
export type WorkItemPriority = (typeof WORK_ITEM_PRIORITIES)[number];

/**
 * An escalation was handed to people: a work item in `queue` (the escalation action's catalog
 * entry), due by `dueAt` (the queue's SLA from the decision). `workItemId` derives from the decision
 * (`workItemIdOf`), so a redelivered decide job cannot open a second one. `conversation` is what
 * resolving it resolves (the trigger's channel and thread); absent when the decision answered no
 * conversation.
 */
export type WorkItemOpened = {
  type: 'WorkItemOpened';
  data: {
    workItemId: string;
    decisionId: string;
    /** The escalation action (`action.code` of the decision). */
    actionId: string;
    queue: string;
    priority: WorkItemPriority;
    dueAt: string;
    conversation?: { channel: ChannelId; threadId?: string };
  };
  metadata: EventMetadata;
};

/** A person took the work item. `agent` is an agent id, not a name. */
export type WorkItemClaimed = {
  type: 'WorkItemClaimed';
  data: { workItemId: string; agent: string };
  metadata: EventMetadata;
};

/** The work item was handed to another agent (`to`); `reason` is a person's words, sealed as personal data. */
export type WorkItemReassigned = {
  type: 'WorkItemReassigned';
  data: { workItemId: string; from: string | null; to: string; reason: string };
  metadata: EventMetadata;
};

/**
 * The work item was closed: `resolution` is a code (`solved`, `refunded`, …), `note` a person's
 * words (sealed as personal data). A `ConversationResolved` for its conversation follows it in the
 * same append, which starts the survey follow-up.
 */
export type WorkItemResolved = {
  type: 'WorkItemResolved';
  data: { workItemId: string; resolution: string; note?: string; by: string | null };
  metadata: EventMetadata;
};

export type CustomerEvent =
  | CustomerRegistered
  | InteractionRecorded
  | NextBestActionDecided
  | NbaOutcomeRecorded
  | ConsentChanged
  | TraitsUpdated
  | SurveyAnswered
  | OrderPlaced
  | OrderRefunded
  | ConversationResolved
  | CustomersMerged
  | CustomerMergedInto
  | CustomerUnmerged
  | CustomerRestored
  | MergeProposed
  | MergeProposalRejected
  | CustomerErased
  | WorkItemOpened
  | WorkItemClaimed
  | WorkItemReassigned
  | WorkItemResolved;
export type CustomerEventType = CustomerEvent['type'];

/** The event of one type. */
export type CustomerEventOf<T extends CustomerEventType> = Extract<CustomerEvent, { type: T }>;

/** One entry per type, checked by the compiler: a type missing here does not compile. */
const CUSTOMER_EVENT_TYPE_SET = {
  CustomerRegistered: true,
  InteractionRecorded: true,
  NextBestActionDecided: true,
  NbaOutcomeRecorded: true,
  ConsentChanged: true,
  TraitsUpdated: true,
  SurveyAnswered: true,
  OrderPlaced: true,
  OrderRefunded: true,
  ConversationResolved: true,
  CustomersMerged: true,
  CustomerMergedInto: true,
  CustomerUnmerged: true,
  CustomerRestored: true,
  MergeProposed: true,
  MergeProposalRejected: true,
  CustomerErased: true,
  WorkItemOpened: true,
  WorkItemClaimed: true,
  WorkItemReassigned: true,
  WorkItemResolved: true,
} as const satisfies Record<CustomerEventType, true>;

export const CUSTOMER_EVENT_TYPES: readonly CustomerEventType[] = Object.keys(CUSTOMER_EVENT_TYPE_SET) as CustomerEventType[];

export function isCustomerEventType(type: string): type is CustomerEventType {
  return (CUSTOMER_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Events in an identity's claim stream (`identityStream(tenant, kind, value)`). The LAST event says
 * who owns the identity now: a claim (first contact, or a merge/unmerge moving it) or a release
 * (erasure), after which the next contact claims it afresh.
 */
export type IdentityClaimed = {
  type: 'IdentityClaimed';
  data: {
    customerId: string;
    identity: IdentityRef;
    /** Why the owner changed: first contact (absent), or the merge/unmerge that moved it. */
    via?: { kind: 'merge' | 'unmerge'; mergeId: string } | IdentityLink;
  };
  metadata: EventMetadata;
};

/**
 * An identity claimed for a customer because it arrived together with another identity of theirs
 * (a Shopify order's email and phone, a Telegram user's own contact card): `through` is the
 * identity the customer was recognised by.
 */
export interface IdentityLink {
  kind: 'link';
  through: IdentityRef;
}

/**
 * The identity no longer belongs to anyone under this stream's name: its customer was erased
 * (`erasure`), or the claim moved to the name the identity has under the deployment's current key
 * (`migrated`, by `hub identities migrate`; the claim stream under the new name holds it now).
 * Holds no personal data.
 */
export type IdentityReleased = {
  type: 'IdentityReleased';
  data: { customerId: string; reason: 'erasure' | 'migrated' };
  metadata: EventMetadata;
};

export type IdentityClaimEvent = IdentityClaimed | IdentityReleased;
