import type { ChannelId, FieldError, InteractionReceived } from '@hub/contracts';

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
  /** Requests larger than this are refused with 413 before they are parsed. */
  maxBodyBytes: number;
}

/**
 * One provider's webhook, from raw request to canonical events. Pure apart from crypto: no I/O,
 * no clock, no framework — the ingestion app supplies all of those.
 */
export interface ChannelAdapter<Payload extends object = object> {
  readonly manifest: ChannelManifest;
  /** Is this request really from the provider? Constant-time comparisons only. */
  verify(request: WebhookRequest): VerifyResult;
  /** Validate the provider payload (class-validator); failures name the fields. */
  parse(body: unknown): { ok: true; value: Payload } | { ok: false; errors: FieldError[] };
  /**
   * Map a valid payload to canonical events with deterministic ids (a provider retry gives the same
   * ids). Throws `ChannelMappingError` when a valid payload still cannot be represented.
   */
  map(payload: Payload, context: MapContext): InteractionReceived[];
}

/** A payload that verified and validated but cannot be mapped: it goes to the dead-letter topic. */
export class ChannelMappingError extends Error {
  readonly code = 'CHANNEL_MAPPING_FAILED';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ChannelMappingError';
  }
}
