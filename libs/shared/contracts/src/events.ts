import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { ALL_CHANNEL_IDS, type ChannelId } from './channels';
import { IsOptionalNonNull } from './validation';

/**
 * Where an interaction's `occurredAt` came from: `provider` — the provider's own timestamp of the
 * message, call, order or response (or, on the generic API, the time the sender gave); `received` —
 * the provider sent none (Twilio SMS webhooks, Telegram callback queries, an email without a Date
 * header, a Twilio Voice callback without Timestamp), so the adapter used the time the hub received
 * the webhook.
 */
export const OCCURRED_AT_SOURCES = ['provider', 'received'] as const;
export type OccurredAtSource = (typeof OCCURRED_AT_SOURCES)[number];

/**
 * What every event in the hub carries, on the bus and in the store (STYLE.md #7).
 * Time enters as data: producers set `occurredAt` (when it happened at the provider) and
 * `recordedAt` (when the hub first accepted it).
 */
export interface EventMetadata {
  eventId: string;
  correlationId: string;
  causationId: string;
  occurredAt: string;
  /**
   * Where `occurredAt` came from (see `OccurredAtSource`). Set by every channel adapter on an
   * `InteractionReceived`, and kept on the customer events recorded from it. Absent on events
   * produced before adapters said (unknown: read it as neither) and on events the hub decides
   * itself (merges, decisions: their `occurredAt` is the hub's own clock).
   */
  occurredAtSource?: OccurredAtSource;
  recordedAt: string;
  schemaVersion: number;
  tenantId: string;
  channel: ChannelId | 'system';
  /**
   * The W3C trace context (`traceparent`) of the span that appended the event, set by the customer
   * repository when tracing is on (`startTracing`), so what follows the store (the relay, the
   * projection, the decision) links back to the trace that recorded it. Never on the bus's
   * canonical events (the API refuses it: trace context travels there in the message headers).
   */
  traceparent?: string;
}

/** What a tenant id may be: it appears in stream names (`customer-<tenant>.<id>`), keys and URLs. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export const IDENTITY_KINDS = ['phone', 'email', 'handle', 'external'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** One way to recognise a customer: a phone number (E.164), an email, a platform handle, a CRM id. */
export interface IdentityRef {
  kind: IdentityKind;
  value: string;
  /** For `handle` and `external`: whose namespace the value lives in (`whatsapp`, `salesforce`, …). */
  namespace?: string;
}

export interface MediaRef {
  url: string;
  contentType?: string;
}

export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/**
 * What kind of interaction this is. `message` is chat/SMS/social text and media; the other kinds
 * carry a facet of the same name in `InteractionData` (`call`, `email`, `reaction`, `delivery`,
 * `survey`, `order`, `subscription`) with what only that kind has. Validation insists the facet
 * matches the kind.
 */
