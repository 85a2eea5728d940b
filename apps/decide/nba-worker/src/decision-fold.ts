import {
  evolve,
  evolveMergedIn,
  initialCustomerState,
  type CustomerEvent,
  type CustomerState,
  type NbaActionKind,
  type NbaContactMode,
} from '@hub/customer';
import type { NbaTriggerRef } from '@hub/customer';
import {
  contactHistoryAfter,
  emptyContactHistory,
  isDecisionButtonPress,
  isNbaTrigger,
  NBA_REALTIME_TRIGGER_TYPES,
  pendingTriggersAfter,
  type ContactHistory,
} from '@hub/nba';

/** Triggers answered in real time; a resolution is answered by its survey follow-up instead. */
export const REALTIME_TRIGGER_TYPES: readonly string[] = NBA_REALTIME_TRIGGER_TYPES;
export const SURVEY_TRIGGER_TYPE = 'ConversationResolved';

export const isInbound = (e: CustomerEvent): boolean => e.type === 'InteractionRecorded' && e.data.direction === 'inbound';

/** What a decide job needs of an earlier decision: whether it contacted the customer, and when. */
export interface DecisionRef {
  decisionId: string;
  kind: NbaActionKind;
  contactMode: NbaContactMode;
  occurredAt: string;
  correlationId: string;
}

/**
 * Everything `NbaDecideJob` reads of a customer's whole history (their stream, and the streams of the
 * customers merged into them: `wholeHistory` in @hub/customer), folded event by event, so that it can
 * be kept and advanced by only the events recorded since: the state and contact history the engine
 * reads, the triggers not answered yet, and the few facts the job's trigger pick needs (the latest real-time trigger, the
 * resolutions and the latest inbound message, the decision answering each event, the decision of
 * each correlation id, the latest event). Immutable: `decisionFoldAfter` returns a new value.
 */
export interface DecisionFold {
  /** The customer's own stream revision folded up to (what a decision is appended after); -1 before the first event. */
  revision: bigint;
  /** How many events of the whole history were folded: the order of the steps below, across merged-in streams. */
  steps: bigint;
  state: CustomerState;
  history: ContactHistory;
  /** The latest customer event. */
  last: CustomerEvent | undefined;
  /** The latest event of a real-time trigger type. */
  lastRealtimeTrigger: CustomerEvent | undefined;
  /** The real-time triggers no decision answered yet, in order (`pendingTriggersAfter`): what the next one folds. */
  pendingTriggers: readonly NbaTriggerRef[];
  /** The latest `ConversationResolved` and its step. */
  lastResolution: { event: CustomerEvent; step: bigint } | undefined;
  /** Step of every `ConversationResolved`, by event id. */
  resolutions: ReadonlyMap<string, bigint>;
  /** Step of the latest inbound interaction; -1 when none. */
  lastInboundStep: bigint;
  /** The first decision answering each event, by the event's id (`basedOnEventId`). */
  decisionsByTrigger: ReadonlyMap<string, DecisionRef>;
  /** The first decision of each correlation id (an outbound scan window's, among others). */
  decisionsByCorrelation: ReadonlyMap<string, string>;
}

export const emptyDecisionFold = (): DecisionFold => ({
  revision: -1n,
  steps: 0n,
  state: initialCustomerState(),
  history: emptyContactHistory(),
  last: undefined,
  lastRealtimeTrigger: undefined,
  pendingTriggers: [],
  lastResolution: undefined,
  resolutions: new Map(),
  lastInboundStep: -1n,
  decisionsByTrigger: new Map(),
  decisionsByCorrelation: new Map(),
});

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> =>
  map.has(key) ? map : new Map(map).set(key, value);

/**
 * The fold after one more event of the whole history: the customer's own stored event at `revision`
 * (`event` undefined: a stored event of another type, which only advances the revision), or, with
 * `mergedIn`, an event of a customer merged into them (`evolveMergedIn`; `revision` is that
 * stream's and is not this customer's).
 */
export function decisionFoldAfter(fold: DecisionFold, revision: bigint, event: CustomerEvent | undefined, mergedIn = false): DecisionFold {
  if (!event) return mergedIn ? fold : { ...fold, revision };
  const step = fold.steps;
  const next: DecisionFold = {
    ...fold,
    revision: mergedIn ? fold.revision : revision,
    steps: step + 1n,
    state: mergedIn ? evolveMergedIn(fold.state, event) : evolve(fold.state, event),
    history: contactHistoryAfter(fold.history, event),
    pendingTriggers: pendingTriggersAfter(fold.pendingTriggers, event),
    last: event,
  };
  if (REALTIME_TRIGGER_TYPES.includes(event.type)) next.lastRealtimeTrigger = event;
  if (isInbound(event)) next.lastInboundStep = step;
  if (event.type === SURVEY_TRIGGER_TYPE) {
    next.lastResolution = { event, step };
    next.resolutions = withEntry(fold.resolutions, event.metadata.eventId, step);
  }
  if (event.type === 'NextBestActionDecided') {
    const d = event.data;
    const ref: DecisionRef = {
      decisionId: d.decisionId,
      kind: d.action.kind,
      contactMode: d.contactMode,
      occurredAt: event.metadata.occurredAt,
      correlationId: event.metadata.correlationId,
    };
    next.decisionsByTrigger = withEntry(fold.decisionsByTrigger, d.basedOnEventId, ref);
    next.decisionsByCorrelation = withEntry(fold.decisionsByCorrelation, event.metadata.correlationId, d.decisionId);
  }
  return next;
}

export function decisionFoldOf(
  events: Iterable<{ revision: bigint; event: CustomerEvent | undefined; mergedIn?: boolean }>,
  from: DecisionFold = emptyDecisionFold(),
): DecisionFold {
  let fold = from;
  for (const e of events) fold = decisionFoldAfter(fold, e.revision, e.event, e.mergedIn);
  return fold;
}

/**
 * The latest event is a trigger the real-time path (or its survey follow-up) has yet to answer. An
 * outbound interaction is not one: the worker enqueues no decision for what the company said; nor is
 * the press of a decision's own button, which is that decision's outcome (`isDecisionButtonPress`).
 */
export const lastIsTrigger = (fold: DecisionFold): boolean =>
  fold.last !== undefined &&
  isNbaTrigger(fold.last.type) &&
  !(fold.last.type === 'InteractionRecorded' && fold.last.data.direction === 'outbound') &&
  !isDecisionButtonPress(fold.last);
