import {
  CURRENT_SCHEMA_VERSIONS,
  type CustomerEvent,
  type CustomerEventType,
  type NextBestActionDecided,
  type StoredEvent,
} from '@hub/customer';
import { seedFrom } from '../learning/prng';
import type { Decision } from './decide';
import type { DecisionDelivery } from '../delivery/decision-delivery';
import { noActionReason } from '../delivery/no-action-reason';

/** Customer events that call for a new decision. Decisions and outcomes never trigger one. */
export const NBA_TRIGGER_TYPES = [
  'InteractionRecorded',
  'ConversationResolved',
  'SurveyAnswered',
  'OrderRefunded',
] as const satisfies readonly CustomerEventType[];

export const isNbaTrigger = (type: string): boolean => (NBA_TRIGGER_TYPES as readonly string[]).includes(type);

/** The latest triggering event in stream order: what a decision made now answers. */
export function latestTrigger(events: readonly CustomerEvent[]): CustomerEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (isNbaTrigger(events[i]!.type)) return events[i];
  return undefined;
}

/** The seed of the decision answering one event: a retried job samples exactly as the first try. */
export const decisionSeed = (tenantId: string, customerId: string, triggerEventId: string): number =>
  seedFrom('nba-seed', tenantId, customerId, triggerEventId);

/**
 * The `NextBestActionDecided` (v3) event recording a decision: what reproduces it, not every
 * intermediate — the action and how it reaches the customer, the one-line why, the versions, seed,
 * revision and trigger it ran on, its segment, the outcome counts it read and the menu's
 * priorities; with `delivery` (the worker's), every trigger it folded, the chosen channel's address
 * and, when it contacts nobody, why. The whole ranking (facts, verdicts, contact checks, scores) is
 * recomputed from these and the stream (`reproduceDecision`). Event id = decision id; caused by the trigger; `occurredAt`
 * is the `now` the engine saw.
 */
export function decidedEvent(decision: Decision, correlationId: string, delivery?: DecisionDelivery): NextBestActionDecided {
  const { chosen } = decision;
  const reason = noActionReason(decision);
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId: decision.decisionId,
      customerId: decision.customerId,
      action: actionOf(decision),
      contactMode: chosen.contactMode,
      explanation: decision.explanation,
      strategyVersion: decision.strategyVersion,
      catalogVersion: decision.catalogVersion,
      seed: decision.seed,
      basedOnRevision: decision.basedOnRevision,
      basedOnEventId: decision.basedOnEventId,
      segment: decision.segment,
      outcomes: decision.outcomes,
      menu: decision.menu.map((m) => ({ actionId: m.actionId, channel: m.channel, priority: m.priority })),
      // Added within v3, only on a decision that withheld its action (catalog `controlGroupShare`).
      ...(decision.withheld ? { withheld: decision.withheld } : {}),
      // What a platform acts on (added within v3): rendered when the worker passes it, and by
      // `reproduceDecision` for a decision recorded with it (older ones have none of the three).
      ...(delivery
        ? {
            triggers: delivery.triggers,
            ...(delivery.address && chosen.contactMode !== 'none' ? { address: delivery.address } : {}),
            ...(reason ? { noAction: { reason } } : {}),
          }
        : {}),
    },
    metadata: metadataOf(decision, correlationId, CURRENT_SCHEMA_VERSIONS.NextBestActionDecided),
  };
}

/**
 * The same decision as a v2 event was stored (before `upcast`): the whole ranking in
 * `arbitration`. No longer written; kept so that `reproduceDecision` compares a recorded v2
 * decision with its recomputation in the shape it was recorded in.
 */
export function decidedEventV2(decision: Decision, correlationId: string): StoredEvent {
  const { chosen } = decision;
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId: decision.decisionId,
      customerId: decision.customerId,
      action: actionOf(decision),
      explanation: decision.explanation,
      strategyVersion: decision.strategyVersion,
      catalogVersion: decision.catalogVersion,
      seed: decision.seed,
      basedOnRevision: decision.basedOnRevision,
      basedOnEventId: decision.basedOnEventId,
      arbitration: {
        segment: decision.segment,
        facts: { ...decision.facts },
        defaults: decision.defaults,
        counters: decision.counters,
        chosen,
        menu: decision.menu,
        candidates: decision.candidates,
      },
    },
    metadata: metadataOf(decision, correlationId, 2),
  };
}

function actionOf({ chosen }: Decision): NextBestActionDecided['data']['action'] {
  return {
    kind: chosen.kind,
    code: chosen.actionId,
    ...(chosen.channel !== null ? { channel: chosen.channel } : {}),
    detail: chosen.detail,
  };
}

function metadataOf(decision: Decision, correlationId: string, schemaVersion: number): NextBestActionDecided['metadata'] {
  return {
    eventId: decision.decisionId,
    correlationId,
    causationId: decision.basedOnEventId,
    occurredAt: decision.decidedAt,
    recordedAt: decision.decidedAt,
    schemaVersion,
    tenantId: decision.tenantId,
    channel: 'system',
  };
}