export const INTERACTION_KINDS = ['message', 'call', 'email', 'reaction', 'delivery', 'survey', 'order', 'subscription'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

/** A phone call, from a contact-center platform's record (Amazon Connect CTR, Twilio Voice callback). */
export interface CallFacet {
  /** Provider call status, normalised: how the call ended (or where it is, for progress callbacks). */
  status: 'initiated' | 'ringing' | 'in_progress' | 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled' | 'abandoned';
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  /** Seconds waiting in a queue, and the queue's name. */
  queue?: string;
  queueSeconds?: number;
  /** The agent who handled it (an id or username in the provider's namespace). */
  agent?: string;
  talkSeconds?: number;
  holdSeconds?: number;
  recordingUrl?: string;
  transcriptUrl?: string;
  /** What the agent or system recorded as the outcome (`resolved`, `callback_requested`, …). */
  disposition?: string;
}

export interface AttachmentMeta {
  name: string;
  contentType: string;
  sizeBytes: number;
}

/** An email. `InteractionData.threadId` is the thread's root Message-ID; the body text is in `content.text`. */
export interface EmailFacet {
  messageId: string;
  subject?: string;
  inReplyTo?: string;
  references: string[];
  from: string;
  to: string[];
  cc: string[];
  /** True when the text was summarised from an HTML-only body. */
  textFromHtml: boolean;
  /** Recorded as metadata only: attachments are never stored inline. */
  attachments: AttachmentMeta[];
}

/** A reaction to a message (`emoji` absent: the reaction was removed). */
export interface ReactionFacet {
  toMessageId: string;
  emoji?: string;
}

export const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What happened to a message we sent (direction `outbound`). */
export interface DeliveryFacet {
  messageId: string;
  status: DeliveryStatus;
  errorCode?: string;
  errorMessage?: string;
}

export interface SurveyAnswer {
  questionId: string;
  question?: string;
  /** A score, a choice or free text, as answered. */
  value: string | number | boolean;
}

/** One score question of a response: its scale, the score, and the question (field ref or id). */
export interface SurveyScoreRef {
  kind: 'csat' | 'nps';
  score: number;
  questionId: string;
}

/** A survey response. CSAT scores 1–5, NPS 0–10. */
export interface SurveyFacet {
  surveyId: string;
  /** The response's score: the first of `scores` when there are several. */
  kind: 'csat' | 'nps';
  score: number;
  /**
   * Every score the response gave, when it gave more than one (a form asking CSAT and NPS): `kind`
   * and `score` first. The recorder makes a `SurveyAnswered` of each.
   */
  scores?: SurveyScoreRef[];
  answers: SurveyAnswer[];
  /** The conversation (timeline thread id) that triggered the survey, when the survey link carried it. */
  conversationId?: string;
}

/** An order event. Money in the currency's minor unit (cents) and an ISO 4217 code. */
export interface OrderFacet {
  orderId: string;
  action: 'created' | 'refunded';
  amount: number;
  currency: string;
  /** For `refunded`: the refund's own id (several refunds may hit one order). */
  refundId?: string;
  itemCount?: number;
}

export const SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * The customer subscribed to or unsubscribed from us on the platform itself, which reports it as an
 * event of its own rather than a message (Viber's `subscribed`/`unsubscribed`, a Telegram bot
 * blocked or unblocked, a marketing opt-out on Messenger). Direction `inbound`, no content.
 * Recorded as a consent change only (`ConsentChanged`, source `platform`): it is not a contact, so it
 * counts no engagement, opens no reply window and makes no timeline entry.
 */
export interface SubscriptionFacet {
  status: SubscriptionStatus;
}

/**
 * The merge evidence a channel may name for the identities an interaction carries, when it knows
 * they are weaker than a contact the platform vouches for: `chat_typed_detail` — the customer typed
 * them (a chat's contact form), unverified. Only weak evidence can be named here; a paid order is
 * known from its kind, and anything else is `<channel>_<kind>` (`mergeEvidenceSource` in
 * `@hub/customer`), which the default policy only proposes.
 */
export const CHANNEL_MERGE_EVIDENCE = ['chat_typed_detail'] as const;
export type ChannelMergeEvidence = (typeof CHANNEL_MERGE_EVIDENCE)[number];

/** A message that is a consent keyword (SMS STOP/START/HELP): recorded as the message and as consent. */
export interface ConsentSignalFacet {
  signal: 'opt_out' | 'opt_in' | 'help';
  keyword: string;
}

/**
 * Who handled an interaction of any kind, as the contact-center platform recorded it: the agent, the
 * queue and team it was routed to, and the outcome the agent or system wrote (`resolved`,
 * `callback_requested`, …). Ids or names in the platform's own namespace. (A call's own
 * `call.agent`/`call.queue`/`call.disposition` keep their meaning; this is for every kind.)
 */
export interface HandlingFacet {
  agent?: string;
  queue?: string;
  team?: string;
  disposition?: string;
}

/** A reply to an interactive element (button, list row, Telegram callback query). */
export interface InteractiveReply {
  type: 'button' | 'list' | 'callback';
  id: string;
  title?: string;
}

export interface InteractionData {
  direction: Direction;
  kind: InteractionKind;
  /** The first identity is the one the interaction is keyed and resolved by. */
  identities: IdentityRef[];
  content: { text?: string; media: MediaRef[] };
  provider: { name: string; messageId: string; accountId?: string };
  /** The hub-side endpoint (our number, inbox, page) the customer reached. */
  endpoint?: string;
  /**
   * The provider's conversation/thread id when the channel has threads (an email thread, a chat
   * conversation). Absent: the channel's single default thread with this customer.
   */
  threadId?: string;
  /** For a message that edits an earlier one: the provider id of the message edited. */
  edits?: string;
  /** For a message that answers an interactive element. */
  interactive?: InteractiveReply;
  consent?: ConsentSignalFacet;
  /** Agent, queue, team and disposition, on any kind (see `HandlingFacet`). */
  handling?: HandlingFacet;
  /** The platform's own attributes of the interaction, declared per tenant (see `InteractionAttributeValue`). */
  attributes?: Record<string, InteractionAttributeValue>;
  /** What the identities it names prove, when the channel knows they are weak (see `CHANNEL_MERGE_EVIDENCE`). */
  mergeEvidence?: ChannelMergeEvidence;
  call?: CallFacet;
  email?: EmailFacet;
  reaction?: ReactionFacet;
  delivery?: DeliveryFacet;
  survey?: SurveyFacet;
  order?: OrderFacet;
  subscription?: SubscriptionFacet;
}

/** Published by an ingestion app on `Topics.interactions` once a provider webhook verified and mapped. */
export interface InteractionReceived {
  type: 'InteractionReceived';
  data: InteractionData;
  metadata: EventMetadata;
}

export const INTERACTION_RECEIVED_SCHEMA_VERSION = 1;

/** What a platform may say of a conversation's status today (`POST /v1/conversations/status`). */
export const CONVERSATION_STATUSES = ['resolved'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/**
 * A platform's word that one of its conversations with a customer changed status (an agent or a
 * bot resolved it). Published on `Topics.interactions` beside the interactions, keyed like them by
 * the customer's first identity, so it is recorded after the messages that came before it; the
 * recorder appends the fact (`ConversationResolved`) to the customer's stream, and no
 * `InteractionRecorded`: a status is not a contact. `channel` and `threadId` name the conversation
 * as the interactions did (`metadata.channel`, `data.threadId`).
 */
export interface ConversationStatusReceived {
  type: 'ConversationStatusReceived';
  data: {
    identities: IdentityRef[];
    status: ConversationStatus;
    threadId?: string;
    /** The sending platform (the API key's source) and its own id of the conversation. */
    provider: { name: string; conversationId: string };
  };
  /** `channel`: the conversation's channel (never `system`: the recorder refuses it). */
  metadata: EventMetadata;
}

export const CONVERSATION_STATUS_RECEIVED_SCHEMA_VERSION = 1;

/** A customer's consent as a platform's preference centre records it. */
export const CONSENT_CHOICES = ['opted_in', 'opted_out'] as const;
export type ConsentChoice = (typeof CONSENT_CHOICES)[number];

/**
 * A platform's word that a customer's consent to be contacted on one channel (`metadata.channel`,
 * never `system`) changed: its preference centre, a form, an agent. Published on
 * `Topics.interactions` keyed by the first identity, like a conversation status; the recorder
 * appends `ConsentChanged` (`source` as given) to the customer's stream, registering the customer
 * when nobody holds the identities yet (an opt-out must hold before the first contact too).
 */
export interface ConsentReceived {
  type: 'ConsentReceived';
  data: {
    identities: IdentityRef[];
    consent: ConsentChoice;
    /** Where the change was made (`preference_centre`, `web_form`, `agent`, …; never `keyword`). */
    source: string;
    /** The sending platform (the API key's source) and its own id of the change, when it has one. */
    provider: { name: string; changeId?: string };
  };
  metadata: EventMetadata;
}

export const CONSENT_RECEIVED_SCHEMA_VERSION = 1;

/** A consent change's `source`: a word of the platform's, `keyword` excepted (the hub's own, for STOP/START texts). */
export const CONSENT_SOURCE_PATTERN = /^(?!keyword$)[a-z0-9_]{1,64}$/;

/** A profile attribute's value; `null` clears it. */
export type ProfileTraitValue = string | number | boolean | null;

/** A trait's name: what `traits.<name>` reads in a rule. */
export const TRAIT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const MAX_TRAITS_PER_UPDATE = 50;
export const MAX_TRAIT_STRING_LENGTH = 1_000;

/**
 * A platform's profile attributes for a customer (`{ tier: 'gold', language: 'de' }`; `null` clears
 * one). Published on `Topics.interactions` keyed by the first identity; the recorder appends
 * `TraitsUpdated` to the customer's stream, registering the customer when nobody holds the
 * identities yet. `metadata.channel` is `system` (attributes belong to no channel).
 */
export interface TraitsReceived {
  type: 'TraitsReceived';
  data: {
    identities: IdentityRef[];
    traits: Record<string, ProfileTraitValue>;
    /** The sending platform (the API key's source) and its own id of the update, when it has one. */
    provider: { name: string; updateId?: string };
  };
  metadata: EventMetadata;
}

export const TRAITS_RECEIVED_SCHEMA_VERSION = 1;

/** Every message type `Topics.interactions` carries. */
export type InteractionsTopicMessage = InteractionReceived | ConversationStatusReceived | ConsentReceived | TraitsReceived;

// ---------------------------------------------------------------------------------------------
// Validation of the canonical event, for every consumer of Topics.interactions (and, later, the
// generic API): a message that fails here goes to the dead-letter topic with these messages.
// ---------------------------------------------------------------------------------------------

export class IdentityRefDto implements IdentityRef {
  @IsIn(IDENTITY_KINDS) kind!: IdentityKind;
  @IsString() @Length(1, 320) value!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(64) namespace?: string;
}

export class MediaRefDto implements MediaRef {
  @IsUrl({ require_tld: false, require_protocol: true }) url!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(255) contentType?: string;
}

export class ContentDto {
  @IsOptionalNonNull() @IsString() @MaxLength(100_000) text?: string;
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => MediaRefDto) media!: MediaRefDto[];
}

export class ProviderRefDto {
  @IsString() @Length(1, 64) name!: string;
  @IsString() @Length(1, 256) messageId!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(256) accountId?: string;
}

const CALL_STATUSES = ['initiated', 'ringing', 'in_progress', 'completed', 'busy', 'no_answer', 'failed', 'canceled', 'abandoned'] as const;
const URL_OPTIONS = { require_tld: false, require_protocol: true } as const;

export class CallFacetDto implements CallFacet {
  @IsIn(CALL_STATUSES) status!: CallFacet['status'];
  @IsOptionalNonNull() @IsISO8601({ strict: true }) startedAt?: string;
  @IsOptionalNonNull() @IsISO8601({ strict: true }) endedAt?: string;
  @IsOptionalNonNull() @IsInt() @Min(0) durationSeconds?: number;
  @IsOptionalNonNull() @IsString() @MaxLength(256) queue?: string;
  @IsOptionalNonNull() @IsInt() @Min(0) queueSeconds?: number;
  @IsOptionalNonNull() @IsString() @MaxLength(256) agent?: string;
  @IsOptionalNonNull() @IsInt() @Min(0) talkSeconds?: number;
  @IsOptionalNonNull() @IsInt() @Min(0) holdSeconds?: number;
  @IsOptionalNonNull() @IsUrl(URL_OPTIONS) recordingUrl?: string;
  @IsOptionalNonNull() @IsUrl(URL_OPTIONS) transcriptUrl?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(128) disposition?: string;
}

export class AttachmentMetaDto implements AttachmentMeta {
  @IsString() @Length(1, 512) name!: string;
  @IsString() @Length(1, 255) contentType!: string;
  @IsInt() @Min(0) sizeBytes!: number;
}

export class EmailFacetDto implements EmailFacet {
  @IsString() @Length(1, 998) messageId!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(998) subject?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(998) inReplyTo?: string;
  @IsArray() @IsString({ each: true }) @MaxLength(998, { each: true }) references!: string[];
  @IsString() @Length(1, 320) from!: string;
  @IsArray() @IsString({ each: true }) to!: string[];
  @IsArray() @IsString({ each: true }) cc!: string[];
  @IsBoolean() textFromHtml!: boolean;
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => AttachmentMetaDto) attachments!: AttachmentMetaDto[];
}

