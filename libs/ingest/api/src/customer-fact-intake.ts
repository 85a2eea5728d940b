import { IsIn, IsISO8601, IsString, Length, Matches, Validate } from 'class-validator';
import {
  ALL_CHANNEL_IDS,
  CONSENT_CHOICES,
  CONSENT_RECEIVED_SCHEMA_VERSION,
  CONSENT_SOURCE_PATTERN,
  CONVERSATION_STATUS_RECEIVED_SCHEMA_VERSION,
  CONVERSATION_STATUSES,
  CustomerIdentitiesDto,
  deterministicId,
  IdentityRefDto,
  IsOptionalNonNull,
  ProfileTraits,
  TRAITS_RECEIVED_SCHEMA_VERSION,
  validateAs,
  type ChannelId,
  type ConsentChoice,
  type ConsentReceived,
  type ConsentRequest,
  type ConversationStatusRequest,
  type TraitsRequest,
  type ConversationStatus,
  type ConversationStatusReceived,
  type FieldError,
  type IdentityRef,
  type ProfileTraitValue,
  type TraitsReceived,
} from '@hub/contracts';
import { isIdentityShaped, normaliseIdentity, parseJson, type IntakeContext, type IntakeRejectionCode } from './interaction-intake';

/** The id parts of a conversation status's and a consent change's event ids. Never change: they change every such id. */
const CONVERSATION_STATUS_ID_PART = 'conversation-status';
const CONSENT_ID_PART = 'consent';
const TRAITS_ID_PART = 'traits';

// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]+$/u;

/**
 * `POST /v1/conversations/status`: a platform says one of its conversations with a customer changed
 * status. The customer is named by identities, as on an interaction; the conversation by the
 * channel and thread its messages were sent with (`metadata.channel`, `data.threadId`), and by the
 * platform's own id of it.
 */
export class ConversationStatusBody extends CustomerIdentitiesDto implements ConversationStatusRequest {
  @IsIn(ALL_CHANNEL_IDS, { message: `channel must be one of: ${ALL_CHANNEL_IDS.join(', ')}` })
  channel!: ChannelId;

  @IsOptionalNonNull()
  @IsString()
  @Length(1, 200)
  threadId?: string;

  @IsIn(CONVERSATION_STATUSES, {
    message: `status must be one of: ${CONVERSATION_STATUSES.join(', ')} (the hub records no other status yet)`,
  })
  status!: ConversationStatus;

  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'conversationId must have no control characters' })
  conversationId!: string;

  /** When the status changed, at the platform. */
  @IsISO8601({ strict: true })
  occurredAt!: string;
}

export type ConversationStatusIntakeResult =
  | { ok: true; event: ConversationStatusReceived }
  | { ok: false; code: IntakeRejectionCode; errors: FieldError[] };

/**
 * The event id of a status: UUID v5 of (tenant, source, the platform's conversation id, the status,
 * when it changed as sent), so a retry is the same event and a conversation resolved again later (after
 * the customer wrote again) is another.
 */
export function conversationStatusEventId(
  tenantId: string,
  source: string,
  conversationId: string,
  status: ConversationStatus,
  occurredAt: string,
): string {
  return deterministicId(CONVERSATION_STATUS_ID_PART, tenantId, source, conversationId, status, occurredAt);
}

/** One request body → the canonical `ConversationStatusReceived` of the API key's tenant and source, or why not. */
export function readConversationStatus(
  bytes: Buffer,
  { origin, recordedAt, maxEventBytes }: IntakeContext,
): ConversationStatusIntakeResult {
  if (origin.kind !== 'api') throw new Error('a conversation status is taken over HTTP only');
  if (bytes.length > maxEventBytes)
    return reject('event_too_large', '(event)', `is ${bytes.length} bytes; at most ${maxEventBytes} are accepted (INGEST_MAX_EVENT_BYTES)`);
  const parsed = parseJson(bytes.toString('utf8'));
  if (!parsed.ok) return reject('invalid_json', '(event)', parsed.message);
  const checked = validatedFact(ConversationStatusBody, parsed.value);
  if (!checked.ok) return checked;
  const { body, identities } = checked;
  const eventId = conversationStatusEventId(origin.tenantId, origin.source, body.conversationId, body.status, body.occurredAt);
  return {
    ok: true,
    event: {
      type: 'ConversationStatusReceived',
      data: {
        identities,
        status: body.status,
        ...(body.threadId !== undefined ? { threadId: body.threadId } : {}),
        provider: { name: origin.source, conversationId: body.conversationId },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: body.occurredAt,
        occurredAtSource: 'provider',
        recordedAt,
        schemaVersion: CONVERSATION_STATUS_RECEIVED_SCHEMA_VERSION,
        tenantId: origin.tenantId,
        channel: body.channel,
      },
    },
  };
}

