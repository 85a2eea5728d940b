import type { CustomerEvent, NbaActionKind, NbaContactMode, NbaOutcome } from '@hub/customer';

/** An earlier decision, as the contact policy counts it. */
export interface PastDecision {
  decisionId: string;
  actionId: string;
  kind: NbaActionKind;
  channel: string | null;
  contactMode: NbaContactMode;
  decidedAt: string;
  basedOnEventId: string;
  /** The learning segment it was decided in (null for decisions of the first rule set). */
  segment: string | null;
}

/** What became of an earlier decision. */
export interface PastOutcome {
  decisionId: string;
  actionId: string;
  outcome: NbaOutcome;
  at: string;
  segment: string | null;
}

/** One customer's decisions and their outcomes, in stream order: the contact policy's memory. */
export interface ContactHistory {
  decisions: PastDecision[];
  outcomes: PastOutcome[];
}

export const emptyContactHistory = (): ContactHistory => ({ decisions: [], outcomes: [] });

/** Handled event types; every other customer event leaves the history as it is. */
export const CONTACT_HISTORY_EVENT_TYPES = ['NextBestActionDecided', 'NbaOutcomeRecorded'] as const;

/** The history after one more customer event (a fold step). */
export function contactHistoryAfter(history: ContactHistory, event: CustomerEvent): ContactHistory {
  if (event.type === 'NextBestActionDecided') {
    const d = event.data;
    return {
      ...history,
      decisions: [
        ...history.decisions,
        {
          decisionId: d.decisionId,
          actionId: d.action.code,
          kind: d.action.kind,
          channel: d.action.channel ?? null,
          contactMode: d.contactMode,
          decidedAt: event.metadata.occurredAt,
          basedOnEventId: d.basedOnEventId,
          segment: d.segment,
        },
      ],
    };
  }
  if (event.type === 'NbaOutcomeRecorded') {
    const d = event.data;
    return {
      ...history,
      outcomes: [
        ...history.outcomes,
        { decisionId: d.decisionId, actionId: d.actionId, outcome: d.outcome, at: event.metadata.occurredAt, segment: d.segment },
      ],
    };
  }
  return history;
}

export function contactHistoryFrom(events: Iterable<CustomerEvent>): ContactHistory {
  let history = emptyContactHistory();
  for (const e of events) history = contactHistoryAfter(history, e);
  return history;
}

/**
 * Decisions that reached the customer and have no outcome `afterHours` after they were made: the
 * ones to record as `no_response` (by whatever schedules that, e.g. a delayed job per decision).
 */
export function outcomesDue(history: ContactHistory, now: string, afterHours: number): PastDecision[] {
  const nowMs = Date.parse(now);
  const answered = new Set(history.outcomes.map((o) => o.decisionId));
  return history.decisions.filter(
    (d) =>
      d.contactMode !== 'none' &&
      d.kind !== 'none' &&
      !answered.has(d.decisionId) &&
      nowMs - Date.parse(d.decidedAt) >= afterHours * 60 * 60 * 1000,
  );
}