export class ReactionFacetDto implements ReactionFacet {
  @IsString() @Length(1, 256) toMessageId!: string;
  @IsOptionalNonNull() @IsString() @Length(1, 64) emoji?: string;
}

export class DeliveryFacetDto implements DeliveryFacet {
  @IsString() @Length(1, 256) messageId!: string;
  @IsIn(DELIVERY_STATUSES) status!: DeliveryStatus;
  @IsOptionalNonNull() @IsString() @MaxLength(64) errorCode?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(1024) errorMessage?: string;
}

export class SurveyAnswerDto implements SurveyAnswer {
  @IsString() @Length(1, 128) questionId!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(1024) question?: string;
  @IsDefined() value!: string | number | boolean;
}

@ValidatorConstraint({ name: 'scoreFitsSurveyKind' })
class ScoreFitsSurveyKind implements ValidatorConstraintInterface {
  validate(score: unknown, args: ValidationArguments): boolean {
    return (args.object as SurveyFacet).kind !== 'csat' || (typeof score === 'number' && score >= 1 && score <= 5);
  }
  defaultMessage(): string {
    return 'score must be 1–5 for a CSAT survey (0–10 for NPS)';
  }
}

export class SurveyScoreRefDto implements SurveyScoreRef {
  @IsIn(['csat', 'nps']) kind!: 'csat' | 'nps';
  @IsInt() @Min(0) @Max(10) @Validate(ScoreFitsSurveyKind) score!: number;
  @IsString() @Length(1, 128) questionId!: string;
}

