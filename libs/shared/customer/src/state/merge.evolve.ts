import type {
  CustomerMergedInto,
  CustomerRestored,
  CustomersMerged,
  CustomerUnmerged,
  MergeProposalRejected,
  MergeProposed,
} from '../events/customer.events';
import type { CustomerState, MergeRecord } from './customer.state';
import { withIdentity, withoutIdentities } from './identities';

function withRecord(merges: MergeRecord[], record: MergeRecord): MergeRecord[] {
  return merges.some((m) => m.mergeId === record.mergeId && m.role === record.role) ? merges : [...merges, record];
}

function markUnmerged(merges: MergeRecord[], mergeId: string, role: MergeRecord['role'], at: string): MergeRecord[] {
  return merges.map((m) => (m.mergeId === mergeId && m.role === role && m.unmergedAt === undefined ? { ...m, unmergedAt: at } : m));
}

/** Survivor: the merged customer's identities join its own; it lists the merged customer. */
export function survivorAfterMerge(state: CustomerState, event: CustomersMerged): CustomerState {
  const d = event.data;
  return {
    ...state,
    identities: d.identitiesMoved.reduce(withIdentity, state.identities),
    mergedFrom: state.mergedFrom.includes(d.mergedId) ? state.mergedFrom : [...state.mergedFrom, d.mergedId],
    merges: withRecord(state.merges, {
      mergeId: d.mergeId,
      role: 'survivor',
      otherId: d.mergedId,
      source: d.evidence.source,
      reason: d.reason,
      mergedAt: event.metadata.occurredAt,
      identities: d.identitiesMoved,
    }),
    mergeProposals: state.mergeProposals.filter((p) => p.otherId !== d.mergedId),
  };
}

/** Merged: the record now lives on as the survivor; its identities belong to the survivor. */
export function mergedAfterMerge(state: CustomerState, event: CustomerMergedInto): CustomerState {
  const d = event.data;
  return {
    ...state,
    status: 'merged',
    mergedInto: d.survivorId,
    identities: withoutIdentities(state.identities, d.identitiesHandedOver),
    merges: withRecord(state.merges, {
      mergeId: d.mergeId,
      role: 'merged',
      otherId: d.survivorId,
      source: d.source,
      reason: d.reason,
      mergedAt: event.metadata.occurredAt,
      identities: d.identitiesHandedOver,
    }),
  };
}

/** Survivor, compensating: gives back the identities that moved in and stops listing the customer. */
export function survivorAfterUnmerge(state: CustomerState, event: CustomerUnmerged): CustomerState {
  const d = event.data;
  const merges = markUnmerged(state.merges, d.mergeId, 'survivor', event.metadata.occurredAt);
  const stillMerged = merges.some((m) => m.role === 'survivor' && m.otherId === d.restoredId && m.unmergedAt === undefined);
  return {
    ...state,
    identities: withoutIdentities(state.identities, d.identitiesReturned),
    mergedFrom: stillMerged ? state.mergedFrom : state.mergedFrom.filter((id) => id !== d.restoredId),
    merges,
  };
}

/** Restored, compensating: active again, with its identities back. */
export function restoredAfterUnmerge(state: CustomerState, event: CustomerRestored): CustomerState {
  const d = event.data;
  const { mergedInto, ...rest } = state;
  const stillMerged = mergedInto !== undefined && mergedInto !== d.survivorId;
  return {
    ...rest,
    ...(stillMerged ? { mergedInto } : {}),
    status: stillMerged ? 'merged' : 'active',
    identities: d.identitiesReturned.reduce(withIdentity, state.identities),
    merges: markUnmerged(state.merges, d.mergeId, 'merged', event.metadata.occurredAt),
  };
}

export function afterMergeProposed(state: CustomerState, event: MergeProposed): CustomerState {
  const d = event.data;
  if (state.mergeProposals.some((p) => p.proposalId === d.proposalId) || state.mergedFrom.includes(d.mergedId)) return state;
  return {
    ...state,
    mergeProposals: [
      ...state.mergeProposals,
      { proposalId: d.proposalId, otherId: d.mergedId, source: d.evidence.source, reason: d.reason, proposedAt: event.metadata.occurredAt },
    ],
  };
}

/** A person said no: the proposal is closed and remembered, so the pair is not proposed again. */
export function afterMergeProposalRejected(state: CustomerState, event: MergeProposalRejected): CustomerState {
  const d = event.data;
  if (state.rejectedMergeProposals.some((r) => r.proposalId === d.proposalId)) return state;
  return {
    ...state,
    mergeProposals: state.mergeProposals.filter((p) => p.proposalId !== d.proposalId),
    rejectedMergeProposals: [
      ...state.rejectedMergeProposals,
      { proposalId: d.proposalId, otherId: d.mergedId, reason: d.reason, rejectedAt: event.metadata.occurredAt },
    ],
  };
}
