import type { InteractionReceived, InteractionsTopicMessage } from './events';
import { headersFor } from './headers';
import type { IdentityHasher } from './identity-hasher';
import { identityKey } from './names';

/** An `InteractionReceived` as a Kafka message on `Topics.interactions`. */
export interface InteractionMessage<E extends InteractionsTopicMessage = InteractionReceived> {
  key: string;
  value: E;
  headers: Record<string, string>;
}

/**
 * How every producer puts an interaction (or a conversation status) on `Topics.interactions`: keyed by the tenant and its
 * primary (first) identity, so one identity's events stay in order on one partition, with headers
 * mirroring the metadata. An event without an identity (never valid, but never lost) is keyed by its id.
 * The identity in the key is hashed under the deployment's identity key (`identityKey`): every
 * producer of one deployment must use the same key, or one identity's events could split over two
 * partitions.
 */
export function interactionMessage<E extends InteractionsTopicMessage>(event: E, hasher: IdentityHasher): InteractionMessage<E> {
  const [primary] = event.data.identities;
  return {
    key: primary ? identityKey(hasher, event.metadata.tenantId, primary.kind, primary.value) : event.metadata.eventId,
    value: event,
    headers: headersFor(event.type, event.metadata),
  };
}