export class SurveyFacetDto implements SurveyFacet {
  @IsString() @Length(1, 128) surveyId!: string;
  @IsIn(['csat', 'nps']) kind!: 'csat' | 'nps';
  @IsInt() @Min(0) @Max(10) @Validate(ScoreFitsSurveyKind) score!: number;
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => SurveyScoreRefDto)
  scores?: SurveyScoreRefDto[];
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => SurveyAnswerDto) answers!: SurveyAnswerDto[];
  @IsOptionalNonNull() @IsString() @MaxLength(256) conversationId?: string;
}

export class OrderFacetDto implements OrderFacet {
  @IsString() @Length(1, 128) orderId!: string;
  @IsIn(['created', 'refunded']) action!: 'created' | 'refunded';
  @IsInt() @Min(0) amount!: number;
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code' }) currency!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(128) refundId?: string;
  @IsOptionalNonNull() @IsInt() @Min(0) itemCount?: number;
}

export class SubscriptionFacetDto implements SubscriptionFacet {
  @IsIn(SUBSCRIPTION_STATUSES) status!: SubscriptionStatus;
}

export class ConsentSignalFacetDto implements ConsentSignalFacet {
  @IsIn(['opt_out', 'opt_in', 'help']) signal!: ConsentSignalFacet['signal'];
  @IsString() @Length(1, 32) keyword!: string;
}

