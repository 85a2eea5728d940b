import { customerStream } from '@hub/contracts';
import { foldCustomer, initialCustomerState, isCustomerEventType, type CustomerEvent, type CustomerState } from '@hub/customer';
import { StreamNotFoundError, type AppendResult, type EventStore, type ExpectedRevision, type NewEvent, type RecordedEvent } from '@hub/event-store';

export interface LoadedCustomer {
  state: CustomerState;
  /** The stream's revision the state was folded up to: pass it back as the expected revision. */
  revision: bigint | 'no_stream';
  events: RecordedEvent[];
}

/**
 * A stored event as the domain type. The store only holds customer events written through
 * `toNewEvent`; schema upcasters (issue #3) belong here, between the store and the fold.
 */
export function toCustomerEvent(recorded: RecordedEvent): CustomerEvent | undefined {
  if (!isCustomerEventType(recorded.type)) return undefined;
  return { type: recorded.type, data: recorded.data, metadata: recorded.metadata } as unknown as CustomerEvent;
}

export function toNewEvent(event: CustomerEvent): NewEvent {
  return { eventId: event.metadata.eventId, type: event.type, data: event.data, metadata: { ...event.metadata } };
}

/** A customer's state is never stored: it is folded from the customer's stream on every load. */
export class CustomerRepository {
  constructor(private readonly store: EventStore) {}

  async load(tenantId: string, customerId: string, options: { asOf?: string } = {}): Promise<LoadedCustomer> {
    let events: RecordedEvent[];
    try {
      events = await this.store.readStream(customerStream(tenantId, customerId));
    } catch (err) {
      if (err instanceof StreamNotFoundError) return { state: initialCustomerState(), revision: 'no_stream', events: [] };
      throw err;
    }
    const known = options.asOf ? events.filter((e) => e.createdAt.toISOString() <= options.asOf!) : events;
    const domain = known.map(toCustomerEvent).filter((e): e is CustomerEvent => e !== undefined);
    const last = known.at(-1);
    return { state: foldCustomer(domain), revision: last ? last.revision : 'no_stream', events: known };
  }

  append(tenantId: string, customerId: string, events: readonly CustomerEvent[], expectedRevision: ExpectedRevision = 'any'): Promise<AppendResult> {
    return this.store.appendToStream(customerStream(tenantId, customerId), events.map(toNewEvent), { expectedRevision });
  }
}
