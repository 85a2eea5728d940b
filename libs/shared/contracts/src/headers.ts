import type { EventMetadata } from './events';

/** Kafka headers mirror the event metadata, so routing and tracing never need to parse the value. */
export const HeaderNames = {
  eventId: 'hub-event-id',
  eventType: 'hub-event-type',
  correlationId: 'hub-correlation-id',
  causationId: 'hub-causation-id',
  occurredAt: 'hub-occurred-at',
  recordedAt: 'hub-recorded-at',
  schemaVersion: 'hub-schema-version',
  tenantId: 'hub-tenant-id',
  channel: 'hub-channel',
  /** Dead-letter only: why the message can never be processed, and where it came from. */
  dlqReason: 'hub-dlq-reason',
  dlqCode: 'hub-dlq-code',
  dlqSourceTopic: 'hub-dlq-source-topic',
  dlqSourcePartition: 'hub-dlq-source-partition',
  dlqSourceOffset: 'hub-dlq-source-offset',
  /** On a message produced again from a dead letter (`redriveDeadLetters`): `<topic>:<partition>:<offset>` it was refused at. */
  redrivenFrom: 'hub-redriven-from',
} as const;

export function headersFor(type: string, m: EventMetadata): Record<string, string> {
  return {
    [HeaderNames.eventId]: m.eventId,
    [HeaderNames.eventType]: type,
    [HeaderNames.correlationId]: m.correlationId,
    [HeaderNames.causationId]: m.causationId,
    [HeaderNames.occurredAt]: m.occurredAt,
    [HeaderNames.recordedAt]: m.recordedAt,
    [HeaderNames.schemaVersion]: String(m.schemaVersion),
    [HeaderNames.tenantId]: m.tenantId,
    [HeaderNames.channel]: m.channel,
  };
}
