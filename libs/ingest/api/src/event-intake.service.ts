import {
  HeaderNames,
  interactionMessage,
  TENANT_ID_PATTERN,
  type FieldError,
  type IdentityHasher,
  type InteractionReceived,
  type InteractionsTopicMessage,
} from '@hub/contracts';
import {
  PermanentMessageError,
  PublisherSaturatedError,
  PublishUnavailableError,
  type ConsumedMessage,
  type EventPublisher,
} from '@hub/messaging';
import type { HubLogger } from '@hub/platform';
import { readConsent, readConversationStatus, readTraits } from './customer-fact-intake';
import { IntakeCounters } from './intake-counters';
import { AttributeSchemas } from './attribute-schemas';
import { readInteraction, type IntakeContext, type IntakeRejectionCode, type IntakeResult } from './interaction-intake';
import { ndjsonLines } from './ndjson';
import { rawDeadLetterReason, rawRejectionFeedback, rawRejectionMessage } from './raw-rejection-feedback';
import type { SourceKey } from './source-keys';

export interface IntakeLimits {
  /** Events (non-blank lines) per NDJSON request. */
  maxBatchEvents: number;
  /** Bytes of one event: a JSON body, an NDJSON line, a raw message. */
  maxEventBytes: number;
}

/** The bus refused: nothing of the request is known to be published; the caller retries after a while. */
export type BusRefusal = { kind: 'unavailable'; retryAfterSeconds: number } | { kind: 'saturated'; retryAfterSeconds: number };

export type SingleOutcome =
  /** `eventId`: the stored id; `clientEventId`: the sender's own, when it gave one (see `clientScopedEventId`). */
  | { kind: 'accepted'; eventId: string; clientEventId?: string }
  | { kind: 'rejected'; code: IntakeRejectionCode; errors: FieldError[] }
  | BusRefusal;

/** Each line's fate. `accepted` means Kafka acknowledged it. */
export type LineResult =
  | { line: number; status: 'accepted'; eventId: string; clientEventId?: string }
  | { line: number; status: 'invalid'; code: IntakeRejectionCode; errors: FieldError[] };

export type BatchOutcome =
  | { kind: 'processed'; accepted: number; invalid: number; results: LineResult[] }
  | { kind: 'empty' }
  | { kind: 'too_many_events'; events: number; limit: number }
  | BusRefusal;

/**
 * The generic API's use case: canonical events from contact-center platforms, over HTTP (one JSON
 * event, or NDJSON batches) and from the raw topic. Every event takes `readInteraction`; valid ones
 * are published on `interactions` keyed like every other ingestion app's (`interactionMessage`).
 * Knows nothing of HTTP: the controller turns outcomes into status codes.
 */