/**
 * `POST /v1/customers/consent`: a platform's preference centre (a form, an agent) changed a
 * customer's consent to be contacted on one channel.
 */
export class ConsentBody extends CustomerIdentitiesDto implements ConsentRequest {
  @IsIn(ALL_CHANNEL_IDS, { message: `channel must be one of: ${ALL_CHANNEL_IDS.join(', ')}` })
  channel!: ChannelId;

  @IsIn(CONSENT_CHOICES, { message: `consent must be one of: ${CONSENT_CHOICES.join(', ')}` })
  consent!: ConsentChoice;

  /** Where it was changed; `preference_centre` when absent. */
  @IsOptionalNonNull()
  @Matches(CONSENT_SOURCE_PATTERN, {
    message: 'source must be 1 to 64 lower-case letters, digits and _, and not keyword (the hub’s own, for STOP/START texts)',
  })
  source?: string;

  /** The platform's own id of the change, when it has one: a retry with it is the same event whatever else it says. */
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'changeId must have no control characters' })
  changeId?: string;

  /** When the customer changed it, at the platform: the later change wins, whatever order they arrive in. */
  @IsISO8601({ strict: true })
  occurredAt!: string;
}

export const DEFAULT_CONSENT_SOURCE = 'preference_centre';

export type ConsentIntakeResult = { ok: true; event: ConsentReceived } | { ok: false; code: IntakeRejectionCode; errors: FieldError[] };

/**
 * The event id of a consent change: UUID v5 of (tenant, source, the platform's change id) when it
 * gave one, else of (tenant, source, channel, choice, when as sent, the identities), so a retry is
 * the same event.
 */
export function consentEventId(
  tenantId: string,
  source: string,
  change: { changeId?: string; channel: ChannelId; consent: ConsentChoice; occurredAt: string; identities: readonly IdentityRef[] },
): string {
  if (change.changeId !== undefined) return deterministicId(CONSENT_ID_PART, tenantId, source, 'change', change.changeId);
  const identities = change.identities.map((i) => `${i.kind}:${i.namespace ?? ''}:${i.value}`);
  return deterministicId(CONSENT_ID_PART, tenantId, source, change.channel, change.consent, change.occurredAt, ...identities);
}

/** One request body → the canonical `ConsentReceived` of the API key's tenant and source, or why not. */
export function readConsent(bytes: Buffer, { origin, recordedAt, maxEventBytes }: IntakeContext): ConsentIntakeResult {
  if (origin.kind !== 'api') throw new Error('a consent change is taken over HTTP only');
  if (bytes.length > maxEventBytes)
    return reject('event_too_large', '(event)', `is ${bytes.length} bytes; at most ${maxEventBytes} are accepted (INGEST_MAX_EVENT_BYTES)`);
  const parsed = parseJson(bytes.toString('utf8'));
  if (!parsed.ok) return reject('invalid_json', '(event)', parsed.message);
  const checked = validatedFact(ConsentBody, parsed.value);
  if (!checked.ok) return checked;
  const { body, identities } = checked;
  const eventId = consentEventId(origin.tenantId, origin.source, { ...body, identities });
  return {
    ok: true,
    event: {
      type: 'ConsentReceived',
      data: {
        identities,
        consent: body.consent,
        source: body.source ?? DEFAULT_CONSENT_SOURCE,
        provider: { name: origin.source, ...(body.changeId !== undefined ? { changeId: body.changeId } : {}) },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: body.occurredAt,
        occurredAtSource: 'provider',
        recordedAt,
        schemaVersion: CONSENT_RECEIVED_SCHEMA_VERSION,
        tenantId: origin.tenantId,
        channel: body.channel,
      },
    },
  };
}

/** `POST /v1/customers/traits`: a platform's profile attributes for a customer (`null` clears one). */
export class TraitsBody extends CustomerIdentitiesDto implements TraitsRequest {
  @Validate(ProfileTraits)
  traits!: Record<string, ProfileTraitValue>;

  /** The platform's own id of the update, when it has one: a retry with it is the same event whatever else it says. */
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'updateId must have no control characters' })
  updateId?: string;

  /** When they were set, at the platform: per trait, the later write wins, whatever order they arrive in. */
  @IsISO8601({ strict: true })
  occurredAt!: string;
}