/**
 * An extension attribute of an interaction: a platform's own field (`region`, `priority`,
 * `caseNumber`…), which the canonical event has no place for. Flat, name → value, so each value
 * is sealed as personal data on its own (`data.attributes.*`) and shown as it is on the timeline;
 * the generic API takes only the attributes its tenant declared (a JSON Schema per tenant,
 * `INGEST_ATTRIBUTE_SCHEMAS`).
 */
export type InteractionAttributeValue = string | number | boolean;
export const MAX_ATTRIBUTES = 50;
export const MAX_ATTRIBUTE_STRING_LENGTH = 1_000;

/** Every attribute named like a trait (`TRAIT_NAME_PATTERN`), its value a string (≤ 1,000), a finite number or a boolean; 1 to 50 of them. */
@ValidatorConstraint({ name: 'interactionAttributes' })
export class InteractionAttributes implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return attributesProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${attributesProblem(args.value) ?? 'are invalid'}`;
  }
}

export function attributesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of name → value';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_ATTRIBUTES) return `must name 1 to ${MAX_ATTRIBUTES} attributes`;
  const badName = entries.find(([k]) => !TRAIT_NAME_PATTERN.test(k));
  if (badName) return `has a name that is not a letter then up to 63 letters, digits or _: ${JSON.stringify(badName[0].slice(0, 80))}`;
  const badValue = entries.find(
    ([, v]) =>
      !(
        typeof v === 'boolean' ||
        (typeof v === 'number' && Number.isFinite(v)) ||
        (typeof v === 'string' && v.length <= MAX_ATTRIBUTE_STRING_LENGTH)
      ),
  );
  if (badValue)
    return `.${badValue[0]} must be a string of at most ${MAX_ATTRIBUTE_STRING_LENGTH} characters, a finite number or a boolean`;
  return undefined;
}

export class HandlingFacetDto implements HandlingFacet {
  @IsOptionalNonNull() @IsString() @Length(1, 256) agent?: string;
  @IsOptionalNonNull() @IsString() @Length(1, 256) queue?: string;
  @IsOptionalNonNull() @IsString() @Length(1, 256) team?: string;
  @IsOptionalNonNull() @IsString() @Length(1, 128) disposition?: string;
}

export class InteractiveReplyDto implements InteractiveReply {
  @IsIn(['button', 'list', 'callback']) type!: InteractiveReply['type'];
  @IsString() @Length(1, 256) id!: string;
  @IsOptionalNonNull() @IsString() @MaxLength(256) title?: string;
}

/** The facet named after the kind is required for that kind and forbidden for every other. */
function FacetOf(kind: Exclude<InteractionKind, 'message'>, dto: () => new () => object): PropertyDecorator {
  return (target, property) => {
    ValidateIf((o: InteractionData) => o.kind === kind || (o as unknown as Record<string, unknown>)[property as string] !== undefined)(
      target,
      property,
    );
    IsDefined({ message: `${String(property)} is required when kind is ${kind}` })(target, property);
    ValidateNested()(target, property);
    Type(dto)(target, property);
    Validate(FacetMatchesKind, [kind])(target, property);
  };
}

@ValidatorConstraint({ name: 'facetMatchesKind' })
class FacetMatchesKind implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as InteractionData).kind === args.constraints[0];
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is only allowed when kind is ${String(args.constraints[0])}`;
  }
}