export class EventIntakeService {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly interactionsTopic: string,
    /** Hashes the identity in each interaction's Kafka key (`IDENTITY_HASH_KEY`). */
    private readonly identityHasher: IdentityHasher,
    private readonly limits: IntakeLimits,
    private readonly logger: HubLogger,
    private readonly clock: () => Date = () => new Date(),
    readonly counters: IntakeCounters = new IntakeCounters(),
    /** Tenants whose events are taken from the raw topic (`INGEST_RAW_TENANTS`). */
    private readonly rawTenants: ReadonlySet<string> = new Set(),
    /** Each tenant's declared extension attributes (`INGEST_ATTRIBUTE_SCHEMAS`). */
    private readonly attributeSchemas: AttributeSchemas = AttributeSchemas.none(),
    /** Each raw tenant's feedback topic (`rawRejectionsTopic`); none: refusals are dead-lettered only. */
    private readonly rawFeedbackTopic?: (tenantId: string) => string,
  ) {}

  async submitOne(caller: SourceKey, body: Buffer): Promise<SingleOutcome> {
    const read = readInteraction(body, this.contextOf(caller));
    if (!read.ok) {
      this.rejected(caller, read.code, read.errors);
      return { kind: 'rejected', code: read.code, errors: read.errors };
    }
    const refused = await this.publish(caller, [read.event]);
    if (refused) return refused;
    this.counters.inc('http.accepted');
    const { eventId, correlationId } = read.event.metadata;
    const client = read.clientEventId !== undefined ? { clientEventId: read.clientEventId } : {};
    this.logger.info({ source: caller.source, tenantId: caller.tenantId, eventId, ...client, correlationId }, 'ingest.api.event.accepted');
    return { kind: 'accepted', eventId, ...client };
  }

  /**
   * A conversation status (`readConversationStatus`), published on `interactions` keyed by the
   * customer's first identity like their interactions, so the recorder takes it after the messages
   * sent before it.
   */
  submitConversationStatus(caller: SourceKey, body: Buffer): Promise<SingleOutcome> {
    return this.submitFact(
      caller,
      'conversation_status',
      readConversationStatus(body, { origin: this.originOf(caller), recordedAt: this.now(), maxEventBytes: this.limits.maxEventBytes }),
    );
  }

  /** A consent change (`readConsent`), published like a conversation status. */
  submitConsent(caller: SourceKey, body: Buffer): Promise<SingleOutcome> {
    return this.submitFact(
      caller,
      'consent',
      readConsent(body, { origin: this.originOf(caller), recordedAt: this.now(), maxEventBytes: this.limits.maxEventBytes }),
    );
  }

  /** Profile attributes (`readTraits`), published like a conversation status. */
  submitTraits(caller: SourceKey, body: Buffer): Promise<SingleOutcome> {
    return this.submitFact(
      caller,
      'traits',
      readTraits(body, { origin: this.originOf(caller), recordedAt: this.now(), maxEventBytes: this.limits.maxEventBytes }),
    );
  }

  private async submitFact(
    caller: SourceKey,
    fact: string,
    read:
      | { ok: true; event: Exclude<InteractionsTopicMessage, InteractionReceived> }
      | { ok: false; code: IntakeRejectionCode; errors: FieldError[] },
  ): Promise<SingleOutcome> {
    if (!read.ok) {
      this.rejected(caller, read.code, read.errors);
      return { kind: 'rejected', code: read.code, errors: read.errors };
    }
    const refused = await this.publish(caller, [read.event]);
    if (refused) return refused;
    this.counters.inc(`http.accepted.${fact}`);
    const { eventId, correlationId, channel } = read.event.metadata;
    this.logger.info(
      { source: caller.source, tenantId: caller.tenantId, eventId, correlationId, channel, type: read.event.type },
      `ingest.api.${fact}.accepted`,
    );
    return { kind: 'accepted', eventId };
  }

  /**
   * An NDJSON batch. Limits first (on bytes, before any line is parsed); then every line is read on
   * its own; the valid ones are published together and reported accepted only once Kafka
   * acknowledged all of them. Invalid lines do not hold back valid ones.
   */
  async submitBatch(caller: SourceKey, body: Buffer): Promise<BatchOutcome> {
    const lines = ndjsonLines(body);
    if (lines.length === 0) {
      this.requestRejected(caller, 'empty_batch');
      return { kind: 'empty' };
    }
    if (lines.length > this.limits.maxBatchEvents) {
      this.requestRejected(caller, 'too_many_events', { events: lines.length, limit: this.limits.maxBatchEvents });
      return { kind: 'too_many_events', events: lines.length, limit: this.limits.maxBatchEvents };
    }
    const ctx = this.contextOf(caller);
    const results: LineResult[] = [];
    const valid: InteractionReceived[] = [];
    for (const { line, bytes } of lines) {
      const read = readInteraction(bytes, ctx);
      if (read.ok) {
        valid.push(read.event);
        results.push({
          line,
          status: 'accepted',
          eventId: read.event.metadata.eventId,
          ...(read.clientEventId !== undefined ? { clientEventId: read.clientEventId } : {}),
        });
      } else {
        this.rejected(caller, read.code, read.errors, line);
        results.push({ line, status: 'invalid', code: read.code, errors: read.errors });
      }
    }
    if (valid.length > 0) {
      const refused = await this.publish(caller, valid);
      if (refused) return refused;
    }
    this.counters.inc('http.batches');
    this.counters.inc('http.accepted', valid.length);
    const invalid = results.length - valid.length;
    this.logger.info({ source: caller.source, tenantId: caller.tenantId, accepted: valid.length, invalid }, 'ingest.api.batch.processed');
    return { kind: 'processed', accepted: valid.length, invalid, results };
  }

  /**
   * One message of the raw topic. An invalid one is refused twice over: its tenant (one of
   * `INGEST_RAW_TENANTS`) gets the refusal on its feedback topic — the generic API's error shape,
   * the message's coordinates and digest, not its payload (`rawRejectionFeedback`) — and then
   * `PermanentMessageError` is thrown, which the consumer dead-letters by reference (paths and codes
   * in the reason, the claimed tenant in `hub-tenant-id`). A bus failure (the event, or the
   * feedback) is thrown as it is, so the consumer retries from the last committed offset (at least
   * once: the derived id makes the retry the same event, the feedback's key the same refusal).
   */
  async ingestRaw(message: ConsumedMessage): Promise<InteractionReceived> {
    const where = { topic: message.topic, partition: message.partition, offset: message.offset };
    const read: IntakeResult = message.value
      ? readInteraction(message.value, {
          origin: { kind: 'raw', allowedTenants: this.rawTenants },
          recordedAt: this.now(),
          maxEventBytes: this.limits.maxEventBytes,
          attributeSchemas: this.attributeSchemas,
        })
      : { ok: false, code: 'invalid_json', errors: [{ field: '(event)', messages: ['message has no value'] }] };
    if (!read.ok) {
      // A tenant id as the contract spells them (bounded by the check of the whole event): named in logs and the dead letter.
      const claimed =
        read.tenantId !== undefined && read.tenantId.length <= 100 && TENANT_ID_PATTERN.test(read.tenantId) ? read.tenantId : undefined;
      const feedbackTo = claimed !== undefined && this.rawTenants.has(claimed) ? this.rawFeedbackTopic?.(claimed) : undefined;
      if (feedbackTo !== undefined) {
        const feedback = rawRejectionFeedback(
          message,
          {
            code: read.code,
            errors: read.errors,
            tenantId: claimed!,
            ...(read.clientEventId !== undefined ? { clientEventId: read.clientEventId } : {}),
          },
          this.now(),
        );
        try {
          await this.publisher.publish(feedbackTo, [rawRejectionMessage(feedback)]);
        } catch (err) {
          this.counters.inc('raw.retried');
          throw err;
        }
        this.counters.inc('raw.feedback');
      }
      this.counters.inc(`raw.dead_lettered.${read.code}`);
      this.logger.warn(
        {
          ...where,
          code: read.code,
          fields: read.errors.map((e) => e.field).join(','),
          ...(claimed !== undefined ? { tenantId: claimed } : {}),
          feedback: feedbackTo !== undefined,
          ...(this.rawTenants.size === 0 ? { rawTenants: 0 } : {}),
        },
        'ingest.api.raw.rejected',
      );
      throw new PermanentMessageError(
        read.code.toUpperCase(),
        rawDeadLetterReason(read.errors, read.code),
        claimed !== undefined ? { [HeaderNames.tenantId]: claimed } : {},
      );
    }
    try {
      await this.publisher.publish(this.interactionsTopic, [interactionMessage(read.event, this.identityHasher)]);
    } catch (err) {
      this.counters.inc('raw.retried');
      throw err;
    }
    this.counters.inc('raw.accepted');
    this.logger.debug(
      { ...where, eventId: read.event.metadata.eventId, tenantId: read.event.metadata.tenantId },
      'ingest.api.raw.accepted',
    );
    return read.event;
  }

  private async publish(caller: SourceKey, events: readonly InteractionsTopicMessage[]): Promise<BusRefusal | undefined> {
    try {
      await this.publisher.publish(
        this.interactionsTopic,
        events.map((e) => interactionMessage(e, this.identityHasher)),
      );
      return undefined;
    } catch (err) {
      if (err instanceof PublisherSaturatedError) {
        this.requestRejected(caller, 'bus_saturated', { events: events.length });
        return { kind: 'saturated', retryAfterSeconds: err.retryAfterSeconds };
      }
      if (err instanceof PublishUnavailableError) {
        this.requestRejected(caller, 'bus_unavailable', { events: events.length, detail: err.message });
        return { kind: 'unavailable', retryAfterSeconds: err.retryAfterSeconds };
      }
      throw err;
    }
  }

  /** What an event over HTTP is read with. */
  private contextOf(caller: SourceKey): IntakeContext {
    return {
      origin: this.originOf(caller),
      recordedAt: this.now(),
      maxEventBytes: this.limits.maxEventBytes,
      attributeSchemas: this.attributeSchemas,
    };
  }

  private originOf(caller: SourceKey) {
    return { kind: 'api' as const, source: caller.source, tenantId: caller.tenantId };
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /** One event (or line) refused. */
  private rejected(caller: SourceKey, code: IntakeRejectionCode, errors: readonly FieldError[], line?: number): void {
    this.counters.inc(`http.rejected.${code}`);
    this.logger.warn(
      {
        source: caller.source,
        tenantId: caller.tenantId,
        keyId: caller.keyId,
        code,
        fields: errors.map((e) => e.field).join(','),
        ...(line !== undefined ? { line } : {}),
      },
      'ingest.api.event.rejected',
    );
  }

  /** A whole request refused. */
  private requestRejected(caller: SourceKey, code: string, detail: Record<string, unknown> = {}): void {
    this.counters.inc(`http.rejected.${code}`);
    this.logger.warn(
      { source: caller.source, tenantId: caller.tenantId, keyId: caller.keyId, code, ...detail },
      'ingest.api.request.rejected',
    );
  }
}
