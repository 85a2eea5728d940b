import { customerEventMessage } from '@hub/customer';
import {
  RELAY_SAVE_EVERY_MS,
  runCheckpointedSubscription,
  type CheckpointedConsumer,
  type CheckpointStore,
  type EventStore,
  type Leadership,
  type RecordedEvent,
  type Subscription,
} from '@hub/event-store';
import { childSpan, linksOf, type EventPublisher } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';

export const RELAY_SUBSCRIPTION_ID = 'relay.customer-events.v1';

/**
 * Publishes every event recorded in a customer stream to `hub.customer-events.v1`, keyed by customer,
 * from a checkpointed subscription: what Kafka carries is exactly what the store holds, in order. The
 * checkpoint is saved after Kafka acknowledged the batch, so a crash in between republishes it
 * (at-least-once; consumers are idempotent by event id). On a subscription of its own; the
 * projector's process runs it as a consumer of its one shared subscription (`customerEventRelay`).
 */
export async function startCustomerEventRelay(deps: CustomerEventRelayDeps & { store: EventStore }): Promise<Subscription> {
  const { subscriptionId, ...options } = customerEventRelay(deps);
  return runCheckpointedSubscription(deps.store, deps.checkpoints, subscriptionId, options);
}

export interface CustomerEventRelayDeps {
  checkpoints: CheckpointStore<unknown>;
  publisher: EventPublisher;
  topic: string;
  logger: HubLogger;
  fromWhenNoCheckpoint?: bigint;
  /** The projector's leadership: checkpoints are fenced with it (a stale leader's are refused). */
  leadership?: Leadership;
}

/** The relay as a consumer of a fan-out (`runCheckpointedSubscriptions`), under `RELAY_SUBSCRIPTION_ID`. */
export function customerEventRelay(deps: CustomerEventRelayDeps): CheckpointedConsumer {
  return {
    subscriptionId: RELAY_SUBSCRIPTION_ID,
    filter: { streamPrefixes: ['customer-'] },
    batchSize: 500,
    // At-least-once either way: a crash republishes up to 200 ms more, which consumers take by event id.
    saveEveryMs: RELAY_SAVE_EVERY_MS,
    ...(deps.fromWhenNoCheckpoint !== undefined ? { fromWhenNoCheckpoint: deps.fromWhenNoCheckpoint } : {}),
    ...(deps.leadership ? { leadership: deps.leadership } : {}),
    onEvents: async (events: RecordedEvent[]) => {
      const messages = events.flatMap((e) => customerEventMessage(e) ?? []);
      if (messages.length === 0) return;
      // One span per page relayed, linked to the append that recorded each event (its metadata's
      // `traceparent`); the publish is its child, and each message carries the publish's context.
      const links = linksOf(messages.map((m) => m.value.metadata.traceparent));
      await childSpan(
        'relay customer-events',
        { 'messaging.batch.message_count': messages.length },
        () => deps.publisher.publish(deps.topic, messages),
        links,
      );
    },
    onError: (err) => deps.logger.warn({ err: String(err) }, 'relay.subscription.retrying'),
  };
}
