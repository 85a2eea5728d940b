import { InteractionReceivedDto, validateAs, type InteractionReceived } from '@hub/contracts';
import { recordInteraction, type CustomerRepository, type IdentityResolver } from '@hub/customer-records';
import { InvalidEventError } from '@hub/event-store';
import { parseJsonValue, PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';

export interface InteractionHandlerDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  logger: HubLogger;
  clock: () => Date;
}

/**
 * One canonical interaction from Kafka: resolve the customer and record it in their stream. That is
 * all: the timeline and the customer-events topic follow the store (TimelineProjector,
 * CustomerEventRelay), so what they show is exactly what the store holds. Idempotent: a redelivery
 * appends nothing.
 */
export async function handleInteractionMessage(deps: InteractionHandlerDeps, message: ConsumedMessage): Promise<void> {
  const plain = parseJsonValue(message);
  const validated = validateAs(InteractionReceivedDto, plain);
  if (!validated.ok) {
    throw new PermanentMessageError('INVALID_EVENT', validated.errors.map((e) => `${e.field}: ${e.messages.join('; ')}`).join(' | '));
  }
  // The plain JSON, not the DTO instance: validation rejected unknown fields, so they are the same data.
  const interaction = plain as InteractionReceived;
  let recorded;
  try {
    recorded = await recordInteraction(deps, interaction, deps.clock().toISOString());
  } catch (err) {
    if (err instanceof InvalidEventError) throw new PermanentMessageError(err.code, err.message);
    throw err;
  }
  const m = interaction.metadata;
  const outcome = recorded.alreadyRecordedElsewhere ? 'recorded_elsewhere_skipped' : recorded.duplicate ? 'duplicate_skipped' : 'recorded';
  deps.logger.info({ eventId: m.eventId, correlationId: m.correlationId, customerId: recorded.customerId }, `projector.event.${outcome}`);
  for (const merge of recorded.merges) {
    deps.logger.info({ eventId: m.eventId, customerId: recorded.customerId, mergeId: merge.mergeId, outcome: merge.outcome, reasonCode: merge.reasonCode }, 'projector.identity.evidence');
  }
}
