import { deterministicId, type EventMetadata, type IdentityRef } from '@hub/contracts';
import type { CustomerEvent, CustomerEventType, MergeEvidence } from '../events/customer.events';
import { CURRENT_SCHEMA_VERSIONS } from '../events/schema-versions';
import { instant } from '../time/instant';
import type { CustomerState, MergeRecord } from '../state/customer.state';
import { hasIdentity } from '../state/identities';
import { conflictingExternalIds, mergeModeFor, type MergePolicy } from './merge.policy';

/** Stable codes for every merge / unmerge outcome (STYLE.md #17); `reason` says the same in words. */
export const MERGE_REASON_CODES = [
  'policy_auto',
  'policy_propose',
  'policy_never',
  'conflicting_external_id',
  'previously_unmerged',
  'previously_rejected',
  'proposal_not_found',
  'proposal_rejected',
  'same_customer',
  'tenant_mismatch',
  'unknown_customer',
  'customer_merged',
  'customer_erased',
  'already_applied',
  'wrong_customer',
  'merge_not_found',
  'survivor_merged',
  'unmerged',
] as const;
export type MergeReasonCode = (typeof MERGE_REASON_CODES)[number];

export interface MergePreview {
  decision: 'merge' | 'propose' | 'refuse';
  survivorId: string;
  mergedId: string;
  reasonCode: MergeReasonCode;
  reason: string;
  /** The merged customer's identities the survivor does not have yet. */
  identitiesMoving: IdentityRef[];
}

/** MergeCustomers: merge `mergedId` into `survivorId` on this evidence (choose them with `previewMerge`). */
export interface MergeCustomers {
  tenantId: string;
  survivorId: string;
  mergedId: string;
  evidence: MergeEvidence;
  /** What asked for the merge (an order event, an agent's request): derives the merge id, so a retry is the same merge. */
  causationId: string;
  correlationId: string;
}

export interface MergeDecision {
  outcome: 'merged' | 'proposed' | 'refused' | 'unchanged';
  reasonCode: MergeReasonCode;
  reason: string;
  mergeId: string;
  /**
   * Append `merged` to the merged customer's stream first, with the revision its state was loaded
   * at: that append is the lock (of two concurrent merges of one customer, one fails and, decided
   * again, is refused). Then `survivor` to the survivor's stream.
   */
  survivor: CustomerEvent[];
  merged: CustomerEvent[];
}

/** UnmergeCustomers: undo one merge, found by its id in the survivor's state. */
export interface UnmergeCustomers {
  tenantId: string;
  mergeId: string;
  reason: string;
  causationId: string;
  correlationId: string;
}

export interface UnmergeDecision {
  outcome: 'unmerged' | 'refused' | 'unchanged';
  reasonCode: MergeReasonCode;
  reason: string;
  /** Append `restored` to the restored customer's stream first, then `survivor` to the survivor's. */
  survivor: CustomerEvent[];
  restored: CustomerEvent[];
}

/**
 * The evidence source of a person's confirmation. After an unmerge (a person said "two people"),
 * automatic evidence about the same pair only proposes; only this source merges them again.
 */
export const AGENT_CONFIRMED_SOURCE = 'agent_confirmed';

const NO_INSTANT = Number.POSITIVE_INFINITY;
const registered = (s: CustomerState): number => (s.registeredAt === undefined ? NO_INSTANT : instant(s.registeredAt));

/**
 * Which of two customers survives a merge: the one registered first; at the same instant (or both
 * unknown), the smaller customer id. Deterministic, so every process picks the same survivor.
 */
export function chooseSurvivor(a: CustomerState, b: CustomerState): [survivor: CustomerState, merged: CustomerState] {
  const ra = registered(a);
  const rb = registered(b);
  if (ra !== rb) return ra < rb ? [a, b] : [b, a];
  return (a.customerId ?? '') <= (b.customerId ?? '') ? [a, b] : [b, a];
}

const movingIdentities = (survivor: CustomerState, merged: CustomerState): IdentityRef[] =>
  merged.identities.filter((i) => !hasIdentity(survivor.identities, i));

type Assessment = Pick<MergePreview, 'decision' | 'reasonCode' | 'reason'>;

