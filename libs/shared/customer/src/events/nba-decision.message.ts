import type { ChannelId } from '@hub/contracts';
import type { NbaActionKind, NbaChannelAddress, NbaContactMode, NbaNoActionReason, NbaTriggerRef } from './nba-explanation';

/** What every decision message carries, whatever its kind. */
interface NbaDecisionMessageBase {
  decisionId: string;
  tenantId: string;
  customerId: string;
  explanation: { ruleId: string; reason: string };
  strategyVersion: string;
  catalogVersion: string | null;
  decidedAt: string;
  /** The event the decision answers, and the customer's stream revision it was made on. */
  basedOnEventId: string;
  basedOnRevision: string;
  /**
   * Every trigger folded into the decision, in stream order, the last being `basedOnEventId`: a
   * burst of messages debounced into one decision names each. Absent on decisions recorded before
   * the worker said.
   */
  triggers?: NbaTriggerRef[];
  /** Where the decision is recorded. */
  streamRevision: string;
  globalPosition: string;
  correlationId: string;
}

/**
 * The value of a message on `hub.nba-decisions.v1` (`Topics.nbaDecisions`): what a channel sender
 * needs to act, and where the decision is recorded. The nba-worker's relay publishes one per
 * `NextBestActionDecided` that contacts the customer, keyed by customer id, with the `hub-*`
 * headers of the event (`hub-event-id` = `decisionId`). Delivery is at least once (a relay that
 * crashed between Kafka's acknowledgement and its checkpoint publishes again): senders dedupe by
 * `decisionId` (`startDecisionConsumer` of @hub/client does). The same message, with `kind:
 * 'action'`, is on `hub.nba-decisions.v2` beside the decisions that contact nobody.
 */
export interface NbaDecisionMessage extends NbaDecisionMessageBase {
  /** `action` on every message written since it was added (absent on older ones, which were actions too). */
  kind?: 'action';
  action: { kind: NbaActionKind; code: string; channel?: ChannelId; detail: string };
  /** `reply` (answer in the conversation), `proactive` (start one) or `handoff` (a person takes over). */
  contactMode: Exclude<NbaContactMode, 'none'>;
  /**
   * The customer's address on the chosen channel, from their folded state when the decision was
   * published. Absent when the state holds none for the channel, when the tenant's decisions are
   * published without addresses (`NBA_DECISIONS_OMIT_ADDRESS_TENANTS`), and when the customer was
   * erased before the message was published (the sealed address can no longer be opened).
   */
  address?: NbaChannelAddress;
}

/**
 * A decision that contacts nobody, on `hub.nba-decisions.v2` only: "decided nothing", and why
 * (`noAction.reason`; `explanation.reason` says it in a line). `reason` is `not_recorded` for a
 * decision recorded before the worker recorded reasons.
 */
export interface NbaNoActionMessage extends NbaDecisionMessageBase {
  kind: 'no-action';
  action: { kind: 'none'; code: string; detail: string };
  contactMode: 'none';
  noAction: { reason: NbaNoActionReason | 'not_recorded' };
}

/** The value of a message on `hub.nba-decisions.v2`: every decision, of either kind. */
export type NbaDecisionMessageV2 = (NbaDecisionMessage & { kind: 'action' }) | NbaNoActionMessage;
