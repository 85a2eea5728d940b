import { createHash } from 'node:crypto';
import { HeaderNames, type FieldError } from '@hub/contracts';
import type { ConsumedMessage, OutgoingMessage } from '@hub/messaging';
import { apiError, problemsOf, REJECTION_MESSAGES, type ApiErrorBody } from './api-error';
import type { IntakeRejectionCode } from './interaction-intake';

/**
 * What a tenant reads on its feedback topic (`rawRejectionsTopic`) when one of its messages on the
 * raw topic is refused: the generic API's one error shape (`error`, `message`, `problems`: what an
 * HTTP sender of the same event would have been answered), which message it was (its coordinates,
 * the sender's own event id when it gave one) and a digest of it — never the payload itself, which
 * the sender has and the raw topic keeps for its retention.
 */
export interface RawRejectionFeedback extends ApiErrorBody {
  tenantId: string;
  /** The sender's own `metadata.eventId`, when it gave a readable one. */
  clientEventId?: string;
  coordinates: { topic: string; partition: number; offset: string };
  payload: { bytes: number; sha256: string | null };
  /** When the hub refused it (ISO 8601). */
  rejectedAt: string;
}

export interface RawRefusal {
  code: IntakeRejectionCode;
  errors: readonly FieldError[];
  tenantId: string;
  clientEventId?: string;
}

export function rawRejectionFeedback(message: ConsumedMessage, refusal: RawRefusal, rejectedAt: string): RawRejectionFeedback {
  return {
    ...apiError(refusal.code, REJECTION_MESSAGES[refusal.code] ?? refusal.code, problemsOf(refusal.errors, refusal.code)),
    tenantId: refusal.tenantId,
    ...(refusal.clientEventId !== undefined ? { clientEventId: refusal.clientEventId } : {}),
    coordinates: { topic: message.topic, partition: message.partition, offset: message.offset },
    payload: {
      bytes: message.value?.length ?? 0,
      sha256: message.value ? createHash('sha256').update(message.value).digest('hex') : null,
    },
    rejectedAt,
  };
}

/** The feedback as a Kafka message: keyed by the sender's event id (else the coordinates), the tenant in its header. */
export function rawRejectionMessage(feedback: RawRejectionFeedback): OutgoingMessage {
  const { topic, partition, offset } = feedback.coordinates;
  return {
    key: feedback.clientEventId ?? `${topic}:${partition}:${offset}`,
    value: feedback,
    headers: { [HeaderNames.tenantId]: feedback.tenantId },
  };
}

/**
 * The dead letter's reason for a refused raw message: every problem by path and code, without the
 * words, which may quote the payload (`not a valid phone number: "…"`): the dead-letter topic is
 * shared by every tenant's operators; the tenant reads the words on its feedback topic.
 */
export function rawDeadLetterReason(errors: readonly FieldError[], code: IntakeRejectionCode): string {
  return problemsOf(errors, code)
    .map((p) => `${p.path}: ${p.code}`)
    .join('; ');
}
