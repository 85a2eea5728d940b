/**
 * What the decide job schedules after a decision, as a port: the adapter is a BullMQ queue
 * (`bullmq.nba-follow-ups.ts`); specs of the job may pass a recording one.
 */
export const NBA_FOLLOW_UPS = Symbol('NBA_FOLLOW_UPS');

/** The no-response check of one decision. */
export interface NoResponseFollowUp {
  tenantId: string;
  customerId: string;
  decisionId: string;
  correlationId: string;
}

/** A customer event that may answer a decision (a reply, a keyword, an order): its outcome is linked by `NbaReplyOutcomeJob`. */
export interface ReplyOutcomeFollowUp {
  tenantId: string;
  customerId: string;
  /** The reply's (or order's) event id in the customer's stream. */
  eventId: string;
  correlationId: string;
}

export interface NbaFollowUps {
  /** Check for a no-response `delayMs` from now; once per decision (a second call changes nothing). */
  scheduleNoResponse(followUp: NoResponseFollowUp, delayMs: number): Promise<void>;
  /** Drop the pending check of a decision (an outcome or a reply came first). Nothing pending: nothing happens. */
  cancelNoResponse(decisionId: string): Promise<void>;
  /** Link a reply to the decision it answers, soon; once per reply (a redelivered event adds nothing). */
  scheduleReplyOutcome(followUp: ReplyOutcomeFollowUp): Promise<void>;
}

/** No follow-ups (a job run on its own, e.g. by a benchmark of the bare decision). */
export const NO_FOLLOW_UPS: NbaFollowUps = {
  scheduleNoResponse: async () => undefined,
  cancelNoResponse: async () => undefined,
  scheduleReplyOutcome: async () => undefined,
};
