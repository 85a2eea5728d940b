import type { CustomerRepository } from '@hub/customer-records';
import { decideNoResponse } from '@hub/nba';
import type { NoResponseFollowUp } from './nba-follow-ups.port';

/** Data of one `NbaNoResponseJob`: the decision whose answer is awaited. */
export type NbaNoResponseJobData = NoResponseFollowUp;

export type NbaNoResponseOutcome =
  | { kind: 'recorded'; eventId: string }
  /** Nothing to record: an outcome or a reply came first, the decision made no contact, or the customer is gone. */
  | { kind: 'answered'; reason: 'already_recorded' | 'customer_replied' | 'no_contact' | 'unknown_decision' | 'customer_erased' }
  /** Run too early (the timeout was lengthened since it was scheduled): run again at `dueAt`. */
  | { kind: 'not_yet_due'; dueAt: string };

/**
 * A decision that contacted the customer and heard nothing back: `NbaOutcomeRecorded{no_response}`
 * once the timeout passed, unless an outcome or an inbound message came first — checked on the
 * stream when the delayed job runs, so a check that was not cancelled in time still records nothing.
 * The outcome's id derives from the decision: a retried job, or a person recording an outcome at
 * the same moment, stores one outcome.
 */
export class NbaNoResponseJob {
  static readonly jobName = 'NbaNoResponseJob';

  constructor(
    private readonly customers: CustomerRepository,
    private readonly noResponseAfterMs: number,
  ) {}

  async run(data: NbaNoResponseJobData, now: Date): Promise<NbaNoResponseOutcome> {
    const { recorded, events } = await this.customers.history(data.tenantId, data.customerId);
    const revision = recorded.at(-1)?.revision;
    if (revision === undefined) return { kind: 'answered', reason: 'unknown_decision' };
    if (events.some((e) => e.type === 'CustomerErased')) return { kind: 'answered', reason: 'customer_erased' };
    const r = decideNoResponse(events, {
      tenantId: data.tenantId,
      customerId: data.customerId,
      decisionId: data.decisionId,
      now: now.toISOString(),
      afterHours: this.noResponseAfterMs / 3_600_000,
    });
    switch (r.kind) {
      case 'record':
        await this.customers.append(data.tenantId, data.customerId, [r.event], revision);
        return { kind: 'recorded', eventId: r.event.metadata.eventId };
      case 'not_yet_due':
        return r;
      case 'already_recorded':
      case 'customer_replied':
      case 'no_contact':
      case 'unknown_decision':
        return { kind: 'answered', reason: r.kind };
      default: {
        const _exhaustive: never = r;
        return _exhaustive;
      }
    }
  }
}
