import { deterministicId, type EventMetadata } from '@hub/contracts';
import type { NextBestActionDecided } from '@hub/customer';
import type { CustomerRepository } from '@hub/customer-records';
import { decideNextBestAction } from '@hub/nba';

/** Data of one `NbaDecideJob`: which customer to decide for, and what triggered it. */
export interface NbaDecideJobData {
  tenantId: string;
  customerId: string;
  triggerEventId: string;
  correlationId: string;
}

export type NbaDecideOutcome =
  | { kind: 'decided'; decisionId: string; action: string; revision: string }
  | { kind: 'already_decided'; decisionId: string }
  | { kind: 'nothing_to_decide' };

/**
 * Decide the next best action for one customer. Orchestration only: load (fold the stream), decide
 * (pure), append the decision with the revision it was made on. The decision id is derived from the
 * interaction it answers, so a retried job can never record the same decision twice; a concurrent
 * append surfaces as ConcurrencyError and BullMQ retries the job on fresh state.
 */
export class NbaDecideJob {
  static readonly jobName = 'NbaDecideJob';

  constructor(private readonly customers: CustomerRepository) {}

  async run(data: NbaDecideJobData, now: Date): Promise<NbaDecideOutcome> {
    const { state, revision } = await this.customers.load(data.tenantId, data.customerId);
    // Merged customers live on in their survivor; erased ones are not contacted again.
    if (state.status === 'merged' || state.status === 'erased') return { kind: 'nothing_to_decide' };
    const latestId = state.lastInteractionEventId;
    if (!latestId || revision === 'no_stream') return { kind: 'nothing_to_decide' };
    const last = state.lastDecision;
    if (last && last.basedOnEventId === latestId) return { kind: 'already_decided', decisionId: last.decisionId };

    const at = now.toISOString();
    const choice = decideNextBestAction(state, at);
    const decisionId = deterministicId('nba-decision', data.tenantId, data.customerId, latestId, choice.rulesetVersion);
    const metadata: EventMetadata = {
      eventId: decisionId,
      correlationId: data.correlationId,
      causationId: latestId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId: data.tenantId,
      channel: 'system',
    };
    const decided: NextBestActionDecided = {
      type: 'NextBestActionDecided',
      data: {
        decisionId,
        customerId: data.customerId,
        action: choice.action,
        explanation: choice.explanation,
        rulesetVersion: choice.rulesetVersion,
        basedOnRevision: revision.toString(),
        basedOnEventId: latestId,
      },
      metadata,
    };
    const result = await this.customers.append(data.tenantId, data.customerId, [decided], revision);
    return { kind: 'decided', decisionId, action: choice.action.code, revision: result.nextExpectedRevision.toString() };
  }
}
