import { foldWholeHistory, upcast, wholeHistory, type CustomerEvent, type HistoryEvent, type NextBestActionDecided } from '@hub/customer';
import type { Catalog } from '../catalog/catalog.types';
import { catalogByVersion } from '../catalog/catalog-versions';
import { decide, type DecideInput, type Decision } from '../engine/decide';
import { decidedEvent, decidedEventV2 } from '../engine/decided-event';
import { channelAddress, decisionTriggers, pendingTriggersAfter, type DecisionDelivery } from '../delivery/decision-delivery';
import { buildDecisionInput, type DecisionInputSource } from '../engine/decision-input';
import { STRATEGY_VERSIONS, strategyOf, type Strategy, type StrategyVersion } from '../engine/strategies';
import { contactHistoryFrom } from '../history/contact-history';
import { decisionRecord, jsonDifferences, type Difference, type Json } from './decision-record';
import { recordedTally } from './recorded-posteriors';
import { HubError } from '@hub/contracts';

/** One event of a customer's stream with its revision (0-based). */
export interface StreamEvent {
  revision: bigint;
  event: CustomerEvent;
}

export const DECISION_REPLAY_ERROR_CODES = [
  /** A decision of the first rule set (v1): no catalog, seed nor ranking to recompute from. */
  'NBA_FIRST_RULE_SET',
  /** Made by a version of the engine's logic this build does not have (`STRATEGIES`). */
  'NBA_STRATEGY_VERSION',
  /** Made with a catalog version no shipped catalog file has. */
  'NBA_UNKNOWN_CATALOG_VERSION',
  /** The stream does not reach the revision the decision was based on, or it is not a revision. */
  'NBA_REVISION_NOT_FOUND',
  /** The event the decision answered is not in the stream up to that revision. */
  'NBA_TRIGGER_NOT_FOUND',
] as const;
export type DecisionReplayErrorCode = (typeof DECISION_REPLAY_ERROR_CODES)[number];

/** A recorded decision that cannot be recomputed at all (as opposed to one that recomputes differently). */
export class DecisionReplayError extends HubError {
  readonly retryable = false;
  constructor(
    readonly code: DecisionReplayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecisionReplayError';
  }
}

export interface ReproduceRequest {
  /** The recorded decision, upcast. */
  decided: NextBestActionDecided;
  /** The tenant and customer of the stream it is in. */
  tenantId: string;
  customerId: string;
  /**
   * The customer's whole history as it stood when the decision was made (`wholeHistory`: their own
   * stream and the streams of the customers merged into them, by global position), at least up to
   * the decision: `CustomerRepository.readWholeHistory` cut before the decision's global position,
   * so that merges and unmerges recorded later do not count. Events after the decision are left out
   * here too (own events after `basedOnRevision`; others from the decision's position on, when the
   * decision itself is in it). Give this or `stream`.
   */
  history?: readonly HistoryEvent[];
  /** The customer's own stream (at least up to the decision's `basedOnRevision`), in revision order: for a customer nobody was merged into. */
  stream?: readonly StreamEvent[];
  /** Catalogs by version; default the shipped ones (`catalogByVersion`). */
  catalogOf?: (catalogVersion: string) => Catalog | undefined;
}

export interface Reproduction {
  /** The engine input rebuilt as of the decision. */
  input: DecideInput;
  recomputed: Decision;
  /** Both as decision records (`decisionRecord`): what is compared. */
  stored: { [key: string]: Json };
  recomputedRecord: { [key: string]: Json };
  /** Empty when the decision reproduced bit for bit. */
  differences: Difference[];
  /** Scored actions whose recorded posterior (v2) could not be turned back into counts (they show up in `differences`). */
  unmatchedPosteriors: string[];
}

/**
 * Recomputes a recorded decision from the events and compares it with what was recorded, field for
 * field, with the strategy the decision names (`strategyVersion`: every version that recorded
 * decisions is runnable, `STRATEGIES`). The input is rebuilt exactly as the worker built it
 * (`buildDecisionInput`): the state and contact history as of the decision — folded from the
 * customer's whole history up to the decision (their stream up to `basedOnRevision`, and what the
 * customers merged into them had recorded before the decision), or, for a strategy that read the own
 * stream only (nba-engine-v1), that stream up to `basedOnRevision` —, the trigger `basedOnEventId`, the catalog of
 * `catalogVersion`, `now` = the decision's `occurredAt`, the recorded seed. The population's outcome
 * tally at that moment is not kept anywhere: a v3 decision recorded the counts it read, a v2 decision
 * the posteriors (`recordedTally`). The recomputation is rendered as the recorded event was written
 * (v3: `decidedEvent`; v2: `decidedEventV2`, read back through the same upcaster) and compared field
 * for field. Throws `DecisionReplayError` when the decision cannot be recomputed at all.
 */