export class InteractionDataDto implements InteractionData {
  @IsIn(DIRECTIONS) direction!: Direction;
  @IsIn(INTERACTION_KINDS) kind!: InteractionKind;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => IdentityRefDto)
  identities!: IdentityRefDto[];
  // @IsDefined on every required nested object: @ValidateNested alone lets `undefined` through.
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ContentDto) content!: ContentDto;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ProviderRefDto) provider!: ProviderRefDto;
  @IsOptionalNonNull() @IsString() @MaxLength(320) endpoint?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(998) threadId?: string;
  @IsOptionalNonNull() @IsString() @MaxLength(256) edits?: string;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => InteractiveReplyDto) interactive?: InteractiveReplyDto;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => ConsentSignalFacetDto) consent?: ConsentSignalFacetDto;
  @IsOptionalNonNull() @ValidateNested() @IsObject() @Type(() => HandlingFacetDto) handling?: HandlingFacetDto;
  @IsOptionalNonNull() @Validate(InteractionAttributes) attributes?: Record<string, InteractionAttributeValue>;
  @IsOptionalNonNull() @IsIn(CHANNEL_MERGE_EVIDENCE) mergeEvidence?: ChannelMergeEvidence;
  @FacetOf('call', () => CallFacetDto) call?: CallFacetDto;
  @FacetOf('email', () => EmailFacetDto) email?: EmailFacetDto;
  @FacetOf('reaction', () => ReactionFacetDto) reaction?: ReactionFacetDto;
  @FacetOf('delivery', () => DeliveryFacetDto) delivery?: DeliveryFacetDto;
  @FacetOf('survey', () => SurveyFacetDto) survey?: SurveyFacetDto;
  @FacetOf('order', () => OrderFacetDto) order?: OrderFacetDto;
  @FacetOf('subscription', () => SubscriptionFacetDto) subscription?: SubscriptionFacetDto;
}

export class EventMetadataDto implements EventMetadata {
  @IsUUID() eventId!: string;
  @IsString() @Length(1, 128) correlationId!: string;
  @IsString() @Length(1, 128) causationId!: string;
  @IsISO8601({ strict: true }) occurredAt!: string;
  @IsOptionalNonNull() @IsIn(OCCURRED_AT_SOURCES) occurredAtSource?: OccurredAtSource;
  @IsISO8601({ strict: true }) recordedAt!: string;
  @IsInt() @Min(1) schemaVersion!: number;
  /** Lower-case letters, digits, - and _: tenant ids are part of stream names, keys and URLs. */
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be lower-case letters, digits, - or _' }) @Length(1, 64) tenantId!: string;
  @IsIn([...ALL_CHANNEL_IDS, 'system']) channel!: ChannelId | 'system';
}

export class InteractionReceivedDto implements InteractionReceived {
  @IsIn(['InteractionReceived']) type!: 'InteractionReceived';
  @IsDefined() @ValidateNested() @IsObject() @Type(() => InteractionDataDto) data!: InteractionDataDto;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => EventMetadataDto) metadata!: EventMetadataDto;
}

