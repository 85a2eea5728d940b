import { evolve, initialCustomerState, type CustomerEvent, type CustomerState, type NbaActionKind, type NbaContactMode } from '@hub/customer';
import { contactHistoryAfter, emptyContactHistory, isNbaTrigger, NBA_TRIGGER_TYPES, type ContactHistory } from '@hub/nba';

/** Triggers answered in real time; a resolution is answered by its survey follow-up instead. */
export const REALTIME_TRIGGER_TYPES: readonly string[] = NBA_TRIGGER_TYPES.filter((t) => t !== 'ConversationResolved');
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
 * Everything `NbaDecideJob` reads of a customer's stream, folded event by event, so that it can be
 * kept and advanced by only the events recorded since: the state and contact history the engine
 * reads, and the few facts the job's trigger pick needs (the latest real-time trigger, the
 * resolutions and the latest inbound message, the decision answering each event, the decision of
 * each correlation id, the latest event). Immutable: `decisionFoldAfter` returns a new value.
 */
export interface DecisionFold {
  /** The stream revision folded up to; -1 before the first event. */
  revision: bigint;
  state: CustomerState;
  history: ContactHistory;
  /** The latest customer event. */
  last: CustomerEvent | undefined;
  /** The latest event of a real-time trigger type. */
  lastRealtimeTrigger: CustomerEvent | undefined;
  /** The latest `ConversationResolved` and its revision. */
  lastResolution: { event: CustomerEvent; revision: bigint } | undefined;
  /** Revision of every `ConversationResolved`, by event id. */
  resolutions: ReadonlyMap<string, bigint>;
  /** Revision of the latest inbound interaction; -1 when none. */
  lastInboundRevision: bigint;
  /** The first decision answering each event, by the event's id (`basedOnEventId`). */
  decisionsByTrigger: ReadonlyMap<string, DecisionRef>;
  /** The first decision of each correlation id (an outbound scan window's, among others). */
  decisionsByCorrelation: ReadonlyMap<string, string>;
}

export const emptyDecisionFold = (): DecisionFold => ({
  revision: -1n,
  state: initialCustomerState(),
  history: emptyContactHistory(),
  last: undefined,
  lastRealtimeTrigger: undefined,
  lastResolution: undefined,
  resolutions: new Map(),
  lastInboundRevision: -1n,
  decisionsByTrigger: new Map(),
  decisionsByCorrelation: new Map(),
});

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> => (map.has(key) ? map : new Map(map).set(key, value));

/** The fold after one more stored event at `revision` (`event` undefined: a stored event of another type, which only advances the revision). */
export function decisionFoldAfter(fold: DecisionFold, revision: bigint, event: CustomerEvent | undefined): DecisionFold {
  if (!event) return { ...fold, revision };
  const next: DecisionFold = {
    ...fold,
    revision,
    state: evolve(fold.state, event),
    history: contactHistoryAfter(fold.history, event),
    last: event,
  };
  if (REALTIME_TRIGGER_TYPES.includes(event.type)) next.lastRealtimeTrigger = event;
  if (isInbound(event)) next.lastInboundRevision = revision;
  if (event.type === SURVEY_TRIGGER_TYPE) {
    next.lastResolution = { event, revision };
    next.resolutions = withEntry(fold.resolutions, event.metadata.eventId, revision);
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
  events: Iterable<{ revision: bigint; event: CustomerEvent | undefined }>,
  from: DecisionFold = emptyDecisionFold(),
): DecisionFold {
  let fold = from;
  for (const e of events) fold = decisionFoldAfter(fold, e.revision, e.event);
  return fold;
}

/** The latest event is a trigger the real-time path (or its survey follow-up) has yet to answer. */
export const lastIsTrigger = (fold: DecisionFold): boolean => fold.last !== undefined && isNbaTrigger(fold.last.type);
