import type { CustomerErased } from '@hub/customer';
import { customerStream, deterministicId } from '@hub/contracts';
import { InvalidEventError, type EventStore } from '@hub/event-store';
import type { KeyStore } from './key-store.port';

export type { CustomerErased } from '@hub/customer';

export const CUSTOMER_ERASED = 'CustomerErased' satisfies CustomerErased['type'];

export interface EraseCustomerCommand {
  /** Any EventStore (the encrypting one or the one it wraps: CustomerErased holds nothing to encrypt). */
  store: EventStore;
  keys: KeyStore;
  tenantId: string;
  customerId: string;
  reason: string;
  requestedBy: string;
  /** When the erasure happens (ISO 8601): time enters as data. */
  now: string;
  /** The request this erasure answers (default: the erasure's own event id). */
  correlationId?: string;
  /** The customer whose erasure erases this one with it (this one is merged into it): `CustomerErased.data.cascadeOf`. */
  cascadeOf?: string;
}

export interface CustomerErasure {
  /** The CustomerErased event, as appended now or (on a repeat) as this call built it. */
  event: CustomerErased;
  /** True when this call destroyed the key; false when it was already gone. */
  keyDestroyed: boolean;
  /** True when CustomerErased was already in the stream: nothing was written. */
  duplicate: boolean;
  revision: bigint;
  position: bigint;
}

export function customerErasedEventId(tenantId: string, customerId: string): string {
  return deterministicId('customer-erased', tenantId, customerId);
}

/**
 * EraseCustomer: destroy the customer's key, then record CustomerErased in their stream. The key
 * goes first, so a crash in between leaves the data erased and a retry only adds the record; both
 * steps are idempotent, so erasing again is a no-op. Throws `StreamNotFoundError` for a customer
 * with no stream (nothing is destroyed then).
 */
export async function eraseCustomer(command: EraseCustomerCommand): Promise<CustomerErasure> {
  const { store, keys, tenantId, customerId, reason, requestedBy, now } = command;
  const stream = customerStream(tenantId, customerId);
  if (reason.trim() === '' || requestedBy.trim() === '')
    throw new InvalidEventError(`erasure of ${stream}: reason and requestedBy are required`);
  if (Number.isNaN(Date.parse(now)))
    throw new InvalidEventError(`erasure of ${stream}: now ${JSON.stringify(now)} is not an ISO 8601 time`);

  await store.readStream(stream, { direction: 'backwards', maxCount: 1 });

  const keyDestroyed = await keys.destroy(tenantId, customerId);

  const eventId = customerErasedEventId(tenantId, customerId);
  const event: CustomerErased = {
    type: CUSTOMER_ERASED,
    data: { customerId, reason, requestedBy, ...(command.cascadeOf === undefined ? {} : { cascadeOf: command.cascadeOf }) },
    metadata: {
      eventId,
      correlationId: command.correlationId ?? eventId,
      causationId: eventId,
      occurredAt: now,
      recordedAt: now,
      schemaVersion: 1,
      tenantId,
      channel: 'system',
    },
  };
  const result = await store.appendToStream(stream, [{ eventId, type: event.type, data: event.data, metadata: { ...event.metadata } }], {
    expectedRevision: 'any',
  });
  return { event, keyDestroyed, duplicate: result.duplicate, revision: result.nextExpectedRevision, position: result.position };
}
