import { deterministicId, type IdentityRef } from '@hub/contracts';
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

/** One customer record an erasure request erased (or found erased already). */
export interface ErasedRecord {
  customerId: string;
  /** The customer asked for, when this record was erased with it (it is merged into that one); null for that customer itself. */
  cascadeOf: string | null;
  /** True when this request destroyed the record's key; false when it was already gone. */
  keyDestroyed: boolean;
  /** True when the record's `CustomerErased` was already recorded: nothing was written for it. */
  duplicate: boolean;
  /** The record's `CustomerErased`, as appended now or (on a repeat) as this request built it. */
  event: CustomerErasure['event'];
}

/** What an erasure request did: the customer asked for, then every record merged into it. */
export interface CustomerRecordErasure {
  customerId: string;
  /** The customer asked for first, then each record merged into it and not unmerged, at any depth. */
  records: ErasedRecord[];
  /** The key of the customer asked for was destroyed by this request. */
  keyDestroyed: boolean;
  /** Every record's `CustomerErased` was recorded already: this request wrote nothing (a repeat, a redelivery). */
  duplicate: boolean;
  /**
   * Set when the customer asked for had been merged into another: the person lives on as that one,
   * which this request did not erase (erase it to erase the whole person).
   */
  mergedInto: string | null;
  /**
   * Records a customer's stream still lists as merged in, whose own stream says an unmerge gave them
   * back (`CustomerRestored` recorded, the survivor's `CustomerUnmerged` not: an unmerge a crash left
   * half done). Another person by a person's word: not erased. Retry the unmerge.
   */
  notErased: string[];
}

/**
 * EraseCustomer (GDPR art. 17) in an immutable log, for the whole person: the customer asked for
 * and every customer record merged into it and not unmerged — at any depth, the same records its
 * state is folded from (`wholeHistory`) — each erased on its own: its identity claims released (so
 * the person, should they write again, starts a new record instead of landing in an unreadable one),
 * its key destroyed (every personal field of its events becomes unreadable, in the store and in any
 * later backup), its `CustomerErased` recorded (a merged-in record's names the customer asked for in
 * `cascadeOf`), its snapshot dropped. Read models purge on each `CustomerErased`. Claims are released
 * before the key goes because only then can their identities still be read.
 *
 * The customer asked for goes first, so its claims stop taking new interactions at once; a crash
 * part-way is repaired by asking again (the merged-in records are read from its stream, which the
 * erasure does not change). Idempotent: every step is, and `CustomerErased`'s id is one per record.
 * Records unmerged before the erasure are another person's and are not touched (nor one whose own
 * stream already says it was given back, `notErased`); a customer merged into another is erased with
 * the records merged into it, not its survivor (`mergedInto` says who).
 */
export async function eraseCustomerRecord(deps: EraseDeps, r: EraseRequest): Promise<CustomerRecordErasure> {
  const requestId = deterministicId('erasure', r.tenantId, r.customerId);
  const records: ErasedRecord[] = [];
  const notErased: string[] = [];
  let mergedInto: string | null = null;
  // Each record with the record whose stream lists it as merged in (none for the customer asked for).
  const queue: { customerId: string; listedBy?: string }[] = [{ customerId: r.customerId }];
  for (let i = 0; i < queue.length; i++) {
    const { customerId, listedBy } = queue[i]!;
    const { state } = await deps.customers.load(r.tenantId, customerId);
    if (i === 0) mergedInto = state.status === 'merged' ? (state.mergedInto ?? null) : null;
    // Its own stream must agree (an erased record keeps `mergedInto`): a restored one is not the person's.
    if (listedBy !== undefined && state.mergedInto !== listedBy) {
      notErased.push(customerId);
      continue;
    }
    const cascadeOf = i === 0 ? undefined : r.customerId;
    const erasure = await eraseOneRecord(deps, r, customerId, state.identities, requestId, cascadeOf);
    records.push({
      customerId,
      cascadeOf: cascadeOf ?? null,
      keyDestroyed: erasure.keyDestroyed,
      duplicate: erasure.duplicate,
      event: erasure.event,
    });
    // The records merged into this one and not unmerged (its own stream's merges: erasure keeps them).
    for (const id of state.mergedFrom) if (!queue.some((q) => q.customerId === id)) queue.push({ customerId: id, listedBy: customerId });
  }
  return {
    customerId: r.customerId,
    records,
    keyDestroyed: records[0]?.keyDestroyed ?? false,
    duplicate: records.every((x) => x.duplicate),
    mergedInto,
    notErased,
  };
}

async function eraseOneRecord(
  deps: EraseDeps,
  r: EraseRequest,
  customerId: string,
  identities: readonly IdentityRef[],
  requestId: string,
  cascadeOf: string | undefined,
): Promise<CustomerErasure> {
  for (const identity of identities) {
    await deps.identities.releaseClaim(r.tenantId, identity, customerId, {
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
    customerId,
    reason: r.reason,
    requestedBy: r.requestedBy,
    now: r.now,
    correlationId: requestId,
    ...(cascadeOf === undefined ? {} : { cascadeOf }),
  });
  await deps.snapshots?.delete(r.tenantId, customerId);
  return erasure;
}