/** The identities that name the customer a fact is about (a platform's status, consent or traits), as on an interaction. */
export class CustomerIdentitiesDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => IdentityRefDto)
  identities!: IdentityRefDto[];
}

export class ConversationStatusProviderDto {
  @IsString() @Length(1, 128) name!: string;
  @IsString() @Length(1, 200) conversationId!: string;
}

export class ConversationStatusDataDto extends CustomerIdentitiesDto {
  @IsIn(CONVERSATION_STATUSES, { message: `status must be one of: ${CONVERSATION_STATUSES.join(', ')}` }) status!: ConversationStatus;
  @IsOptionalNonNull() @IsString() @Length(1, 200) threadId?: string;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ConversationStatusProviderDto) provider!: ConversationStatusProviderDto;
}

export class ConversationStatusReceivedDto implements ConversationStatusReceived {
  @IsIn(['ConversationStatusReceived']) type!: 'ConversationStatusReceived';
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ConversationStatusDataDto) data!: ConversationStatusDataDto;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => EventMetadataDto) metadata!: EventMetadataDto;
}

export class ConsentProviderDto {
  @IsString() @Length(1, 128) name!: string;
  @IsOptionalNonNull() @IsString() @Length(1, 200) changeId?: string;
}

export class ConsentDataDto extends CustomerIdentitiesDto {
  @IsIn(CONSENT_CHOICES, { message: `consent must be one of: ${CONSENT_CHOICES.join(', ')}` }) consent!: ConsentChoice;
  @Matches(CONSENT_SOURCE_PATTERN, {
    message: 'source must be 1 to 64 lower-case letters, digits and _ (not keyword: the STOP/START texts)',
  })
  source!: string;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ConsentProviderDto) provider!: ConsentProviderDto;
}

export class ConsentReceivedDto implements ConsentReceived {
  @IsIn(['ConsentReceived']) type!: 'ConsentReceived';
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ConsentDataDto) data!: ConsentDataDto;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => EventMetadataDto) metadata!: EventMetadataDto;
}

/** Every trait named by `TRAIT_NAME_PATTERN`, its value a string (≤ 1,000), a finite number, a boolean or null; 1 to 50 of them. */
@ValidatorConstraint({ name: 'profileTraits' })
export class ProfileTraits implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return traitsProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${traitsProblem(args.value) ?? 'are invalid'}`;
  }
}

export function traitsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of name → value';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_TRAITS_PER_UPDATE) return `must name 1 to ${MAX_TRAITS_PER_UPDATE} traits`;
  const badName = entries.find(([k]) => !TRAIT_NAME_PATTERN.test(k));
  if (badName) return `has a name that is not a letter then up to 63 letters, digits or _: ${JSON.stringify(badName[0].slice(0, 80))}`;
  const badValue = entries.find(
    ([, v]) =>
      !(
        v === null ||
        typeof v === 'boolean' ||
        (typeof v === 'number' && Number.isFinite(v)) ||
        (typeof v === 'string' && v.length <= MAX_TRAIT_STRING_LENGTH)
      ),
  );
  if (badValue)
    return `.${badValue[0]} must be a string of at most ${MAX_TRAIT_STRING_LENGTH} characters, a finite number, a boolean or null`;
  return undefined;
}

export class TraitsProviderDto {
  @IsString() @Length(1, 128) name!: string;
  @IsOptionalNonNull() @IsString() @Length(1, 200) updateId?: string;
}

export class TraitsDataDto extends CustomerIdentitiesDto {
  @Validate(ProfileTraits) traits!: Record<string, ProfileTraitValue>;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TraitsProviderDto) provider!: TraitsProviderDto;
}

export class TraitsReceivedDto implements TraitsReceived {
  @IsIn(['TraitsReceived']) type!: 'TraitsReceived';
  @IsDefined() @ValidateNested() @IsObject() @Type(() => TraitsDataDto) data!: TraitsDataDto;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => EventMetadataDto) metadata!: EventMetadataDto;
}

// ---------------------------------------------------------------------------------------------
// What the projector republishes on Topics.customerEvents: one message per event recorded in a
// customer's stream, so downstream consumers never need to read the store to know what happened.
// ---------------------------------------------------------------------------------------------

export interface CustomerEventMessage {
  type: string;
  tenantId: string;
  customerId: string;
  streamRevision: string;
  globalPosition: string;
  data: unknown;
  metadata: EventMetadata;
}
