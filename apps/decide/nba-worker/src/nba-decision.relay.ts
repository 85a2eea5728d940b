import { headersFor, parseCustomerStream, type EventMetadata } from '@hub/contracts';
import { ERASED_MARKER } from '@hub/crypto-shredding';
import { type NbaDecisionMessage, type NbaDecisionMessageV2, type NbaNoActionMessage, type NextBestActionDecided } from '@hub/customer';
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

/** The values of messages on `hub.nba-decisions.v1` and `.v2` (@hub/customer; what @hub/client reads). */
export type { NbaDecisionMessage, NbaDecisionMessageV2, NbaNoActionMessage };

export interface DecisionMessageOptions {
  /** Tenants whose decisions are published without the customer's address (`NBA_DECISIONS_OMIT_ADDRESS_TENANTS`). */
  omitAddressTenants?: ReadonlySet<string>;
}

/** One recorded decision as its v2 message, with the event's metadata (the message's headers). */
interface Relayed {
  value: NbaDecisionMessageV2;
  metadata: EventMetadata;
}

function relayed(recorded: RecordedEvent, options: DecisionMessageOptions): Relayed | undefined {
  const owner = parseCustomerStream(recorded.streamName);
  if (!owner || recorded.type !== 'NextBestActionDecided') return undefined;
  const event = toCustomerEvent(recorded) as NextBestActionDecided | undefined;
  if (!event) return undefined;
  const d = event.data;
  const common = {
    decisionId: d.decisionId,
    tenantId: owner.tenantId,
    customerId: owner.customerId,
    explanation: { ruleId: d.explanation.ruleId, reason: d.explanation.reason },
    strategyVersion: d.strategyVersion,
    catalogVersion: d.catalogVersion,
    decidedAt: event.metadata.occurredAt,
    basedOnEventId: d.basedOnEventId,
    basedOnRevision: d.basedOnRevision,
    ...(d.triggers ? { triggers: d.triggers } : {}),
    streamRevision: recorded.revision.toString(),
    globalPosition: recorded.globalPosition.toString(),
    correlationId: event.metadata.correlationId,
  };
  const metadata = event.metadata as EventMetadata;
  const contactMode = decisionContactMode(event);
  if (contactMode === 'none') {
    const value: NbaNoActionMessage = {
      kind: 'no-action',
      action: { kind: 'none', code: d.action.code, detail: d.action.detail },
      contactMode: 'none',
      noAction: { reason: d.noAction?.reason ?? 'not_recorded' },
      ...common,
    };
    return { value, metadata };
  }
  const address =
    d.address && d.address.value !== ERASED_MARKER && !options.omitAddressTenants?.has(owner.tenantId) ? d.address : undefined;
  return { value: { kind: 'action', action: d.action, contactMode, ...(address ? { address } : {}), ...common }, metadata };
}

/**
 * The v2 message of one recorded event (`kind` `action` or `no-action`), or undefined when it is no
 * decision. The address is the one recorded with the decision, opened: an erased customer's reads
 * as the erased marker and is left out, as it is for a tenant that publishes none.
 */
export const decisionMessageV2 = (recorded: RecordedEvent, options: DecisionMessageOptions = {}): NbaDecisionMessageV2 | undefined =>
  relayed(recorded, options)?.value;

/** The v1 message of one recorded event: a decision that contacts the customer; undefined for any other. */
export function decisionMessage(recorded: RecordedEvent, options: DecisionMessageOptions = {}): NbaDecisionMessage | undefined {
  const value = decisionMessageV2(recorded, options);
  return value?.kind === 'action' ? value : undefined;
}

const outgoing = ({ value, metadata }: Relayed): OutgoingMessage => ({
  key: value.customerId,
  value,
  headers: headersFor('NextBestActionDecided', metadata),
});

/**
 * The outbox of decisions: a checkpointed subscription to the store publishes every
 * `NextBestActionDecided` that contacts the customer to the v1 topic, and every decision (those that
 * contact nobody too) to the v2 topic, keyed by customer. A decision is stored once (its event id is
 * its decision id, however often its job ran), so it is published once — except that a crash
 * between Kafka's acknowledgement and the checkpoint republishes the batch (at-least-once): senders
 * dedupe by decision id. The checkpoint is the v1 topic's (`decisionRelayId(topic)`), so adding v2
 * republishes nothing on v1; v2 starts where v1 stood.
 */
export function startNbaDecisionRelay(deps: {
  store: EventStore;
  checkpoints: CheckpointStore<unknown>;
  publisher: EventPublisher;
  topic: string;
  /** The v2 topic (every decision); none: v1 only. */
  topicV2?: string;
  omitAddressTenants?: ReadonlySet<string>;
  logger: { warn(obj: object, msg: string): void };
  fromWhenNoCheckpoint?: bigint;
}): Promise<Subscription> {
  const options: DecisionMessageOptions = deps.omitAddressTenants ? { omitAddressTenants: deps.omitAddressTenants } : {};
  return runCheckpointedSubscription(deps.store, deps.checkpoints, decisionRelayId(deps.topic), {
    filter: { streamPrefixes: ['customer-'], eventTypes: ['NextBestActionDecided'] },
    batchSize: 500,
    // At-least-once either way: a crash republishes up to 200 ms more, which consumers take by event id.
    saveEveryMs: RELAY_SAVE_EVERY_MS,
    ...(deps.fromWhenNoCheckpoint !== undefined ? { fromWhenNoCheckpoint: deps.fromWhenNoCheckpoint } : {}),
    onEvents: async (events) => {
      const all = events.map((recorded) => relayed(recorded, options)).filter((m): m is Relayed => m !== undefined);
      const actions = all.filter((m) => m.value.kind === 'action');
      if (actions.length) await deps.publisher.publish(deps.topic, actions.map(outgoing));
      if (deps.topicV2 && all.length) await deps.publisher.publish(deps.topicV2, all.map(outgoing));
    },
    onError: (err) => deps.logger.warn({ err: String(err), topic: deps.topic }, 'nba.relay.retrying'),
  });
}
