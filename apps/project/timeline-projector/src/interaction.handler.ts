import { InteractionReceivedDto, isPermanentError, validateAs, type HubError, type InteractionReceived } from '@hub/contracts';
import { recordInteraction, recordInteractions, type CustomerRepository, type IdentityResolver, type RecordedInteraction } from '@hub/customer-records';
import { parseJsonValue, PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';

export interface InteractionHandlerDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  logger: HubLogger;
  clock: () => Date;
}

/** The canonical interaction a message carries, or why it can never be recorded. */
function interactionOf(message: ConsumedMessage): InteractionReceived {
  const plain = parseJsonValue(message);
  const validated = validateAs(InteractionReceivedDto, plain);
  if (!validated.ok) {
    throw new PermanentMessageError('INVALID_EVENT', validated.errors.map((e) => `${e.field}: ${e.messages.join('; ')}`).join(' | '));
  }
  // The plain JSON, not the DTO instance: validation rejected unknown fields, so they are the same data.
  return plain as InteractionReceived;
}

/**
 * One canonical interaction from Kafka: resolve the customer and record it in their stream. That is
 * all: the timeline and the customer-events topic follow the store (TimelineProjector,
 * CustomerEventRelay), so what they show is exactly what the store holds. Idempotent: a redelivery
 * appends nothing.
 */
export async function handleInteractionMessage(deps: InteractionHandlerDeps, message: ConsumedMessage): Promise<void> {
  const interaction = interactionOf(message);
  // A refusal that retrying cannot fix (the store's `InvalidEventError`, say) is dead-lettered by the consumer.
  const recorded = await recordInteraction(deps, interaction, deps.clock().toISOString());
  logRecorded(deps.logger, interaction, recorded);
}

/**
 * A run of one partition's messages, recorded together (`recordInteractions`: a few round trips for
 * the whole run instead of a dozen per interaction), with the same outcome as one message after
 * another: a message that can never be recorded is dead-lettered with the reason, the rest recorded
 * in order. Idempotent, so a retried run appends nothing twice.
 */
export async function handleInteractionBatch(deps: InteractionHandlerDeps, messages: readonly ConsumedMessage[]): Promise<(HubError | undefined)[]> {
  const outcomes: (HubError | undefined)[] = messages.map(() => undefined);
  const valid: { index: number; interaction: InteractionReceived }[] = [];
  messages.forEach((message, index) => {
    try {
      valid.push({ index, interaction: interactionOf(message) });
    } catch (err) {
      if (!isPermanentError(err)) throw err;
      outcomes[index] = err;
    }
  });
  if (valid.length === 0) return outcomes;
  let recorded: RecordedInteraction[];
  try {
    recorded = await recordInteractions(deps, valid.map((v) => v.interaction), deps.clock().toISOString());
  } catch (err) {
    if (!isPermanentError(err)) throw err;
    // The store refused one of them: each on its own tells which (what was written is not written twice).
    for (const v of valid) {
      try {
        await handleInteractionMessage(deps, messages[v.index]!);
      } catch (one) {
        if (!isPermanentError(one)) throw one;
        outcomes[v.index] = one;
      }
    }
    return outcomes;
  }
  valid.forEach((v, i) => logRecorded(deps.logger, v.interaction, recorded[i]!));
  return outcomes;
}

function logRecorded(logger: HubLogger, interaction: InteractionReceived, recorded: RecordedInteraction): void {
  const m = interaction.metadata;
  const outcome = recorded.alreadyRecordedElsewhere ? 'recorded_elsewhere_skipped' : recorded.duplicate ? 'duplicate_skipped' : 'recorded';
  logger.info({ eventId: m.eventId, correlationId: m.correlationId, customerId: recorded.customerId }, `projector.event.${outcome}`);
  for (const merge of recorded.merges) {
    logger.info({ eventId: m.eventId, customerId: recorded.customerId, mergeId: merge.mergeId, outcome: merge.outcome, reasonCode: merge.reasonCode }, 'projector.identity.evidence');
  }
}
