import {
  headersFor,
  InteractionReceivedDto,
  Topics,
  validateAs,
  type CustomerEventMessage,
  type InteractionReceived,
} from '@hub/contracts';
import { recordInteraction, type CustomerRepository, type IdentityResolver } from '@hub/customer-records';
import { InvalidEventError } from '@hub/event-store';
import { parseJsonValue, PermanentMessageError, type ConsumedMessage, type EventPublisher } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';
import { timelineChangeFor, type PostgresTimelineStore, type TimelineChange } from '@hub/timeline';

export interface InteractionHandlerDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  timeline: PostgresTimelineStore;
  publisher: EventPublisher;
  logger: HubLogger;
  clock: () => Date;
}

/**
 * One canonical interaction from Kafka: record it in the customer's stream, project it into the
 * timeline, republish what was recorded. Every step is idempotent, so a redelivery after a crash
 * between steps completes the missing ones and duplicates nothing.
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
  if (recorded.alreadyRecordedElsewhere) {
    deps.logger.info({ eventId: interaction.metadata.eventId, correlationId: interaction.metadata.correlationId }, 'projector.event.recorded_elsewhere_skipped');
    return;
  }
  const { tenantId, customerId, events } = recorded;
  const first = recorded.revision - BigInt(events.length - 1);
  const changes = events
    .map((e, i) => timelineChangeFor(tenantId, customerId, first + BigInt(i), e))
    .filter((c): c is TimelineChange => c !== undefined);
  await deps.timeline.apply(changes);

  const firstPosition = recorded.position - BigInt(events.length - 1);
  await deps.publisher.publish(
    Topics.customerEvents,
    events.map((e, i) => {
      const value: CustomerEventMessage = {
        type: e.type,
        tenantId,
        customerId,
        streamRevision: (first + BigInt(i)).toString(),
        globalPosition: (firstPosition + BigInt(i)).toString(),
        data: e.data,
        metadata: e.metadata,
      };
      return { key: customerId, value, headers: headersFor(e.type, e.metadata) };
    }),
  );
  deps.logger.info(
    { eventId: interaction.metadata.eventId, correlationId: interaction.metadata.correlationId, customerId, duplicate: recorded.duplicate },
    recorded.duplicate ? 'projector.event.duplicate_skipped' : 'projector.event.recorded',
  );
}
