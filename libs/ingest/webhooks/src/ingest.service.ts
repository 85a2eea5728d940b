import {
  HeaderNames,
  hubNames,
  interactionMessage,
  type HubNames,
  type FieldError,
  type IdentityHasher,
  type InteractionReceived,
} from '@hub/contracts';
import { ChannelMappingError, InvalidJsonBody, type ChannelAdapter, type WebhookRequest } from '@hub/channels-core';
import { deadLetterBody, PublisherSaturatedError, PublishUnavailableError, type EventPublisher } from '@hub/messaging';
import { hubMetrics } from '@hub/metrics';
import type { HubLogger } from '@hub/platform';
import { tenantScopedEvent } from './ingest-tenants';

export type IngestOutcome =
  | { kind: 'accepted'; eventIds: string[] }
  /** `eventIds`: the part of a batch that was mapped and published before the rest was dead-lettered. */
  | { kind: 'dead_lettered'; code: string; reason: string; eventIds?: string[] }
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'invalid'; fields: FieldError[] }
  /** The body could not be read at all (JSON that does not parse): nothing to name a field of. */
  | { kind: 'unreadable'; code: 'invalid_json'; reason: string }
  | { kind: 'unavailable'; retryAfterSeconds: number; reason: string }
  | { kind: 'saturated'; retryAfterSeconds: number };

// Where the raw body of a dead letter is bounded (shared with every Kafka consumer's dead letters).
export { DEAD_LETTER_RAW_LIMIT_BYTES, deadLetterBody } from '@hub/messaging';

/**
 * Counts of every outcome by reason code: `hub_ingest_outcomes_total{outcome,code}` on /metrics
 * (`rejected.invalid_json` is outcome `rejected`, code `invalid_json`), and this app's own view of
 * them by key for `/metrics?format=json` (the demo's summary and the fault harness read it).
 */
export class IngestCounters {
  readonly counts = new Map<string, number>();
  inc(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const dot = key.indexOf('.');
    hubMetrics.ingestOutcomes().inc(dot === -1 ? { outcome: key, code: '' } : { outcome: key.slice(0, dot), code: key.slice(dot + 1) });
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }
}

/**
 * The ingestion use case, the same for every channel: verify → validate → map → publish.
 * Knows nothing of HTTP: the controller turns the outcome into a status code.
 */
export class IngestService {
  constructor(
    private readonly adapter: ChannelAdapter,
    private readonly publisher: EventPublisher,
    private readonly tenantId: string,
    /** Hashes the identity in each interaction's Kafka key (`IDENTITY_HASH_KEY`). */
    private readonly identityHasher: IdentityHasher,
    private readonly logger: HubLogger,
    private readonly clock: () => Date = () => new Date(),
    private readonly names: HubNames = hubNames(),
    /** Shared by every provider an app hosts, so /metrics is one set of counts. */
    readonly counters: IngestCounters = new IngestCounters(),
    /** A multi-tenant app's: every event id scoped to the tenant (`tenantScopedEvent`). */
    private readonly scopeEventIds = false,
  ) {}

  /** The tenant this service ingests for. */
  get tenant(): string {
    return this.tenantId;
  }

  /** What the provider's webhook is (route, limits, encodings). */
  get manifest(): ChannelAdapter['manifest'] {
    return this.adapter.manifest;
  }

  async ingest(request: WebhookRequest): Promise<IngestOutcome> {
    const channel = this.adapter.manifest.id;
    const verified = this.adapter.verify(request, { nowMs: this.clock().getTime() });
    if (!verified.ok) {
      return this.reject({ kind: 'unauthorized', reason: verified.reason }, verified.reason, verified.detail);
    }
    // Verified first: an unsigned body is refused as unsigned, whatever it holds.
    if (request.body instanceof InvalidJsonBody) {
      return this.reject({ kind: 'unreadable', code: 'invalid_json', reason: request.body.reason }, 'invalid_json', request.body.reason);
    }
    const parsed = await this.adapter.parse(request.body, request.headers);
    if (!parsed.ok) {
      return this.reject({ kind: 'invalid', fields: parsed.errors }, 'validation_failed', parsed.errors.map((e) => e.field).join(','));
    }
    const receivedAt = this.clock().toISOString();
    let events: InteractionReceived[];
    try {
      events = this.scoped(this.adapter.map(parsed.value, { tenantId: this.tenantId, receivedAt }));
    } catch (err) {
      if (!(err instanceof ChannelMappingError)) throw err;
      if (err.mapped.length === 0) return this.deadLetter(request, err);
      // Part of a batch mapped: publish that part first (a refusal means nothing was taken and the
      // provider retries the whole request), then dead-letter the request for the rest.
      const mapped = this.scoped(err.mapped);
      const refused = await this.publishInteractions(mapped);
      if (refused) return refused;
      for (const e of mapped)
        this.logger.info(
          { channel, tenantId: this.tenantId, eventId: e.metadata.eventId, correlationId: e.metadata.correlationId },
          'ingest.webhook.accepted',
        );
      const dead = await this.deadLetter(request, err);
      return dead.kind === 'dead_lettered' ? { ...dead, eventIds: mapped.map((e) => e.metadata.eventId) } : dead;
    }
    const refused = await this.publishInteractions(events);
    if (refused) return refused;
    this.counters.inc('accepted');
    for (const e of events) {
      this.logger.info(
        { channel, tenantId: this.tenantId, eventId: e.metadata.eventId, correlationId: e.metadata.correlationId },
        'ingest.webhook.accepted',
      );
    }
    return { kind: 'accepted', eventIds: events.map((e) => e.metadata.eventId) };
  }

