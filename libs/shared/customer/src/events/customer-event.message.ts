import { headersFor, parseCustomerStream, type CustomerEventMessage, type EventMetadata } from '@hub/contracts';
import { isCustomerEventType } from './customer.events';

/** What a stored event offers to be published (a `RecordedEvent` of `@hub/event-store` is one). */
export interface PublishableEvent {
  streamName: string;
  type: string;
  data: unknown;
  metadata: unknown;
  revision: bigint;
  globalPosition: bigint;
}

/** One `hub.customer-events.v1` message: keyed by customer id (one customer's events stay in order), `hub-*` headers. */
export interface CustomerEventKafkaMessage {
  key: string;
  value: CustomerEventMessage;
  headers: Record<string, string>;
}

/**
 * The message for a stored event, the one builder of it: the relay (timeline-projector) publishes
 * it live, `hub backfill` republishes it, so a consumer cannot tell the two apart. `undefined` for an
 * event that is not a customer event (another stream, or a type customer streams do not hold).
 */
export function customerEventMessage(e: PublishableEvent): CustomerEventKafkaMessage | undefined {
  const owner = parseCustomerStream(e.streamName);
  if (!owner || !isCustomerEventType(e.type)) return undefined;
  const metadata = e.metadata as EventMetadata;
  return {
    key: owner.customerId,
    value: {
      type: e.type,
      tenantId: owner.tenantId,
      customerId: owner.customerId,
      streamRevision: e.revision.toString(),
      globalPosition: e.globalPosition.toString(),
      data: e.data,
      metadata,
    },
    headers: headersFor(e.type, metadata),
  };
}
