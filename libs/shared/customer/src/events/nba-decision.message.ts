import type { ChannelId } from '@hub/contracts';
import type { NbaActionKind, NbaContactMode } from './nba-explanation';

/**
 * The value of a message on `hub.nba-decisions.v1` (`Topics.nbaDecisions`): what a channel sender
 * needs to act, and where the decision is recorded. The nba-worker's relay publishes one per
 * `NextBestActionDecided` that contacts the customer, keyed by customer id, with the `hub-*`
 * headers of the event (`hub-event-id` = `decisionId`). Delivery is at least once (a relay that
 * crashed between Kafka's acknowledgement and its checkpoint publishes again): senders dedupe by
 * `decisionId` (`startDecisionConsumer` of @hub/client does).
 */
export interface NbaDecisionMessage {
  decisionId: string;
  tenantId: string;
  customerId: string;
  action: { kind: NbaActionKind; code: string; channel?: ChannelId; detail: string };
  /** `reply` (answer in the conversation), `proactive` (start one) or `handoff` (a person takes over). */
  contactMode: Exclude<NbaContactMode, 'none'>;
  explanation: { ruleId: string; reason: string };
  strategyVersion: string;
  catalogVersion: string | null;
  decidedAt: string;
  /** The event the decision answers, and the customer's stream revision it was made on. */
  basedOnEventId: string;
  basedOnRevision: string;
  /** Where the decision is recorded. */
  streamRevision: string;
  globalPosition: string;
  correlationId: string;
}