/** The checks every merge passes, in order: who, which tenant, whether alive, conflicts, then policy. */
function assess(survivor: CustomerState, merged: CustomerState, evidence: MergeEvidence, policy: MergePolicy): Assessment {
  const refuse = (reasonCode: MergeReasonCode, reason: string): Assessment => ({ decision: 'refuse', reasonCode, reason });
  if (survivor.status === 'unknown' || merged.status === 'unknown' || !survivor.customerId || !merged.customerId) {
    return refuse('unknown_customer', 'both customers must be registered');
  }
  if (survivor.customerId === merged.customerId) return refuse('same_customer', 'a customer cannot be merged with itself');
  if (survivor.tenantId !== merged.tenantId) return refuse('tenant_mismatch', 'customers of different tenants are never merged');
  for (const s of [survivor, merged]) {
    if (s.status === 'merged')
      return refuse('customer_merged', `customer ${s.customerId} is already merged into ${s.mergedInto ?? 'another'}`);
    // An erased record holds nothing of the person to merge, and a live one merged into it would be
    // erased with it by the next erasure of the whole person.
    if (s.status === 'erased') return refuse('customer_erased', `customer ${s.customerId} was erased: erased customers are not merged`);
  }
  const conflicts = conflictingExternalIds(survivor.identities, merged.identities);
  if (conflicts.length > 0) {
    const which = conflicts.map((c) => `${c.namespace} (${c.survivorValues.join(', ')} vs ${c.mergedValues.join(', ')})`).join('; ');
    return refuse('conflicting_external_id', `the customers hold different external ids in ${which}: never merged`);
  }
  const mode = mergeModeFor(policy, evidence.source);
  const unmergedBefore = survivor.merges.some((m) => m.otherId === merged.customerId && m.unmergedAt !== undefined);
  // A person rejected proposing this pair: what would only propose it again proposes nothing.
  const rejected = survivor.rejectedMergeProposals.find((r) => r.otherId === merged.customerId);
  const proposal = (p: Assessment): Assessment =>
    rejected
      ? refuse(
          'previously_rejected',
          `a person rejected merging these customers (proposal ${rejected.proposalId}), so evidence "${evidence.source}" proposes nothing`,
        )
      : p;
  if (mode === 'auto' && unmergedBefore && evidence.source !== AGENT_CONFIRMED_SOURCE) {
    return proposal({
      decision: 'propose',
      reasonCode: 'previously_unmerged',
      reason: `these customers were unmerged before, so evidence "${evidence.source}" only proposes: ${evidence.detail}`,
    });
  }
  switch (mode) {
    case 'auto':
      return {
        decision: 'merge',
        reasonCode: 'policy_auto',
        reason: `evidence "${evidence.source}" merges automatically: ${evidence.detail}`,
      };
    case 'propose':
      return proposal({
        decision: 'propose',
        reasonCode: 'policy_propose',
        reason: `evidence "${evidence.source}" only proposes a merge, a person must confirm: ${evidence.detail}`,
      });
    case 'never':
      return refuse('policy_never', `evidence "${evidence.source}" never merges`);
    default: {
      const exhaustive: never = mode;
      return exhaustive;
    }
  }
}

/**
 * What merging two customers on this evidence would do, without doing it. The survivor is chosen
 * by `chooseSurvivor`, whatever order the customers are given in.
 */
export function previewMerge(a: CustomerState, b: CustomerState, evidence: MergeEvidence, policy: MergePolicy): MergePreview {
  const [survivor, merged] = chooseSurvivor(a, b);
  return {
    ...assess(survivor, merged, evidence, policy),
    survivorId: survivor.customerId ?? '',
    mergedId: merged.customerId ?? '',
    identitiesMoving: movingIdentities(survivor, merged),
  };
}

/** The merge id: the same command (same customers, same cause) is always the same merge. */
export function mergeIdOf(command: Pick<MergeCustomers, 'tenantId' | 'survivorId' | 'mergedId' | 'causationId'>): string {
  return deterministicId('customers-merged', command.tenantId, command.survivorId, command.mergedId, command.causationId);
}

function metadataFor(
  type: CustomerEventType,
  eventId: string,
  command: { tenantId: string; causationId: string; correlationId: string },
  now: string,
): EventMetadata {
  return {
    eventId,
    correlationId: command.correlationId,
    causationId: command.causationId,
    occurredAt: now,
    recordedAt: now,
    schemaVersion: CURRENT_SCHEMA_VERSIONS[type],
    tenantId: command.tenantId,
    channel: 'system',
  };
}

const findRecord = (state: CustomerState, mergeId: string, role: MergeRecord['role']): MergeRecord | undefined =>
  state.merges.find((m) => m.mergeId === mergeId && m.role === role);

/**
 * Decide MergeCustomers. Events carry ids derived from the merge id, so appending them again is a
 * no-op; and a merge recorded in one stream but not yet the other (a crash between the two
 * appends) is completed from what was recorded, not judged again: retrying the command repairs it.
 */
