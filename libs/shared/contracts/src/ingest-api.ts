import type { ChannelId } from './channels';
import type {
  ConsentChoice,
  ConversationStatus,
  EventMetadata,
  IdentityRef,
  InteractionData,
  MediaRef,
  OccurredAtSource,
  ProfileTraitValue,
} from './events';

/*
 * The generic ingest API's wire shapes (apps/ingest/api, served by libs/ingest/api): what a platform
 * sends and what it is answered. The API's request classes implement these, and @hub/client
 * (libs/shared/client) sends them, so the two cannot drift apart without the compiler saying so.
 * Changing one changes the public API: document it in docs/events.md.
 */

/** The routes, relative to the API's base URL. */
export const IngestApiPaths = {
  /** One `InteractionReceivedInput` as `application/json`, or a batch as `application/x-ndjson`. */
  events: '/v1/events',
  /** NDJSON only: one `InteractionReceivedInput` per line (`Content-Encoding: gzip` accepted). */
  batch: '/v1/events/batch',
  conversationStatus: '/v1/conversations/status',
  consent: '/v1/customers/consent',
  traits: '/v1/customers/traits',
  health: '/health',
} as const;

/** One thing wrong with a request: where (a dotted path in the event, `(event)` for the whole of it, `(request)` for the HTTP request), a stable code, and words for a person. */
export interface ApiProblem {
  path: string;
  code: string;
  message: string;
}

/**
 * The one body of every refusal of the generic API (4xx, and 503): `error`, a stable code (what
 * /metrics counts and the logs say); `message`, for a person; `problems`, every problem found (all
 * at once), empty when the request as a whole is refused. A refusal may add its own details beside
 * them (`limitBytes`, `retryAfterSeconds`…).
 */
export interface ApiErrorBody {
  error: string;
  message: string;
  problems: ApiProblem[];
  [detail: string]: unknown;
}

/**
 * A canonical `InteractionReceived` as a platform sends it: the API completes the metadata.
 * `tenantId` and `provider.name` are the source key's (absent, or refused when different);
 * `eventId` is the sender's own id when given (a retry with it is the same event), otherwise derived
 * from (tenant, source, `provider.messageId`); `recordedAt` is always the hub's.
 */
export interface InteractionReceivedInput {
  type: 'InteractionReceived';
  data: Omit<InteractionData, 'content' | 'provider'> & {
    /** `media` may be left out (a call or an order has none). */
    content: { text?: string; media?: MediaRef[] };
    provider: { name?: string; messageId: string; accountId?: string };
  };
  metadata: {
    occurredAt: string;
    channel: ChannelId;
    eventId?: string;
    correlationId?: string;
    causationId?: string;
    occurredAtSource?: OccurredAtSource;
    schemaVersion?: EventMetadata['schemaVersion'];
    tenantId?: string;
  };
}

/** `POST /v1/conversations/status`: one of the platform's conversations with a customer changed status. */
export interface ConversationStatusRequest {
  identities: IdentityRef[];
  channel: ChannelId;
  threadId?: string;
  status: ConversationStatus;
  /** The platform's own id of the conversation. */
  conversationId: string;
  /** When the status changed, at the platform. */
  occurredAt: string;
}

/** `POST /v1/customers/consent`: a customer's consent to be contacted on one channel changed. */
export interface ConsentRequest {
  identities: IdentityRef[];
  channel: ChannelId;
  consent: ConsentChoice;
  /** Where it was changed (`preference_centre` when absent; never `keyword`). */
  source?: string;
  /** The platform's own id of the change: a retry with it is the same event. */
  changeId?: string;
  occurredAt: string;
}

/** `POST /v1/customers/traits`: profile attributes (`null` clears one). */
export interface TraitsRequest {
  identities: IdentityRef[];
  traits: Record<string, ProfileTraitValue>;
  /** The platform's own id of the update: a retry with it is the same event. */
  updateId?: string;
  occurredAt: string;
}

/** 202: Kafka acknowledged it. `eventId` is the stored id; `clientEventId` the sender's own, when it gave one. */
export interface AcceptedResponse {
  status: 'accepted';
  eventId: string;
  clientEventId?: string;
}

/** Each NDJSON line's fate (`line`: 1-based, blank lines counted). */
export type BatchLineResult =
  | { line: number; status: 'accepted'; eventId: string; clientEventId?: string }
  | { line: number; status: 'invalid'; code: string; problems: ApiProblem[] };

/** 200 for a batch read to the end, whatever the mix: every line has its final status. */
export interface BatchResponse {
  accepted: number;
  invalid: number;
  results: BatchLineResult[];
}

/** `GET /health`. */
export interface IngestApiHealth {
  status: 'ok' | 'degraded';
  kafka: boolean;
  rawConsumer: string;
}
