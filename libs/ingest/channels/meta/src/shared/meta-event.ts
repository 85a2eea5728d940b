import { deterministicId, INTERACTION_RECEIVED_SCHEMA_VERSION, type InteractionData, type InteractionReceived } from '@hub/contracts';
import type { MapContext } from '@hub/channels-core';

/** The three channels Meta's webhooks feed. */
export type MetaChannelId = 'whatsapp' | 'messenger' | 'instagram';

/** Every channel here is served by the one provider, Meta. */
export const META_PROVIDER = 'meta';

/**
 * One canonical event. The id is derived from the channel, the provider and the provider's own
 * stable ids (`idParts`), so a redelivery maps to the same id and two updates of one request never
 * share one. Meta offers no conversation id on these webhooks: correlation and causation are the
 * event itself.
 */
export function metaEvent(
  channel: MetaChannelId,
  idParts: readonly string[],
  occurredAt: string,
  data: InteractionData,
  { tenantId, receivedAt }: MapContext,
): InteractionReceived {
  const eventId = deterministicId(channel, META_PROVIDER, ...idParts);
  return {
    type: 'InteractionReceived',
    data,
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt,
      // Every Meta update carries its time (a message's timestamp, a delivery's watermark).
      occurredAtSource: 'provider',
      recordedAt: receivedAt,
      schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
      tenantId,
      channel,
    },
  };
}

/** The canonical limits an adapter must respect to emit valid events (see InteractionDataDto). */
export const CANONICAL_LIMITS = { interactiveId: 256, interactiveTitle: 256, errorCode: 64, errorMessage: 1024 } as const;

export const truncate = (value: string, max: number): string => (value.length <= max ? value : value.slice(0, max));