export function reproduceDecision(request: ReproduceRequest): Reproduction {
  const { decided, tenantId, customerId } = request;
  const d = decided.data;
  const id = d.decisionId;
  if (d.arbitration === null || d.catalogVersion === null || d.seed === null) {
    throw new DecisionReplayError(
      'NBA_FIRST_RULE_SET',
      `decision ${id} was made by the first rule set (${d.strategyVersion}): it records no catalog, seed or ranking to recompute it from`,
    );
  }
  const strategy = strategyOf(d.strategyVersion);
  if (!strategy) {
    throw new DecisionReplayError(
      'NBA_STRATEGY_VERSION',
      `decision ${id} was made by strategy ${JSON.stringify(d.strategyVersion)}, which this build does not have (it runs ${STRATEGY_VERSIONS.join(', ')}): recompute it with the build that made it`,
    );
  }
  const catalog = (request.catalogOf ?? catalogByVersion)(d.catalogVersion);
  if (!catalog) {
    throw new DecisionReplayError(
      'NBA_UNKNOWN_CATALOG_VERSION',
      `decision ${id} was made with catalog version ${JSON.stringify(d.catalogVersion)}, which no shipped catalog has (libs/decide/nba/catalog)`,
    );
  }
  const revision = /^\d+$/.test(d.basedOnRevision) ? BigInt(d.basedOnRevision) : undefined;
  const history =
    request.history ?? (request.stream ?? []).map((e) => ({ customerId, revision: e.revision, position: e.revision, event: e.event }));
  const upTo = revision === undefined ? [] : history.filter((e) => e.customerId === customerId && e.revision <= revision);
  if (revision === undefined || upTo.at(-1)?.revision !== revision) {
    throw new DecisionReplayError(
      'NBA_REVISION_NOT_FOUND',
      `decision ${id} was based on revision ${d.basedOnRevision} of ${tenantId}/${customerId}, which the stream does not have`,
    );
  }
  const recorded = recordedTally(d, catalog);
  const asOf = asOfDecision(strategy, history, customerId, revision, id);
  const input = buildDecisionInput({
    tenantId,
    customerId,
    ...asOf,
    strategyVersion: strategy.version as StrategyVersion,
    revision,
    triggerEventId: d.basedOnEventId,
    catalog,
    outcomes: recorded.tally,
    now: decided.metadata.occurredAt,
    seed: d.seed,
  });
  if (!input) {
    throw new DecisionReplayError(
      'NBA_TRIGGER_NOT_FOUND',
      `decision ${id} answered event ${d.basedOnEventId}, which is not in ${tenantId}/${customerId} up to revision ${d.basedOnRevision}`,
    );
  }
  const recomputed = decide(input);
  const stored = decisionRecord(decided);
  const correlationId = decided.metadata.correlationId;
  // A v2 decision is compared in its own shape, read back through the same upcaster as the stored one.
  // A decision recorded with what a platform acts on (`triggers`, added within v3) has it recomputed
  // too, from the same events and state: the triggers it folded, the chosen channel's address.
  const delivery: DecisionDelivery | undefined =
    d.triggers === undefined
      ? undefined
      : {
          triggers: decisionTriggers(asOf.events.reduce(pendingTriggersAfter, []), input.trigger),
          ...optional('address', channelAddress(input.state, recomputed.chosen.channel)),
        };
  const rendered = d.arbitration
    ? (upcast(decidedEventV2(recomputed, correlationId)) as NextBestActionDecided)
    : decidedEvent(recomputed, correlationId, delivery);
  const recomputedRecord = decisionRecord(rendered);
  return {
    input,
    recomputed,
    stored,
    recomputedRecord,
    differences: jsonDifferences(stored, recomputedRecord),
    unmatchedPosteriors: recorded.unmatched,
  };
}

/**
 * What the strategy read of the customer when it decided: the own stream up to `revision`
 * (`own-stream`), or the whole history as of the decision (`whole-history`): the own stream up to
 * `revision` and every other stream before the decision's global position (when the decision is in
 * `history`), the members (who was merged in) taken from those cut streams, folded as the worker
 * folds it (`foldWholeHistory`, the contact history over every event).
 */
function asOfDecision(
  strategy: Strategy,
  history: readonly HistoryEvent[],
  customerId: string,
  revision: bigint,
  decisionId: string,
): Pick<DecisionInputSource, 'events' | 'folded'> {
  const own = (h: HistoryEvent) => h.customerId === customerId;
  if (strategy.reads === 'own-stream') return { events: history.filter((h) => own(h) && h.revision <= revision).map((h) => h.event) };
  const decidedAt = history.find((h) => own(h) && h.event.metadata.eventId.toLowerCase() === decisionId.toLowerCase())?.position;
  const streams = new Map<string, HistoryEvent[]>();
  for (const h of history) {
    if (own(h) ? h.revision > revision : decidedAt !== undefined && h.position >= decidedAt) continue;
    const stream = streams.get(h.customerId) ?? [];
    stream.push(h);
    streams.set(h.customerId, stream);
  }
  const whole = wholeHistory(customerId, streams);
  const events = whole.map((h) => h.event);
  return { events, folded: { state: foldWholeHistory(customerId, whole), history: contactHistoryFrom(events) } };
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