export type TraitsIntakeResult = { ok: true; event: TraitsReceived } | { ok: false; code: IntakeRejectionCode; errors: FieldError[] };

/**
 * The event id of a traits update: UUID v5 of (tenant, source, the platform's update id) when it gave
 * one, else of (tenant, source, when as sent, the identities, the traits by name), so a retry is the
 * same event.
 */
export function traitsEventId(
  tenantId: string,
  source: string,
  update: {
    updateId?: string;
    occurredAt: string;
    identities: readonly IdentityRef[];
    traits: Readonly<Record<string, ProfileTraitValue>>;
  },
): string {
  if (update.updateId !== undefined) return deterministicId(TRAITS_ID_PART, tenantId, source, 'update', update.updateId);
  const identities = update.identities.map((i) => `${i.kind}:${i.namespace ?? ''}:${i.value}`);
  const traits = JSON.stringify(
    Object.keys(update.traits)
      .sort()
      .map((k) => [k, update.traits[k]]),
  );
  return deterministicId(TRAITS_ID_PART, tenantId, source, update.occurredAt, traits, ...identities);
}

/** One request body → the canonical `TraitsReceived` of the API key's tenant and source, or why not. */
export function readTraits(bytes: Buffer, { origin, recordedAt, maxEventBytes }: IntakeContext): TraitsIntakeResult {
  if (origin.kind !== 'api') throw new Error('profile attributes are taken over HTTP only');
  if (bytes.length > maxEventBytes)
    return reject('event_too_large', '(event)', `is ${bytes.length} bytes; at most ${maxEventBytes} are accepted (INGEST_MAX_EVENT_BYTES)`);
  const parsed = parseJson(bytes.toString('utf8'));
  if (!parsed.ok) return reject('invalid_json', '(event)', parsed.message);
  const checked = validatedFact(TraitsBody, parsed.value);
  if (!checked.ok) return checked;
  const { body, identities } = checked;
  const traits = { ...body.traits };
  const eventId = traitsEventId(origin.tenantId, origin.source, { ...body, traits, identities });
  return {
    ok: true,
    event: {
      type: 'TraitsReceived',
      data: {
        identities,
        traits,
        provider: { name: origin.source, ...(body.updateId !== undefined ? { updateId: body.updateId } : {}) },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: body.occurredAt,
        occurredAtSource: 'provider',
        recordedAt,
        schemaVersion: TRAITS_RECEIVED_SCHEMA_VERSION,
        tenantId: origin.tenantId,
        // Attributes belong to no channel.
        channel: 'system',
      },
    },
  };
}

/**
 * The body by its DTO and its identities by the hub's rules (what resolution downstream expects),
 * every problem at once: an identity the DTO found well-formed is checked even while other fields
 * are wrong.
 */
function validatedFact<T extends { identities: IdentityRefDto[] }>(
  cls: new () => T,
  plain: unknown,
): { ok: true; body: T; identities: IdentityRef[] } | { ok: false; code: 'invalid_event'; errors: FieldError[] } {
  const validated = validateAs(cls, plain, { codes: true });
  const errors: FieldError[] = validated.ok ? [] : [...validated.errors];
  const sent: unknown[] = validated.ok
    ? validated.value.identities
    : typeof plain === 'object' && plain !== null && Array.isArray((plain as Record<string, unknown>)['identities'])
      ? ((plain as Record<string, unknown>)['identities'] as unknown[])
      : [];
  const identities: IdentityRef[] = [];
  sent.forEach((identity, i) => {
    const at = `identities.${i}`;
    if (errors.some((e) => e.field === at || e.field.startsWith(`${at}.`)) || !isIdentityShaped(identity)) return;
    const normalised = normaliseIdentity({
      kind: identity.kind,
      value: identity.value,
      ...(identity.namespace !== undefined ? { namespace: identity.namespace } : {}),
    });
    if (normalised.ok) identities.push(normalised.identity);
    else errors.push({ field: `${at}.${normalised.field}`, messages: [normalised.reason], codes: ['invalid_identity'] });
  });
  if (!validated.ok || errors.length > 0) return { ok: false, code: 'invalid_event', errors };
  return { ok: true, body: validated.value, identities };
}

function reject(code: IntakeRejectionCode, field: string, message: string): { ok: false; code: IntakeRejectionCode; errors: FieldError[] } {
  return { ok: false, code, errors: [{ field, messages: [message], codes: [code] }] };
}