export function decideMerge(
  command: MergeCustomers,
  survivorState: CustomerState,
  mergedState: CustomerState,
  policy: MergePolicy,
  now: string,
): MergeDecision {
  const mergeId = mergeIdOf(command);
  const result = (
    outcome: MergeDecision['outcome'],
    reasonCode: MergeReasonCode,
    reason: string,
    survivor: CustomerEvent[] = [],
    merged: CustomerEvent[] = [],
  ): MergeDecision => ({
    outcome,
    reasonCode,
    reason,
    mergeId,
    survivor,
    merged,
  });

  if (survivorState.customerId !== command.survivorId || mergedState.customerId !== command.mergedId) {
    if (survivorState.status === 'unknown' || mergedState.status === 'unknown')
      return result('refused', 'unknown_customer', 'both customers must be registered');
    return result('refused', 'wrong_customer', 'the states given are not the customers the command names');
  }

  const survivorRecord = findRecord(survivorState, mergeId, 'survivor');
  const mergedRecord = findRecord(mergedState, mergeId, 'merged');
  if (survivorRecord?.unmergedAt !== undefined || mergedRecord?.unmergedAt !== undefined || (survivorRecord && mergedRecord)) {
    return result('unchanged', 'already_applied', `merge ${mergeId} is already recorded`);
  }

  const mergeEvents = (
    reason: string,
    identitiesMoved: IdentityRef[],
    identitiesHandedOver: IdentityRef[],
  ): Pick<MergeDecision, 'survivor' | 'merged'> => ({
    survivor: [
      {
        type: 'CustomersMerged',
        data: { mergeId, survivorId: command.survivorId, mergedId: command.mergedId, reason, evidence: command.evidence, identitiesMoved },
        metadata: metadataFor('CustomersMerged', deterministicId('customers-merged-event', mergeId), command, now),
      },
    ],
    merged: [
      {
        type: 'CustomerMergedInto',
        data: { mergeId, survivorId: command.survivorId, reason, source: command.evidence.source, identitiesHandedOver },
        metadata: metadataFor('CustomerMergedInto', deterministicId('customer-merged-into-event', mergeId), command, now),
      },
    ],
  });

  if (survivorRecord || mergedRecord) {
    // Half recorded (a crash between the two appends): complete it with what was decided then.
    const handedOver = mergedRecord?.identities ?? mergedState.identities;
    const moved = survivorRecord?.identities ?? handedOver.filter((i) => !hasIdentity(survivorState.identities, i));
    const reason = survivorRecord?.reason ?? mergedRecord?.reason ?? '';
    const events = mergeEvents(reason, moved, handedOver);
    return result('merged', 'already_applied', `completing merge ${mergeId} recorded in one stream only`, events.survivor, events.merged);
  }

  const assessment = assess(survivorState, mergedState, command.evidence, policy);
  const moving = movingIdentities(survivorState, mergedState);
  switch (assessment.decision) {
    case 'refuse':
      return result('refused', assessment.reasonCode, assessment.reason);
    case 'propose': {
      if (survivorState.mergeProposals.some((p) => p.proposalId === mergeId))
        return result('unchanged', 'already_applied', `merge ${mergeId} is already proposed`);
      return result('proposed', assessment.reasonCode, assessment.reason, [
        {
          type: 'MergeProposed',
          data: {
            proposalId: mergeId,
            survivorId: command.survivorId,
            mergedId: command.mergedId,
            reason: assessment.reason,
            evidence: command.evidence,
            identitiesMoving: moving,
          },
          metadata: metadataFor('MergeProposed', deterministicId('merge-proposed-event', mergeId), command, now),
        },
      ]);
    }
    case 'merge': {
      const events = mergeEvents(assessment.reason, moving, mergedState.identities);
      return result('merged', assessment.reasonCode, assessment.reason, events.survivor, events.merged);
    }
    default: {
      const exhaustive: never = assessment.decision;
      return exhaustive;
    }
  }
}

/** RejectMergeProposal: a person says the customers a proposal names are not one person. */
export interface RejectMergeProposal {
  tenantId: string;
  survivorId: string;
  proposalId: string;
  reason: string;
  causationId: string;
  correlationId: string;
}

export interface RejectProposalDecision {
  outcome: 'rejected' | 'refused' | 'unchanged';
  reasonCode: MergeReasonCode;
  reason: string;
  /** Append to the survivor's stream (the proposal's). */
  survivor: CustomerEvent[];
}

