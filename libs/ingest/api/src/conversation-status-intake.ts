import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsObject, IsString, Length, Matches, ValidateNested } from 'class-validator';
import {
  CHANNEL_IDS,
  CONVERSATION_STATUS_RECEIVED_SCHEMA_VERSION,
  CONVERSATION_STATUSES,
  deterministicId,
  IdentityRefDto,
  IsOptionalNonNull,
  validateAs,
  type ChannelId,
  type ConversationStatus,
  type ConversationStatusReceived,
  type FieldError,
  type IdentityRef,
} from '@hub/contracts';
import { normaliseIdentity, parseJson, type IntakeContext, type IntakeRejectionCode } from './interaction-intake';

/** The id part of a conversation status's event id. Never change: it changes every such id. */
const CONVERSATION_STATUS_ID_PART = 'conversation-status';

// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]+$/u;

/**
 * `POST /v1/conversations/status`: a platform says one of its conversations with a customer changed
 * status. The customer is named by identities, as on an interaction; the conversation by the
 * channel and thread its messages were sent with (`metadata.channel`, `data.threadId`), and by the
 * platform's own id of it.
 */
export class ConversationStatusBody {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => IdentityRefDto)
  identities!: IdentityRefDto[];

  @IsIn(CHANNEL_IDS, { message: `channel must be one of: ${CHANNEL_IDS.join(', ')}` })
  channel!: ChannelId;

  @IsOptionalNonNull() @IsString() @Length(1, 200)
  threadId?: string;

  @IsIn(CONVERSATION_STATUSES, { message: `status must be one of: ${CONVERSATION_STATUSES.join(', ')} (the hub records no other status yet)` })
  status!: ConversationStatus;

  @IsString() @Length(1, 200) @Matches(NO_CONTROL_CHARACTERS, { message: 'conversationId must have no control characters' })
  conversationId!: string;

  /** When the status changed, at the platform. */
  @IsISO8601({ strict: true })
  occurredAt!: string;
}

export type ConversationStatusIntakeResult = { ok: true; event: ConversationStatusReceived } | { ok: false; code: IntakeRejectionCode; errors: FieldError[] };

/**
 * The event id of a status: UUID v5 of (tenant, source, the platform's conversation id, the status,
 * when it changed as sent), so a retry is the same event and a conversation resolved again later (after
 * the customer wrote again) is another.
 */
export function conversationStatusEventId(tenantId: string, source: string, conversationId: string, status: ConversationStatus, occurredAt: string): string {
  return deterministicId(CONVERSATION_STATUS_ID_PART, tenantId, source, conversationId, status, occurredAt);
}

/** One request body → the canonical `ConversationStatusReceived` of the API key's tenant and source, or why not. */
export function readConversationStatus(bytes: Buffer, { origin, recordedAt, maxEventBytes }: IntakeContext): ConversationStatusIntakeResult {
  if (origin.kind !== 'api') throw new Error('a conversation status is taken over HTTP only');
  if (bytes.length > maxEventBytes) return reject('event_too_large', '(event)', `is ${bytes.length} bytes; at most ${maxEventBytes} are accepted (INGEST_MAX_EVENT_BYTES)`);
  const parsed = parseJson(bytes.toString('utf8'));
  if (!parsed.ok) return reject('invalid_json', '(event)', parsed.message);
  const validated = validateAs(ConversationStatusBody, parsed.value);
  if (!validated.ok) return { ok: false, code: 'invalid_event', errors: validated.errors };
  const body = validated.value;
  const identities: IdentityRef[] = [];
  const errors: FieldError[] = [];
  body.identities.forEach((identity, i) => {
    const normalised = normaliseIdentity({ kind: identity.kind, value: identity.value, ...(identity.namespace !== undefined ? { namespace: identity.namespace } : {}) });
    if (normalised.ok) identities.push(normalised.identity);
    else errors.push({ field: `identities.${i}.${normalised.field}`, messages: [normalised.reason] });
  });
  if (errors.length > 0) return { ok: false, code: 'invalid_event', errors };
  const eventId = conversationStatusEventId(origin.tenantId, origin.source, body.conversationId, body.status, body.occurredAt);
  return {
    ok: true,
    event: {
      type: 'ConversationStatusReceived',
      data: { identities, status: body.status, ...(body.threadId !== undefined ? { threadId: body.threadId } : {}), provider: { name: origin.source, conversationId: body.conversationId } },
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

function reject(code: IntakeRejectionCode, field: string, message: string): ConversationStatusIntakeResult {
  return { ok: false, code, errors: [{ field, messages: [message] }] };
}
