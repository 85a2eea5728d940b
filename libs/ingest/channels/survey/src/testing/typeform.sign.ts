import { jsonBodyAsIngested } from '@hub/channels-core/testing';
import { createHash } from 'node:crypto';
import type { WebhookRequest } from '@hub/channels-core';
import { TYPEFORM_SIGNATURE_HEADER, typeformSignature } from '../typeform-survey.adapter';

/**
 * Test and demo helpers that build Typeform webhooks the way Typeform sends them
 * (https://www.typeform.com/developers/webhooks/example-payload/), signed as documented at
 * https://www.typeform.com/developers/webhooks/secure-your-webhooks/. Never imported by production code.
 */

const digest = (...parts: readonly string[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/** One question of a form and, unless skipped, its answer as Typeform sends it (without `field`). */
export interface TypeformQuestion {
  id: string;
  ref?: string;
  /** Field type: `nps`, `opinion_scale`, `rating`, `long_text`, `email`, `phone_number`, `multiple_choice`… */
  type: string;
  title: string;
  properties?: Record<string, unknown>;
  /** e.g. `{ type: 'number', number: 9 }`, `{ type: 'text', text: '…' }`; omitted: the question was skipped. */
  answer?: Record<string, unknown>;
}

export interface TypeformResponseInput {
  formId: string;
  formTitle?: string;
  /** Defaults to 32 hex derived from the form, submission time and seed. */
  token?: string;
  eventId?: string;
  eventType?: string;
  submittedAt: string;
  landedAt?: string;
  hidden?: Record<string, string>;
  questions: readonly TypeformQuestion[];
  seed?: string;
}

/** A `form_response` webhook body: the form definition and the answers, in question order. */
export function typeformResponsePayload(input: TypeformResponseInput): Record<string, unknown> {
  const token = input.token ?? digest(input.formId, input.submittedAt, input.seed ?? '').slice(0, 32);
  return {
    event_id: input.eventId ?? digest('event', token).slice(0, 26).toUpperCase(),
    event_type: input.eventType ?? 'form_response',
    form_response: {
      form_id: input.formId,
      token,
      landed_at: input.landedAt ?? input.submittedAt,
      submitted_at: input.submittedAt,
      ...(input.hidden ? { hidden: { ...input.hidden } } : {}),
      definition: {
        id: input.formId,
        title: input.formTitle ?? 'Customer satisfaction',
        fields: input.questions.map((q) => ({
          id: q.id,
          title: q.title,
          type: q.type,
          ref: q.ref ?? digest('ref', q.id).slice(0, 36),
          properties: { ...(q.properties ?? {}) },
        })),
      },
      answers: input.questions.flatMap((q) =>
        q.answer ? [{ ...q.answer, field: { id: q.id, type: q.type, ref: q.ref ?? digest('ref', q.id).slice(0, 36) } }] : [],
      ),
    },
  };
}

/** The webhook as Typeform posts it to `url`: the exact JSON bytes and their `Typeform-Signature`. */
export function typeformWebhookRequest({
  secret,
  url,
  payload,
}: {
  secret: string;
  url: string;
  payload: Record<string, unknown>;
}): WebhookRequest {
  const raw = JSON.stringify(payload);
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Typeform Webhooks',
      [TYPEFORM_SIGNATURE_HEADER]: typeformSignature(secret, raw),
    },
    rawBody: Buffer.from(raw, 'utf8'),
    body: jsonBodyAsIngested(raw),
  };
}