  private scoped(events: readonly InteractionReceived[]): InteractionReceived[] {
    return this.scopeEventIds ? events.map(tenantScopedEvent) : [...events];
  }

  /** Publish to the interactions topic: undefined once Kafka acknowledged, else the refusal to answer with. */
  private async publishInteractions(events: readonly InteractionReceived[]): Promise<IngestOutcome | undefined> {
    try {
      await this.publisher.publish(
        this.names.topics.interactions,
        events.map((e) => interactionMessage(e, this.identityHasher)),
      );
      return undefined;
    } catch (err) {
      if (err instanceof PublisherSaturatedError)
        return this.reject({ kind: 'saturated', retryAfterSeconds: err.retryAfterSeconds }, 'bus_saturated');
      if (err instanceof PublishUnavailableError) {
        return this.reject(
          { kind: 'unavailable', retryAfterSeconds: err.retryAfterSeconds, reason: 'event bus unavailable' },
          'bus_unavailable',
          err.message,
        );
      }
      throw err;
    }
  }

  /** A body over this provider's limit (refused by the HTTP edge before verification): counted and logged. */
  tooLarge(bytes: number): void {
    this.reject({ kind: 'invalid', fields: [] }, 'payload_too_large', `${bytes} bytes > ${this.adapter.manifest.maxBodyBytes}`);
  }

  /** A body the HTTP edge could not decode (unsupported or corrupt `Content-Encoding`): counted and logged. */
  undecodable(code: 'unsupported_content_encoding' | 'invalid_content_encoding', detail: string): void {
    this.reject({ kind: 'invalid', fields: [] }, code, detail);
  }

  /** A request the HTTP edge's rate limits refused (429): counted and logged. */
  rateLimited(per: 'address' | 'key' | 'source', retryAfterSeconds: number): void {
    this.reject({ kind: 'invalid', fields: [] }, `rate_limited_per_${per}`, `retry after ${retryAfterSeconds} s`);
  }

  private reject<T extends IngestOutcome>(outcome: T, code: string, detail?: string): T {
    this.counters.inc(`rejected.${code}`);
    this.logger.warn(
      { channel: this.adapter.manifest.id, tenantId: this.tenantId, code, ...(detail ? { detail } : {}) },
      'ingest.webhook.rejected',
    );
    return outcome;
  }

  private async deadLetter(request: WebhookRequest, err: ChannelMappingError): Promise<IngestOutcome> {
    const channel = this.adapter.manifest.id;
    try {
      await this.publisher.publish(this.names.topics.deadLetter, [
        {
          key: `${this.tenantId}|${channel}`,
          value: {
            channel,
            tenantId: this.tenantId,
            contentType: request.headers['content-type'] ?? null,
            ...deadLetterBody(request.rawBody),
          },
          headers: {
            [HeaderNames.dlqCode]: err.code,
            [HeaderNames.dlqReason]: err.message,
            [HeaderNames.channel]: channel,
            [HeaderNames.tenantId]: this.tenantId,
          },
        },
      ]);
    } catch (publishErr) {
      if (publishErr instanceof PublishUnavailableError || publishErr instanceof PublisherSaturatedError) {
        return this.reject(
          { kind: 'unavailable', retryAfterSeconds: publishErr.retryAfterSeconds, reason: 'event bus unavailable' },
          'bus_unavailable',
        );
      }
      throw publishErr;
    }
    this.counters.inc(`dead_lettered.${err.code}`);
    hubMetrics.deadLetters().inc({ topic: 'http', code: err.code });
    this.logger.warn({ channel, tenantId: this.tenantId, code: err.code, reason: err.message }, 'ingest.webhook.dead_lettered');
    return { kind: 'dead_lettered', code: err.code, reason: err.message };
  }
}
