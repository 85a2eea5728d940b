import { headersFor, parseCustomerStream, type EventMetadata } from '@hub/contracts';
import { type NbaDecisionMessage, type NextBestActionDecided } from '@hub/customer';
import { toCustomerEvent } from '@hub/customer-records';
import {
  RELAY_SAVE_EVERY_MS,
  runCheckpointedSubscription,
  type CheckpointStore,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@hub/event-store';
import type { EventPublisher, OutgoingMessage } from '@hub/messaging';
import { decisionContactMode } from '@hub/nba';

/** The checkpoint id of the relay to one topic (a namespaced topic has its own). */
export const decisionRelayId = (topic: string): string => `relay.${topic}`;

/** The value of a message on `hub.nba-decisions.v1`: `NbaDecisionMessage` of @hub/customer (what @hub/client reads). */
export type { NbaDecisionMessage };

/** The message of one recorded event, or undefined when it is not a decision that contacts the customer. */
export function decisionMessage(recorded: RecordedEvent): OutgoingMessage | undefined {
  const owner = parseCustomerStream(recorded.streamName);
  if (!owner || recorded.type !== 'NextBestActionDecided') return undefined;
  const event = toCustomerEvent(recorded) as NextBestActionDecided | undefined;
  if (!event) return undefined;
  const contactMode = decisionContactMode(event);
  if (contactMode === 'none') return undefined;
  const d = event.data;
  const value: NbaDecisionMessage = {
    decisionId: d.decisionId,
    tenantId: owner.tenantId,
    customerId: owner.customerId,
    action: d.action,
    contactMode,
    explanation: { ruleId: d.explanation.ruleId, reason: d.explanation.reason },
    strategyVersion: d.strategyVersion,
    catalogVersion: d.catalogVersion,
    decidedAt: event.metadata.occurredAt,
    basedOnEventId: d.basedOnEventId,
    basedOnRevision: d.basedOnRevision,
    streamRevision: recorded.revision.toString(),
    globalPosition: recorded.globalPosition.toString(),
    correlationId: event.metadata.correlationId,
  };
  return { key: owner.customerId, value, headers: headersFor(recorded.type, event.metadata as EventMetadata) };
}

/**
 * The outbox of decisions: a checkpointed subscription to the store publishes every
 * `NextBestActionDecided` that contacts the customer to the decisions topic, keyed by customer. A
 * decision is stored once (its event id is its decision id, however often its job ran), so it is
 * published once — except that a crash between Kafka's acknowledgement and the checkpoint
 * republishes the batch (at-least-once): senders dedupe by decision id.
 */
export function startNbaDecisionRelay(deps: {
  store: EventStore;
  checkpoints: CheckpointStore<unknown>;
  publisher: EventPublisher;
  topic: string;
  logger: { warn(obj: object, msg: string): void };
  fromWhenNoCheckpoint?: bigint;
}): Promise<Subscription> {
  return runCheckpointedSubscription(deps.store, deps.checkpoints, decisionRelayId(deps.topic), {
    filter: { streamPrefixes: ['customer-'], eventTypes: ['NextBestActionDecided'] },
    batchSize: 500,
    // At-least-once either way: a crash republishes up to 200 ms more, which consumers take by event id.
    saveEveryMs: RELAY_SAVE_EVERY_MS,
    ...(deps.fromWhenNoCheckpoint !== undefined ? { fromWhenNoCheckpoint: deps.fromWhenNoCheckpoint } : {}),
    onEvents: async (events) => {
      const messages = events.map(decisionMessage).filter((m): m is OutgoingMessage => m !== undefined);
      if (messages.length) await deps.publisher.publish(deps.topic, messages);
    },
    onError: (err) => deps.logger.warn({ err: String(err), topic: deps.topic }, 'nba.relay.retrying'),
  });
}
