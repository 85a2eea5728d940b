import { deterministicId, type ChannelId } from '@hub/contracts';
import {
  CURRENT_SCHEMA_VERSIONS,
  type CustomerEvent,
  type NbaContactMode,
  type NbaOutcome,
  type NbaOutcomeRecorded,
  type NextBestActionDecided,
} from '@hub/customer';

/**
 * Recording what became of a decision: one `NbaOutcomeRecorded` per decision, whoever observes it
 * first (a person through the API, or the no-response timeout). Pure: the caller reads the stream
 * and appends the event with the revision it read.
 */

/** How a recorded decision reaches the customer (`none` when it does not; v1 decisions answered where the customer wrote: see the upcaster). */
export function decisionContactMode(decision: NextBestActionDecided): NbaContactMode {
  return decision.data.action.kind === 'none' ? 'none' : decision.data.contactMode;
}

/** The decision's action reaches the customer (a reply, a proactive contact or a person taking over). */
export const contactsCustomer = (decision: NextBestActionDecided): boolean => decisionContactMode(decision) !== 'none';

/** One outcome per decision: its event id derives from the decision, so two observers racing store one. */
export const outcomeEventId = (tenantId: string, customerId: string, decisionId: string): string =>
  deterministicId('nba-outcome', tenantId, customerId, decisionId);

export interface RecordOutcomeCommand {
  tenantId: string;
  customerId: string;
  decisionId: string;
  outcome: NbaOutcome;
  /** Where it was observed; default: the channel the decision chose. */
  channel?: ChannelId;
  /** Who observed it: `agent`, `channel`, `api`, `timeout`, … */
  source: string;
  now: string;
  /** Default: the decision's correlation id. */
  correlationId?: string;
}

export type RecordOutcomeDecision =
  | { kind: 'record'; event: NbaOutcomeRecorded }
  | { kind: 'unknown_decision' }
  /** The decision does not contact the customer: there is nothing to accept or decline. */
  | { kind: 'no_contact' }
  | { kind: 'already_recorded'; outcome: NbaOutcome; eventId: string; at: string };

function findDecision(
  events: readonly CustomerEvent[],
  decisionId: string,
): { decision: NextBestActionDecided; index: number } | undefined {
  const index = events.findIndex((e) => e.type === 'NextBestActionDecided' && e.data.decisionId === decisionId);
  return index < 0 ? undefined : { decision: events[index] as NextBestActionDecided, index };
}

function existingOutcome(events: readonly CustomerEvent[], decisionId: string): NbaOutcomeRecorded | undefined {
  return events.find((e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded' && e.data.decisionId === decisionId);
}

function outcomeEvent(decision: NextBestActionDecided, cmd: RecordOutcomeCommand): NbaOutcomeRecorded {
  const d = decision.data;
  const channel = cmd.channel ?? d.action.channel;
  return {
    type: 'NbaOutcomeRecorded',
    data: {
      decisionId: d.decisionId,
      actionId: d.action.code,
      outcome: cmd.outcome,
      segment: d.segment,
      ...(channel ? { channel } : {}),
      source: cmd.source,
    },
    metadata: {
      eventId: outcomeEventId(cmd.tenantId, cmd.customerId, d.decisionId),
      correlationId: cmd.correlationId ?? decision.metadata.correlationId,
      causationId: d.decisionId,
      occurredAt: cmd.now,
      recordedAt: cmd.now,
      schemaVersion: CURRENT_SCHEMA_VERSIONS.NbaOutcomeRecorded,
      tenantId: cmd.tenantId,
      channel: 'system',
    },
  };
}

/**
 * Record an outcome of one decision in the customer's events (stream order): the decision must be
 * there and contact the customer, and have no outcome yet (the first one stands).
 */
export function decideOutcome(events: readonly CustomerEvent[], cmd: RecordOutcomeCommand): RecordOutcomeDecision {
  const found = findDecision(events, cmd.decisionId);
  if (!found) return { kind: 'unknown_decision' };
  const existing = existingOutcome(events, cmd.decisionId);
  if (existing)
    return {
      kind: 'already_recorded',
      outcome: existing.data.outcome,
      eventId: existing.metadata.eventId,
      at: existing.metadata.occurredAt,
    };
  if (!contactsCustomer(found.decision)) return { kind: 'no_contact' };
  return { kind: 'record', event: outcomeEvent(found.decision, cmd) };
}

export interface NoResponseCommand {
  tenantId: string;
  customerId: string;
  decisionId: string;
  now: string;
  /** A decision without an outcome this long after it was made counts as `no_response` (the catalog's `learning.noResponseAfterHours`). */
  afterHours: number;
}

export type NoResponseDecision =
  | RecordOutcomeDecision
  /** The customer wrote after the decision: they responded, so no `no_response` (nor a guess of accept or decline). */
  | { kind: 'customer_replied'; at: string }
  | { kind: 'not_yet_due'; dueAt: string };

/**
 * Is a `no_response` due for this decision now? Only when the decision contacted the customer, no
 * outcome was recorded, no inbound message came after it within `afterHours` (a later one, which a
 * check that ran late reads, answers nothing: the decision stays no response), and `afterHours` have passed.
 */
export function decideNoResponse(events: readonly CustomerEvent[], cmd: NoResponseCommand): NoResponseDecision {
  const found = findDecision(events, cmd.decisionId);
  if (!found) return { kind: 'unknown_decision' };
  const existing = existingOutcome(events, cmd.decisionId);
  if (existing)
    return {
      kind: 'already_recorded',
      outcome: existing.data.outcome,
      eventId: existing.metadata.eventId,
      at: existing.metadata.occurredAt,
    };
  if (!contactsCustomer(found.decision)) return { kind: 'no_contact' };
  const dueMs = Date.parse(found.decision.metadata.occurredAt) + cmd.afterHours * 3_600_000;
  // Only a message within the window answers: one after it (read when the check ran late) leaves the decision no response.
  const reply = events
    .slice(found.index + 1)
    .find((e) => e.type === 'InteractionRecorded' && e.data.direction === 'inbound' && Date.parse(e.metadata.occurredAt) <= dueMs);
  if (reply) return { kind: 'customer_replied', at: reply.metadata.occurredAt };
  if (Date.parse(cmd.now) < dueMs) return { kind: 'not_yet_due', dueAt: new Date(dueMs).toISOString() };
  return { kind: 'record', event: outcomeEvent(found.decision, { ...cmd, outcome: 'no_response', source: 'timeout' }) };
}
