import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  isChannelId,
  validateAs,
  type FieldError,
  type IdentityRef,
  type InteractionReceived,
  type MediaRef,
  type SurveyAnswer,
} from '@hub/contracts';
import {
  ChannelMappingError,
  hmacBase64,
  safeEqual,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { identityToString, normalizeEmail, normalizeExternalId, normalizePhone, type NormalizeResult } from '@hub/customer';
import { findSurveyScores, parseScoreFieldRefs, type ScoreFieldRef } from './survey-score';
import type { TypeformSurveyConfig } from './typeform-survey.config';
import { TypeformWebhookPayload, type TypeformAnswer } from './typeform.payload';

export const TYPEFORM_SURVEY_MANIFEST: ChannelManifest = {
  id: 'survey',
  displayName: 'Surveys: CSAT / NPS (Typeform)',
  provider: 'typeform',
  docsUrl: 'https://www.typeform.com/developers/webhooks/example-payload/',
  route: { method: 'POST', path: '/webhooks/typeform' },
  // A response carries the whole form definition; long forms with long answers stay well below this.
  maxBodyBytes: 1024 * 1024,
};

export const TYPEFORM_SIGNATURE_HEADER = 'typeform-signature';
const DEFAULT_CUSTOMER_ID_NAMESPACE = 'crm';
/** SurveyAnswer.question is at most 1,024 characters; Typeform titles can be longer. */
const MAX_QUESTION_LENGTH = 1024;
/** SurveyFacet.conversationId is at most 256 characters; correlation ids 128. */
const MAX_CONVERSATION_ID_LENGTH = 256;
const MAX_CORRELATION_ID_LENGTH = 128;

/** The signature Typeform sends: `sha256=` + base64 HMAC-SHA256 of the exact body with the webhook secret. */
export function typeformSignature(secret: string, rawBody: Buffer | string): string {
  return `sha256=${hmacBase64('sha256', secret, rawBody)}`;
}

export class TypeformSurveyChannelAdapter implements ChannelAdapter<TypeformWebhookPayload> {
  readonly manifest = TYPEFORM_SURVEY_MANIFEST;
  private readonly scoreRefs: readonly ScoreFieldRef[];
  private readonly customerIdNamespace: string;

  constructor(private readonly config: TypeformSurveyConfig) {
    this.scoreRefs = parseScoreFieldRefs(config.SURVEY_SCORE_FIELD_REFS);
    this.customerIdNamespace = config.SURVEY_CUSTOMER_ID_NAMESPACE ?? DEFAULT_CUSTOMER_ID_NAMESPACE;
  }

  /** Typeform signs the body only, with no timestamp: there is no replay window to enforce. */
  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    const signature = request.headers[TYPEFORM_SIGNATURE_HEADER];
    if (!signature) return { ok: false, reason: 'signature_missing' };
    return safeEqual(signature, typeformSignature(this.config.TYPEFORM_SECRET, request.rawBody))
      ? { ok: true }
      : { ok: false, reason: 'signature_invalid' };
  }

  parse(body: unknown): ParseResult<TypeformWebhookPayload> {
    const parsed = validateAs(TypeformWebhookPayload, body, { allowUnknown: true });
    if (!parsed.ok) return parsed;
    const r = parsed.value.form_response;
    const errors: FieldError[] = [];
    if (parsed.value.event_type === 'form_response' && r.submitted_at === undefined) {
      errors.push({ field: 'form_response.submitted_at', messages: ['submitted_at is required on a form_response'] });
    }
    for (const [key, value] of Object.entries(r.hidden ?? {})) {
      if (typeof value !== 'string')
        errors.push({ field: `form_response.hidden.${key}`, messages: [`hidden field ${key} must be a string`] });
    }
    return errors.length > 0 ? { ok: false, errors } : parsed;
  }

  map(p: TypeformWebhookPayload, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
    const r = p.form_response;
    if (p.event_type !== 'form_response') {
      throw new ChannelMappingError(
        `event_type ${JSON.stringify(p.event_type)}: only submitted responses (form_response) are recorded`,
        'event_type',
      );
    }
    const found = findSurveyScores(r.answers, r.definition.fields, this.scoreRefs);
    if (!found.ok) throw new ChannelMappingError(found.reason, found.field);
    const score = found.scores[0]!;
    // A form asking CSAT and NPS gave two scores: both are carried, so neither is lost.
    const scores =
      found.scores.length > 1
        ? found.scores.map((s) => ({ kind: s.kind, score: s.score, questionId: questionIdOf(r.answers[s.answerIndex]!) }))
        : undefined;

    const hidden = hiddenFields(r.hidden);
    const identities = this.identitiesOf(hidden, r.answers);
    if (identities.length === 0) {
      throw new ChannelMappingError(
        'no usable customer identity: no valid email, phone or customer_id hidden field, and no email or phone answer',
        'form_response.hidden',
      );
    }
    const conversationId = hidden['conversation_id'];
    if (conversationId !== undefined && conversationId.length > MAX_CONVERSATION_ID_LENGTH) {
      throw new ChannelMappingError(
        `hidden conversation_id is longer than ${MAX_CONVERSATION_ID_LENGTH} characters`,
        'form_response.hidden.conversation_id',
      );
    }

    // The response token is the response's own id: every redelivery of it carries the same one.
    const eventId = deterministicId('survey', 'typeform', r.form_id, r.token);
    const titles = new Map(r.definition.fields.map((f) => [f.id, f.title]));
    const answers = r.answers.flatMap((a): SurveyAnswer[] => {
      const value = answerValue(a);
      if (value === undefined) return [];
      const title = titles.get(a.field.id);
      return [{ questionId: questionIdOf(a), ...(title ? { question: truncate(title, MAX_QUESTION_LENGTH) } : {}), value }];
    });
    const media: MediaRef[] = r.answers.flatMap((a) =>
      a.type === 'file_url' && typeof a.file_url === 'string' && isHttpUrl(a.file_url) ? [{ url: a.file_url }] : [],
    );

    return [
      {
        type: 'InteractionReceived',
        data: {
          direction: 'inbound',
          kind: 'survey',
          identities,
          content: { media },
          provider: { name: 'typeform', messageId: r.token },
          endpoint: r.form_id,
          ...(conversationId !== undefined ? { threadId: conversationId } : {}),
          survey: {
            surveyId: r.form_id,
            kind: score.kind,
            score: score.score,
            ...(scores ? { scores } : {}),
            answers,
            ...(conversationId !== undefined ? { conversationId } : {}),
          },
        },
        metadata: {
          eventId,
          correlationId: correlationOf(conversationId, hidden['channel']) ?? eventId,
          causationId: eventId,
          occurredAt: new Date(r.submitted_at!).toISOString(),
          occurredAtSource: 'provider',
          recordedAt: receivedAt,
          schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
          tenantId,
          channel: 'survey',
        },
      },
    ];
  }

  /**
   * Who answered, most trusted first: the hidden fields our survey link carried (email, phone,
   * customer_id), then what the respondent typed (the first email and phone answers). Unusable
   * values are skipped; the first usable identity keys the customer.
   */
  private identitiesOf(hidden: Readonly<Record<string, string>>, answers: readonly TypeformAnswer[]): IdentityRef[] {
    const email = answers.find((a) => a.type === 'email' && typeof a.email === 'string')?.email;
    const phone = answers.find((a) => a.type === 'phone_number' && typeof a.phone_number === 'string')?.phone_number;
    const candidates: (NormalizeResult | undefined)[] = [
      hidden['email'] !== undefined ? normalizeEmail(hidden['email']) : undefined,
      hidden['phone'] !== undefined ? normalizePhone(hidden['phone']) : undefined,
      hidden['customer_id'] !== undefined ? normalizeExternalId(this.customerIdNamespace, hidden['customer_id']) : undefined,
      email !== undefined ? normalizeEmail(email) : undefined,
      phone !== undefined ? normalizePhone(phone) : undefined,
    ];
    const seen = new Set<string>();
    return candidates.flatMap((c) => {
      if (!c?.ok || seen.has(identityToString(c.identity))) return [];
      seen.add(identityToString(c.identity));
      return [c.identity];
    });
  }
}

