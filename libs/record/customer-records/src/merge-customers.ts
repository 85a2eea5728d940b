import { deterministicId, type EventMetadata } from '@hub/contracts';
import {
  DEFAULT_MERGE_POLICY,
  decideMerge,
  decideRejectProposal,
  decideUnmerge,
  previewMerge,
  type CustomerEvent,
  type MergeDecision,
  type MergeEvidence,
  type MergePolicy,
  type MergePreview,
  type RejectProposalDecision,
  type UnmergeDecision,
} from '@hub/customer';
import { ConcurrencyError } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';

export interface MergeDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  policy?: MergePolicy;
}

export interface MergeRequest {
  tenantId: string;
  /** The two customers the evidence links, in any order: the survivor is chosen by `previewMerge`. */
  customerIds: [string, string];
  evidence: MergeEvidence;
  /** What asked for it (an order event id, an agent request id): a retry with it is the same merge. */
  requestId: string;
  now: string;
}

/** What would happen, without writing anything. */
export async function previewCustomerMerge(deps: MergeDeps, r: Omit<MergeRequest, 'requestId' | 'now'>): Promise<MergePreview> {
  const [a, b] = await Promise.all(r.customerIds.map((id) => deps.customers.load(r.tenantId, id)));
  return previewMerge(a!.state, b!.state, r.evidence, deps.policy ?? DEFAULT_MERGE_POLICY);
}

const systemMetadata = (tenantId: string, requestId: string, now: string): EventMetadata => ({
  eventId: deterministicId('claim-move', tenantId, requestId),
  correlationId: requestId,
  causationId: requestId,
  occurredAt: now,
  recordedAt: now,
  schemaVersion: 1,
  tenantId,
  channel: 'system',
});

async function appendBoth(
  deps: MergeDeps,
  tenantId: string,
  first: { id: string; events: CustomerEvent[]; revision: bigint | 'no_stream' },
  second: { id: string; events: CustomerEvent[]; revision: bigint | 'no_stream' },
): Promise<void> {
  // The first append is the lock: of two concurrent merges of one customer, one fails here.
  if (first.events.length) await deps.customers.append(tenantId, first.id, first.events, first.revision);
  if (second.events.length) await deps.customers.append(tenantId, second.id, second.events, second.revision);
}

/**
 * MergeCustomers: decide on both customers' folded state and the evidence policy (a paid order
 * merges, a detail typed into a chat only proposes, a conflicting external id never merges), record
 * the merge in both streams, and move the identities' claims to the survivor so later interactions
 * land there. Retried on concurrent writes; a merge half-recorded before a crash is completed.
 */
export async function mergeCustomers(deps: MergeDeps, r: MergeRequest): Promise<MergeDecision> {
  const policy = deps.policy ?? DEFAULT_MERGE_POLICY;
  for (let attempt = 1; ; attempt++) {
    const [a, b] = await Promise.all(r.customerIds.map((id) => deps.customers.load(r.tenantId, id)));
    const preview = previewMerge(a!.state, b!.state, r.evidence, policy);
    const [survivor, merged] = preview.survivorId === r.customerIds[0] ? [a!, b!] : [b!, a!];
    const decision = decideMerge(
      {
        tenantId: r.tenantId,
        survivorId: preview.survivorId,
        mergedId: preview.mergedId,
        evidence: r.evidence,
        causationId: r.requestId,
        correlationId: r.requestId,
      },
      survivor.state,
      merged.state,
      policy,
      r.now,
    );
    try {
      await appendBoth(
        deps,
        r.tenantId,
        { id: preview.mergedId, events: decision.merged, revision: merged.revision },
        { id: preview.survivorId, events: decision.survivor, revision: survivor.revision },
      );
    } catch (err) {
      if (err instanceof ConcurrencyError && attempt < 10) continue;
      throw err;
    }
    if (decision.outcome === 'merged' || decision.outcome === 'unchanged') {
      // Every identity the merged customer had when merged now belongs to the survivor (read back from
      // its stream, so a retry after a crash moves exactly the same claims).
      const recorded = (await deps.customers.history(r.tenantId, preview.mergedId)).events.find(
        (e) => e.type === 'CustomerMergedInto' && e.data.mergeId === decision.mergeId,
      );
      const handedOver = recorded?.type === 'CustomerMergedInto' ? recorded.data.identitiesHandedOver : [];
      for (const identity of handedOver) {
        await deps.identities.moveClaim(
          r.tenantId,
          identity,
          preview.mergedId,
          preview.survivorId,
          { kind: 'merge', mergeId: decision.mergeId },
          systemMetadata(r.tenantId, r.requestId, r.now),
        );
      }
    }
    return decision;
  }
}

export interface UnmergeRequest {
  tenantId: string;
  survivorId: string;
  mergeId: string;
  reason: string;
  requestId: string;
  now: string;
}

/** UnmergeCustomers: compensate a wrong merge in both streams and give the identities back. */
export async function unmergeCustomers(deps: MergeDeps, r: UnmergeRequest): Promise<UnmergeDecision> {
  for (let attempt = 1; ; attempt++) {
    const survivor = await deps.customers.load(r.tenantId, r.survivorId);
    const record = survivor.state.merges.find((m) => m.mergeId === r.mergeId && m.role === 'survivor');
    const restoredId = record?.otherId;
    const restored = restoredId ? await deps.customers.load(r.tenantId, restoredId) : survivor;
    const decision = decideUnmerge(
      { tenantId: r.tenantId, mergeId: r.mergeId, reason: r.reason, causationId: r.requestId, correlationId: r.requestId },
      survivor.state,
      restored.state,
      r.now,
    );
    try {
      if (restoredId)
        await appendBoth(
          deps,
          r.tenantId,
          { id: restoredId, events: decision.restored, revision: restored.revision },
          { id: r.survivorId, events: decision.survivor, revision: survivor.revision },
        );
    } catch (err) {
      if (err instanceof ConcurrencyError && attempt < 10) continue;
      throw err;
    }
    if (restoredId && (decision.outcome === 'unmerged' || decision.outcome === 'unchanged')) {
      const returned = record?.identities ?? [];
      for (const identity of returned) {
        await deps.identities.moveClaim(
          r.tenantId,
          identity,
          r.survivorId,
          restoredId,
          { kind: 'unmerge', mergeId: r.mergeId },
          systemMetadata(r.tenantId, r.requestId, r.now),
        );
      }
    }
    return decision;
  }
}

export interface RejectProposalRequest {
  tenantId: string;
  /** The customer the proposal is on (its would-be survivor). */
  survivorId: string;
  proposalId: string;
  /** A person's words: sealed with the customer's key like the proposal's own reason. */
  reason: string;
  requestId: string;
  now: string;
}

/** RejectMergeProposal: close a proposal a person said no to; the pair is not proposed again. */
export async function rejectMergeProposal(deps: Pick<MergeDeps, 'customers'>, r: RejectProposalRequest): Promise<RejectProposalDecision> {
  for (let attempt = 1; ; attempt++) {
    const survivor = await deps.customers.load(r.tenantId, r.survivorId);
    const decision = decideRejectProposal(
      {
        tenantId: r.tenantId,
        survivorId: r.survivorId,
        proposalId: r.proposalId,
        reason: r.reason,
        causationId: r.requestId,
        correlationId: r.requestId,
      },
      survivor.state,
      r.now,
    );
    try {
      if (decision.survivor.length) await deps.customers.append(r.tenantId, r.survivorId, decision.survivor, survivor.revision);
    } catch (err) {
      if (err instanceof ConcurrencyError && attempt < 10) continue;
      throw err;
    }
    return decision;
  }
}
