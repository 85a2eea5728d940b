import { HubError, type ChannelId, type FieldError, type InteractionReceived } from '@hub/contracts';

/** What an ingestion app hands an adapter: the request as the provider sent it. */
export interface WebhookRequest {
  method: string;
  /** The public URL the provider called, with its query string (what providers sign). */
  url: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received: signatures over the body are checked against these. */
  rawBody: Buffer;
  /** The body parsed by content type (form fields or JSON). */
  body: unknown;
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'signature_missing' | 'signature_invalid' | 'signature_stale'; detail?: string };

/** What verification may read beside the request: the time, for providers that sign a timestamp. */
export interface VerifyContext {
  nowMs: number;
}

/** The answer to a provider's subscription handshake (Meta's GET `hub.challenge`). */
export interface HandshakeResult {
  status: number;
  body: string;
}

export type ParseResult<Payload> = { ok: true; value: Payload } | { ok: false; errors: FieldError[] };

export interface MapContext {
  tenantId: string;
  /** When the hub accepted the request (ISO 8601); time enters as data. */
  receivedAt: string;
}

/** Everything an engineer or operator needs to know about a channel, beside its adapter. */
export interface ChannelManifest {
  id: ChannelId;
  displayName: string;
  provider: string;
  /** Provider documentation of the webhook format this adapter reads. */
  docsUrl: string;
  route: { method: 'POST'; path: string };
  /** Requests larger than this are refused with 413 before they are parsed (decoded size, when compressed). */
  maxBodyBytes: number;
  /**
   * `Content-Encoding`s the provider may send (Firehose's GZIP option). The ingestion app decodes the
   * body before `verify` and `parse` see it; any other encoding is refused with 415.
   */
  requestEncodings?: readonly 'gzip'[];
}

/**
 * How an ingestion app hands the body to `parse`: JSON and form bodies parsed; any other content
 * type (raw MIME, multipart) as the exact bytes received, a Buffer.
 */
export type WebhookBody = unknown;

/**
 * One provider's webhook, from raw request to canonical events. Pure apart from crypto: no I/O,
 * no clock, no framework — the ingestion app supplies all of those.
 */
export interface ChannelAdapter<Payload extends object = object> {
  readonly manifest: ChannelManifest;
  /**
   * Is this request really from the provider? Constant-time comparisons only; a provider that signs
   * a timestamp is refused as `signature_stale` outside its replay window, measured from `context.nowMs`.
   */
  verify(request: WebhookRequest, context: VerifyContext): VerifyResult;
  /**
   * Validate the provider payload (class-validator); failures name the fields. May be async (a MIME
   * or multipart body is parsed with a streaming library). `headers` carry the content type.
   */
  parse(body: WebhookBody, headers: WebhookRequest['headers']): ParseResult<Payload> | Promise<ParseResult<Payload>>;
  /**
   * Optional: answer the provider's GET subscription handshake on the same route (Meta's
   * `hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`). `query` is the parsed query string.
   */
  handshake?(query: Readonly<Record<string, string | undefined>>): HandshakeResult;
  /**
   * Optional: the success answer the provider insists on, once the request is durably taken (its
   * events acknowledged by Kafka, or the whole request dead-lettered). Kinesis Firehose, for one,
   * counts anything but `200 {"requestId","timestamp"}` as a failed delivery. Default: 202 with the
   * event ids.
   */
  acknowledge?(
    request: WebhookRequest,
    taken: { eventIds: string[]; deadLettered: boolean },
    context: VerifyContext,
  ): { status: number; body: unknown };
  /**
   * Map a valid payload to canonical events with deterministic ids (a provider retry gives the same
   * ids). Throws `ChannelMappingError` when a valid payload still cannot be represented.
   */
  map(payload: Payload, context: MapContext): InteractionReceived[];
}

/**
 * A payload that verified and validated but cannot be mapped: it goes to the dead-letter topic.
 * A batch of which only some items could be mapped (a Firehose delivery with one chat record among
 * calls) passes those as `mapped`: they are published, and the request is dead-lettered too, with
 * the reason naming what was not mapped — replaying the dead letter later re-publishes the mapped
 * ones under the same ids, which downstream deduplicates.
 */
export class ChannelMappingError extends HubError {
  readonly code = 'CHANNEL_MAPPING_FAILED';
  readonly retryable = false;
  constructor(
    message: string,
    readonly field?: string,
    readonly mapped: readonly InteractionReceived[] = [],
  ) {
    super(message);
    this.name = 'ChannelMappingError';
  }
}

/**
 * Map the items of a batch (a webhook carrying several messages, statuses or records) so that one
 * item that cannot be mapped does not hold the others back: every item is tried, and if some
 * failed, a `ChannelMappingError` names each failure and carries the events of the others as
 * `mapped` (the ingestion app publishes those and dead-letters the request). A batch of one item
 * fails with that item's own error.
 */
export function mapEachItem(items: readonly (() => InteractionReceived | readonly InteractionReceived[])[]): InteractionReceived[] {
  const events: InteractionReceived[] = [];
  const failures: ChannelMappingError[] = [];
  for (const item of items) {
    try {
      const mapped = item();
      events.push(...(Array.isArray(mapped) ? (mapped as readonly InteractionReceived[]) : [mapped as InteractionReceived]));
    } catch (err) {
      if (!(err instanceof ChannelMappingError)) throw err;
      failures.push(err);
      events.push(...err.mapped);
    }
  }
  const [first] = failures;
  if (!first) return events;
  if (failures.length === 1 && events.length === 0) throw first;
  throw new ChannelMappingError(
    `${failures.length} of ${items.length} items cannot be mapped${events.length ? ` (${events.length} event${events.length === 1 ? '' : 's'} from the others are published)` : ''}: ${failures.map((f) => f.message).join('; ')}`,
    first.field,
    events,
  );
}