/** The hidden fields that carry a value (a link without `#email=…` leaves that field empty). */
function hiddenFields(hidden: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(hidden ?? {})
      .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '')
      .map(([k, v]) => [k, v.trim()]),
  );
}

/**
 * The conversation the survey continues, as `conversationKey(channel, threadId)` spells it when the
 * link named the channel (`sms:<id>`), else the conversation id alone.
 */
function correlationOf(conversationId: string | undefined, channel: string | undefined): string | undefined {
  if (conversationId === undefined) return undefined;
  const correlation = channel !== undefined && isChannelId(channel) ? `${channel}:${conversationId}` : conversationId;
  return correlation.length <= MAX_CORRELATION_ID_LENGTH ? correlation : undefined;
}

/** An answer's value as the facet holds it; undefined for an answer with nothing to record. */
export function answerValue(a: TypeformAnswer): string | number | boolean | undefined {
  switch (a.type) {
    case 'choice':
      return a.choice?.label ?? a.choice?.other;
    case 'choices': {
      const picked = [...(a.choices?.labels ?? []), ...(a.choices?.other !== undefined ? [a.choices.other] : [])];
      return picked.length > 0 ? picked.join(', ') : undefined;
    }
    case 'payment': {
      const payment = a['payment'];
      const amount = typeof payment === 'object' && payment !== null ? (payment as Record<string, unknown>)['amount'] : undefined;
      return typeof amount === 'string' ? amount : undefined;
    }
    default: {
      // text, number, boolean, email, phone_number, url, file_url, date — and any scalar type Typeform adds.
      const value = a[a.type];
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
    }
  }
}

/** How the facet names a question: its ref (the form author's id), else Typeform's field id. */
function questionIdOf(a: TypeformAnswer): string {
  return a.field.ref ?? a.field.id;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isHttpUrl(value: string): boolean {
  return /^https?:\/\/\S+$/i.test(value);
}
