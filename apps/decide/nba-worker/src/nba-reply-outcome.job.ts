import type { CustomerRepository } from '@hub/customer-records';
import { ConcurrencyError } from '@hub/event-store';
import { decideReplyOutcome, type ReplyOutcomeDecision, type ReplyOutcomeRules } from '@hub/nba';
import type { ReplyOutcomeFollowUp } from './nba-follow-ups.port';

/** Data of one `NbaReplyOutcomeJob`: the customer event that may answer a decision. */
export type NbaReplyOutcomeJobData = ReplyOutcomeFollowUp;

export type NbaReplyOutcomeOutcome =
  | { kind: 'recorded'; eventId: string; decisionId: string; outcome: string; source: string }
  /** The decision it answers has an outcome already (this reply's, redelivered, or another's first). */
  | { kind: 'already_recorded'; decisionId: string }
  /** It answers no decision (`reason` as `outcomeOfReply` says), or the customer is gone. */
  | { kind: 'not_an_outcome'; reason: Extract<ReplyOutcomeDecision, { kind: 'none' }>['reason'] | 'unknown_event' | 'customer_erased' };

/** Appends lost to a concurrent writer (a decision, another outcome) are retried on the fresh stream this many times. */
const MAX_ATTEMPTS = 5;

/**
 * The customer's answer to a decision, recorded: a button or list reply naming it, a keyword reply
 * to the latest open decision on the channel, an order after an offer (`decideReplyOutcome` of
 * @hub/nba, over the history before the event). Appends `NbaOutcomeRecorded` with the revision it
 * read; the outcome's id derives from the decision, so a retried job, a redelivered reply or a
 * person recording at the same moment store one outcome. The relayed outcome is then counted and
 * drops the decision's no-response check (the customer-event router), as every outcome does.
 */
export class NbaReplyOutcomeJob {
  static readonly jobName = 'NbaReplyOutcomeJob';

  constructor(
    private readonly customers: CustomerRepository,
    private readonly rules: ReplyOutcomeRules,
  ) {}

  async run(data: NbaReplyOutcomeJobData, now: Date): Promise<NbaReplyOutcomeOutcome> {
    for (let attempt = 1; ; attempt++) {
      const { recorded, events } = await this.customers.history(data.tenantId, data.customerId);
      const revision = recorded.at(-1)?.revision;
      if (revision === undefined) return { kind: 'not_an_outcome', reason: 'unknown_event' };
      if (events.some((e) => e.type === 'CustomerErased')) return { kind: 'not_an_outcome', reason: 'customer_erased' };
      const r = decideReplyOutcome(
        events,
        { tenantId: data.tenantId, customerId: data.customerId, eventId: data.eventId, now: now.toISOString() },
        this.rules,
      );
      switch (r.kind) {
        case 'record':
          try {
            const appended = await this.customers.append(data.tenantId, data.customerId, [r.event], revision);
            if (appended.duplicate) return { kind: 'already_recorded', decisionId: r.event.data.decisionId };
          } catch (err) {
            if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
            throw err;
          }
          return {
            kind: 'recorded',
            eventId: r.event.metadata.eventId,
            decisionId: r.event.data.decisionId,
            outcome: r.event.data.outcome,
            source: r.event.data.source,
          };
        case 'already_recorded':
          return { kind: 'already_recorded', decisionId: r.decisionId };
        case 'unknown_event':
          return { kind: 'not_an_outcome', reason: 'unknown_event' };
        case 'none':
          return { kind: 'not_an_outcome', reason: r.reason };
        default: {
          const _exhaustive: never = r;
          return _exhaustive;
        }
      }
    }
  }
}
