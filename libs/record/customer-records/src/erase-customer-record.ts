import { deterministicId } from '@hub/contracts';
import { eraseCustomer, type CustomerErasure, type KeyStore } from '@hub/crypto-shredding';
import type { EventStore } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';
import type { SnapshotStore } from './snapshot-store.port';

export interface EraseDeps {
  store: EventStore;
  keys: KeyStore;
  customers: CustomerRepository;
  identities: IdentityResolver;
  snapshots?: SnapshotStore;
}

export interface EraseRequest {
  tenantId: string;
  customerId: string;
  /** A code or ticket reference, never free text about the person. */
  reason: string;
  requestedBy: string;
  now: string;
}

/**
 * EraseCustomer (GDPR art. 17) in an immutable log: release the customer's identity claims (so the
 * person, should they write again, starts a new record instead of landing in an unreadable one),
 * destroy their key (every personal field of their events becomes unreadable, in the store and in
 * any backup of it), record CustomerErased, and drop the snapshot cache. Read models purge on
 * CustomerErased. Claims are released first because only then can their identities still be read.
 */
export async function eraseCustomerRecord(deps: EraseDeps, r: EraseRequest): Promise<CustomerErasure> {
  const { state } = await deps.customers.load(r.tenantId, r.customerId);
  const requestId = deterministicId('erasure', r.tenantId, r.customerId);
  for (const identity of state.identities) {
    await deps.identities.releaseClaim(r.tenantId, identity, r.customerId, {
      eventId: requestId,
      correlationId: requestId,
      causationId: requestId,
      occurredAt: r.now,
      recordedAt: r.now,
      schemaVersion: 1,
      tenantId: r.tenantId,
      channel: 'system',
    });
  }
  const erasure = await eraseCustomer({
    store: deps.store,
    keys: deps.keys,
    tenantId: r.tenantId,
    customerId: r.customerId,
    reason: r.reason,
    requestedBy: r.requestedBy,
    now: r.now,
    correlationId: requestId,
  });
  await deps.snapshots?.delete(r.tenantId, r.customerId);
  return erasure;
}
