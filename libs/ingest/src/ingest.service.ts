import {
  HeaderNames,
  headersFor,
  hubNames,
  identityKey,
  type HubNames,
  type FieldError,
  type InteractionReceived,
} from '@hub/contracts';
import { ChannelMappingError, type ChannelAdapter, type WebhookRequest } from '@hub/channels-core';
import { PublisherSaturatedError, PublishUnavailableError, type EventPublisher } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';

export type IngestOutcome =
  | { kind: 'accepted'; eventIds: string[] }
  | { kind: 'dead_lettered'; code: string; reason: string }
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'invalid'; fields: FieldError[] }
  | { kind: 'unavailable'; retryAfterSeconds: number; reason: string }
  | { kind: 'saturated'; retryAfterSeconds: number };

/** Counts of every outcome by reason code, for /metrics and the demo summary. */
export class IngestCounters {
  readonly counts = new Map<string, number>();
  inc(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
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
  readonly counters = new IngestCounters();

  constructor(
    private readonly adapter: ChannelAdapter,
    private readonly publisher: EventPublisher,
    private readonly tenantId: string,
    private readonly logger: HubLogger,
    private readonly clock: () => Date = () => new Date(),
    private readonly names: HubNames = hubNames(),
  ) {}

  async ingest(request: WebhookRequest): Promise<IngestOutcome> {
    const channel = this.adapter.manifest.id;
    const verified = this.adapter.verify(request);
    if (!verified.ok) {
      return this.reject({ kind: 'unauthorized', reason: verified.reason }, verified.reason, verified.detail);
    }
    const parsed = this.adapter.parse(request.body);
    if (!parsed.ok) {
      return this.reject({ kind: 'invalid', fields: parsed.errors }, 'validation_failed', parsed.errors.map((e) => e.field).join(','));
    }
    const receivedAt = this.clock().toISOString();
    let events: InteractionReceived[];
    try {
      events = this.adapter.map(parsed.value, { tenantId: this.tenantId, receivedAt });
    } catch (err) {
      if (!(err instanceof ChannelMappingError)) throw err;
      return this.deadLetter(request, err);
    }
    try {
      await this.publisher.publish(
        this.names.topics.interactions,
        events.map((e) => {
          const [primary] = e.data.identities;
          return {
            key: primary ? identityKey(e.metadata.tenantId, primary.kind, primary.value) : e.metadata.eventId,
            value: e,
            headers: headersFor(e.type, e.metadata),
          };
        }),
      );
    } catch (err) {
      if (err instanceof PublisherSaturatedError) return this.reject({ kind: 'saturated', retryAfterSeconds: err.retryAfterSeconds }, 'bus_saturated');
      if (err instanceof PublishUnavailableError) {
        return this.reject({ kind: 'unavailable', retryAfterSeconds: err.retryAfterSeconds, reason: 'event bus unavailable' }, 'bus_unavailable', err.message);
      }
      throw err;
    }
    this.counters.inc('accepted');
    for (const e of events) {
      this.logger.info({ channel, eventId: e.metadata.eventId, correlationId: e.metadata.correlationId }, 'ingest.webhook.accepted');
    }
    return { kind: 'accepted', eventIds: events.map((e) => e.metadata.eventId) };
  }

  private reject<T extends IngestOutcome>(outcome: T, code: string, detail?: string): T {
    this.counters.inc(`rejected.${code}`);
    this.logger.warn({ channel: this.adapter.manifest.id, code, ...(detail ? { detail } : {}) }, 'ingest.webhook.rejected');
    return outcome;
  }

  private async deadLetter(request: WebhookRequest, err: ChannelMappingError): Promise<IngestOutcome> {
    const channel = this.adapter.manifest.id;
    try {
      await this.publisher.publish(this.names.topics.deadLetter, [
        {
          key: `${this.tenantId}|${channel}`,
          value: { channel, tenantId: this.tenantId, raw: request.rawBody.toString('utf8'), contentType: request.headers['content-type'] ?? null },
          headers: { [HeaderNames.dlqCode]: err.code, [HeaderNames.dlqReason]: err.message, [HeaderNames.channel]: channel, [HeaderNames.tenantId]: this.tenantId },
        },
      ]);
    } catch (publishErr) {
      if (publishErr instanceof PublishUnavailableError || publishErr instanceof PublisherSaturatedError) {
        return this.reject({ kind: 'unavailable', retryAfterSeconds: publishErr.retryAfterSeconds, reason: 'event bus unavailable' }, 'bus_unavailable');
      }
      throw publishErr;
    }
    this.counters.inc(`dead_lettered.${err.code}`);
    this.logger.warn({ channel, code: err.code, reason: err.message }, 'ingest.webhook.dead_lettered');
    return { kind: 'dead_lettered', code: err.code, reason: err.message };
  }
}
