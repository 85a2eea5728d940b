import { CURRENT_SCHEMA_VERSIONS, type CustomerEvent, type CustomerEventType, type NextBestActionDecided } from '@hub/customer';
import { seedFrom } from '../learning/prng';
import type { Decision } from './decide';

/** Customer events that call for a new decision. Decisions and outcomes never trigger one. */
export const NBA_TRIGGER_TYPES = ['InteractionRecorded', 'ConversationResolved', 'SurveyAnswered', 'OrderRefunded'] as const satisfies readonly CustomerEventType[];

export const isNbaTrigger = (type: string): boolean => (NBA_TRIGGER_TYPES as readonly string[]).includes(type);

/** The latest triggering event in stream order: what a decision made now answers. */
export function latestTrigger(events: readonly CustomerEvent[]): CustomerEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (isNbaTrigger(events[i]!.type)) return events[i];
  return undefined;
}

/** The seed of the decision answering one event: a retried job samples exactly as the first try. */
export const decisionSeed = (tenantId: string, customerId: string, triggerEventId: string): number => seedFrom('nba-seed', tenantId, customerId, triggerEventId);

/**
 * The `NextBestActionDecided` (v2) event recording a decision. Event id = decision id; caused by the
 * trigger; `occurredAt` is the `now` the engine saw.
 */
export function decidedEvent(decision: Decision, correlationId: string): NextBestActionDecided {
  const { chosen } = decision;
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId: decision.decisionId,
      customerId: decision.customerId,
      action: { kind: chosen.kind, code: chosen.actionId, ...(chosen.channel !== null ? { channel: chosen.channel } : {}), detail: chosen.detail },
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
    metadata: {
      eventId: decision.decisionId,
      correlationId,
      causationId: decision.basedOnEventId,
      occurredAt: decision.decidedAt,
      recordedAt: decision.decidedAt,
      schemaVersion: CURRENT_SCHEMA_VERSIONS.NextBestActionDecided,
      tenantId: decision.tenantId,
      channel: 'system',
    },
  };
}
