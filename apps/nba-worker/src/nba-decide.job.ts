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
    const { state, revision, events } = await this.customers.load(data.tenantId, data.customerId);
    const latest = [...events].reverse().find((e) => e.type === 'InteractionRecorded');
    if (!latest || revision === 'no_stream') return { kind: 'nothing_to_decide' };
    const last = state.lastDecision;
    if (last && last.basedOnEventId === latest.eventId) return { kind: 'already_decided', decisionId: last.decisionId };

    const at = now.toISOString();
    const choice = decideNextBestAction(state, at);
    const decisionId = deterministicId('nba-decision', data.tenantId, data.customerId, latest.eventId, choice.rulesetVersion);
    const metadata: EventMetadata = {
      eventId: decisionId,
      correlationId: data.correlationId,
      causationId: latest.eventId,
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
        basedOnEventId: latest.eventId,
      },
      metadata,
    };
    const result = await this.customers.append(data.tenantId, data.customerId, [decided], revision);
    return { kind: 'decided', decisionId, action: choice.action.code, revision: result.nextExpectedRevision.toString() };
  }
}