/**
 * Decide RejectMergeProposal: `MergeProposalRejected`, with an id derived from the proposal (so a
 * retry appends nothing), while the proposal is open; `unchanged` once rejected; refused otherwise
 * (never proposed, or already closed by a merge of the pair).
 */
export function decideRejectProposal(command: RejectMergeProposal, survivorState: CustomerState, now: string): RejectProposalDecision {
  const result = (
    outcome: RejectProposalDecision['outcome'],
    reasonCode: MergeReasonCode,
    reason: string,
    survivor: CustomerEvent[] = [],
  ): RejectProposalDecision => ({ outcome, reasonCode, reason, survivor });
  if (survivorState.customerId !== command.survivorId)
    return result('refused', 'unknown_customer', 'the state given is not the customer the command names');
  if (survivorState.rejectedMergeProposals.some((r) => r.proposalId === command.proposalId))
    return result('unchanged', 'already_applied', `proposal ${command.proposalId} is already rejected`);
  const proposal = survivorState.mergeProposals.find((p) => p.proposalId === command.proposalId);
  if (!proposal) return result('refused', 'proposal_not_found', `no open merge proposal ${command.proposalId} for this customer`);
  return result('rejected', 'proposal_rejected', command.reason, [
    {
      type: 'MergeProposalRejected',
      data: { proposalId: proposal.proposalId, survivorId: command.survivorId, mergedId: proposal.otherId, reason: command.reason },
      metadata: metadataFor(
        'MergeProposalRejected',
        deterministicId('merge-proposal-rejected-event', command.tenantId, proposal.proposalId),
        command,
        now,
      ),
    },
  ]);
}

/**
 * Decide UnmergeCustomers: compensating events that give the merged customer back its identities
 * and its own life. Refused while the survivor is itself merged into a third customer (undo that
 * merge first). Like `decideMerge`, a half-recorded unmerge is completed on retry.
 */
export function decideUnmerge(
  command: UnmergeCustomers,
  survivorState: CustomerState,
  restoredState: CustomerState,
  now: string,
): UnmergeDecision {
  const result = (
    outcome: UnmergeDecision['outcome'],
    reasonCode: MergeReasonCode,
    reason: string,
    survivor: CustomerEvent[] = [],
    restored: CustomerEvent[] = [],
  ): UnmergeDecision => ({
    outcome,
    reasonCode,
    reason,
    survivor,
    restored,
  });
  const record = findRecord(survivorState, command.mergeId, 'survivor');
  if (!record || !survivorState.customerId)
    return result('refused', 'merge_not_found', `no merge ${command.mergeId} in this customer's history`);
  if (restoredState.customerId !== record.otherId)
    return result(
      'refused',
      'wrong_customer',
      `merge ${command.mergeId} merged ${record.otherId}, not ${restoredState.customerId ?? 'an unknown customer'}`,
    );
  const restoredRecord = findRecord(restoredState, command.mergeId, 'merged');
  const survivorDone = record.unmergedAt !== undefined;
  const restoredDone = restoredRecord === undefined || restoredRecord.unmergedAt !== undefined;
  if (survivorDone && restoredDone) return result('unchanged', 'already_applied', `merge ${command.mergeId} is already undone`);
  // CustomerRestored would make an erased record active again: what was erased stays erased.
  if (!restoredDone && restoredState.status === 'erased')
    return result(
      'refused',
      'customer_erased',
      `customer ${record.otherId} was erased (with the person it was merged into, or on its own): it is not given back`,
    );
  if (!survivorDone && survivorState.status === 'merged') {
    return result(
      'refused',
      'survivor_merged',
      `customer ${survivorState.customerId} has since been merged into ${survivorState.mergedInto ?? 'another'}: undo that merge first`,
    );
  }
  const reason = command.reason;
  return result(
    'unmerged',
    'unmerged',
    reason,
    [
      {
        type: 'CustomerUnmerged',
        data: { mergeId: command.mergeId, restoredId: record.otherId, reason, identitiesReturned: record.identities },
        metadata: metadataFor('CustomerUnmerged', deterministicId('customer-unmerged-event', command.mergeId), command, now),
      },
    ],
    restoredDone
      ? []
      : [
          {
            type: 'CustomerRestored',
            data: { mergeId: command.mergeId, survivorId: survivorState.customerId, reason, identitiesReturned: restoredRecord.identities },
            metadata: metadataFor('CustomerRestored', deterministicId('customer-restored-event', command.mergeId), command, now),
          },
        ],
  );
}
