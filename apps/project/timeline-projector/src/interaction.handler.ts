import {
  ConsentReceivedDto,
  ConversationStatusReceivedDto,
  InteractionReceivedDto,
  TraitsReceivedDto,
  isPermanentError,
  validateAs,
  type HubError,
  type InteractionReceived,
  type InteractionsTopicMessage,
} from '@hub/contracts';
import {
  recordCustomerFact,
  recordInteraction,
  type CustomerFactMessage,
  recordInteractions,
  type CustomerRepository,
  type IdentityResolver,
  type RecordedInteraction,
} from '@hub/customer-records';
import { parseJsonValue, PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';
import { hubMetrics } from '@hub/metrics';

export interface InteractionHandlerDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  logger: HubLogger;
  clock: () => Date;
}

/** How each message type of the topic is validated; anything else is read as an interaction (and refused by its `type`). */
const TOPIC_MESSAGE_DTOS = {
  ConversationStatusReceived: ConversationStatusReceivedDto,
  ConsentReceived: ConsentReceivedDto,
  TraitsReceived: TraitsReceivedDto,
  InteractionReceived: InteractionReceivedDto,
} as const satisfies Record<InteractionsTopicMessage['type'], unknown>;

/** The canonical message (an interaction, or a platform's fact) a Kafka message carries, or why it can never be recorded. */
function topicMessageOf(message: ConsumedMessage): InteractionsTopicMessage {
  const plain = parseJsonValue(message);
  const type = typeof plain === 'object' && plain !== null ? (plain as { type?: unknown }).type : undefined;
  const dto =
    typeof type === 'string' && Object.hasOwn(TOPIC_MESSAGE_DTOS, type)
      ? TOPIC_MESSAGE_DTOS[type as keyof typeof TOPIC_MESSAGE_DTOS]
      : InteractionReceivedDto;
  const validated = validateAs<object>(dto, plain);
  if (!validated.ok) {
    throw new PermanentMessageError('INVALID_EVENT', validated.errors.map((e) => `${e.field}: ${e.messages.join('; ')}`).join(' | '));
  }
  // The plain JSON, not the DTO instance: validation rejected unknown fields, so they are the same data.
  return plain as InteractionsTopicMessage;
}

/**
 * One canonical message from Kafka: resolve the customer and record it in their stream. That is
 * all: the timeline and the customer-events topic follow the store (TimelineProjector,
 * CustomerEventRelay), so what they show is exactly what the store holds. Idempotent: a redelivery
 * appends nothing.
 */
export async function handleInteractionMessage(deps: InteractionHandlerDeps, message: ConsumedMessage): Promise<void> {
  const read = topicMessageOf(message);
  if (read.type !== 'InteractionReceived') return handleCustomerFact(deps, read);
  // A refusal that retrying cannot fix (the store's `InvalidEventError`, say) is dead-lettered by the consumer.
  const recorded = await recordInteraction(deps, read, deps.clock().toISOString());
  logRecorded(deps.logger, read, recorded);
}

/**
 * A run of one partition's messages, recorded together (`recordInteractions`: a few round trips for
 * the whole run instead of a dozen per interaction), with the same outcome as one message after
 * another: a message that can never be recorded is dead-lettered with the reason, the rest recorded
 * in order. A platform's fact (a conversation status, a consent change, profile attributes) is recorded on its own,
 * after the interactions before it and before those after it (the order its customer's messages came in). Idempotent, so a retried run
 * appends nothing twice.
 */
export async function handleInteractionBatch(
  deps: InteractionHandlerDeps,
  messages: readonly ConsumedMessage[],
): Promise<(HubError | undefined)[]> {
  const outcomes: (HubError | undefined)[] = messages.map(() => undefined);
  let run: { index: number; interaction: InteractionReceived }[] = [];
  for (const [index, message] of messages.entries()) {
    let read: InteractionsTopicMessage;
    try {
      read = topicMessageOf(message);
    } catch (err) {
      if (!isPermanentError(err)) throw err;
      outcomes[index] = err;
      continue;
    }
    if (read.type === 'InteractionReceived') {
      run.push({ index, interaction: read });
      continue;
    }
    await recordRun(deps, messages, run, outcomes);
    run = [];
    try {
      await handleCustomerFact(deps, read);
    } catch (err) {
      if (!isPermanentError(err)) throw err;
      outcomes[index] = err;
    }
  }
  await recordRun(deps, messages, run, outcomes);
  return outcomes;
}

/** Consecutive interactions of a batch, recorded together (or each on its own when the store refused one). */
async function recordRun(
  deps: InteractionHandlerDeps,
  messages: readonly ConsumedMessage[],
  valid: readonly { index: number; interaction: InteractionReceived }[],
  outcomes: (HubError | undefined)[],
): Promise<void> {
  if (valid.length === 0) return;
  let recorded: RecordedInteraction[];
  try {
    recorded = await recordInteractions(
      deps,
      valid.map((v) => v.interaction),
      deps.clock().toISOString(),
    );
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
    return;
  }
  valid.forEach((v, i) => logRecorded(deps.logger, v.interaction, recorded[i]!));
}

async function handleCustomerFact(deps: InteractionHandlerDeps, fact: CustomerFactMessage): Promise<void> {
  const recorded = await recordCustomerFact(deps, fact, deps.clock().toISOString());
  const m = fact.metadata;
  const customer = 'customerId' in recorded ? { customerId: recorded.customerId } : {};
  const outcome =
    recorded.outcome === 'duplicate'
      ? 'duplicate_skipped'
      : recorded.outcome === 'recorded_elsewhere'
        ? 'recorded_elsewhere_skipped'
        : recorded.outcome;
  hubMetrics.eventsRecorded().inc({ kind: 'fact', outcome });
  deps.logger.info(
    { eventId: m.eventId, correlationId: m.correlationId, tenantId: m.tenantId, type: fact.type, ...customer },
    `projector.fact.${outcome}`,
  );
}

function logRecorded(logger: HubLogger, interaction: InteractionReceived, recorded: RecordedInteraction): void {
  const m = interaction.metadata;
  const outcome = recorded.alreadyRecordedElsewhere ? 'recorded_elsewhere_skipped' : recorded.duplicate ? 'duplicate_skipped' : 'recorded';
  hubMetrics.eventsRecorded().inc({ kind: 'interaction', outcome });
  logger.info({ eventId: m.eventId, correlationId: m.correlationId, customerId: recorded.customerId }, `projector.event.${outcome}`);
  for (const merge of recorded.merges) {
    logger.info(
      { eventId: m.eventId, customerId: recorded.customerId, mergeId: merge.mergeId, outcome: merge.outcome, reasonCode: merge.reasonCode },
      'projector.identity.evidence',
    );
  }
}
