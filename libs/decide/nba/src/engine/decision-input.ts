import type { ChannelId } from '@hub/contracts';
import { foldCustomer, type CustomerEvent, type CustomerState } from '@hub/customer';
import type { Catalog } from '../catalog/catalog.types';
import { contactHistoryFrom, type ContactHistory } from '../history/contact-history';
import type { OutcomeTally } from '../learning/outcomes';
import type { DecideInput } from './decide';
import type { StrategyVersion } from './strategies';
import { decisionSeed, latestTrigger } from './decided-event';

/** What a decision is made from, before folding: the customer's stream up to a revision, and the rest. */
export interface DecisionInputSource {
  tenantId: string;
  customerId: string;
  /** The customer's events, upcast, in stream order, up to and including `revision`: all the decision sees of them. */
  events: readonly CustomerEvent[];
  /** The stream revision `events` end at: the decision's `basedOnRevision`. */
  revision: bigint | string;
  /** The event the decision answers. Default: the latest triggering event of `events` (`latestTrigger`). */
  triggerEventId?: string;
  catalog: Catalog;
  outcomes: OutcomeTally;
  now: string;
  /** Default: `decisionSeed(tenant, customer, trigger event id)`. */
  seed?: number;
  /** Default (left out of the input): every channel. */
  enabledChannels?: readonly ChannelId[];
  /** The engine version to run; default (left out of the input): `STRATEGY_VERSION`. */
  strategyVersion?: StrategyVersion;
  /** `foldCustomer(events)` and `contactHistoryFrom(events)`, when the caller keeps them folded already (a replay folding as it reads). */
  folded?: { state: CustomerState; history: ContactHistory };
}

function triggerOf(events: readonly CustomerEvent[], eventId: string | undefined): CustomerEvent | undefined {
  if (eventId === undefined) return latestTrigger(events);
  const id = eventId.toLowerCase();
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.metadata.eventId.toLowerCase() === id) return events[i];
  return undefined;
}

/**
 * The engine's input for a decision on a customer's stream as it stood at `revision`: the state and
 * the contact history folded from `events`, the trigger, and the seed derived from it. The one
 * definition of "the input of a decision", shared by the worker that decides, `hub nba explain`
 * that recomputes a recorded decision and `hub nba backtest` that replays them, so the three can
 * never build it differently. Undefined when there is nothing to answer (no triggering event, or
 * `triggerEventId` is not among `events`). Whether to decide at all (merged or erased customer, a
 * trigger already answered) is the caller's policy: see `input.state`.
 */
export function buildDecisionInput(source: DecisionInputSource): DecideInput | undefined {
  const trigger = triggerOf(source.events, source.triggerEventId);
  if (!trigger) return undefined;
  const state = source.folded?.state ?? foldCustomer(source.events);
  const history = source.folded?.history ?? contactHistoryFrom(source.events);
  return {
    tenantId: source.tenantId,
    customerId: source.customerId,
    state,
    stateRevision: source.revision.toString(),
    trigger,
    catalog: source.catalog,
    outcomes: source.outcomes,
    history,
    now: source.now,
    seed: source.seed ?? decisionSeed(source.tenantId, source.customerId, trigger.metadata.eventId),
    ...(source.enabledChannels ? { enabledChannels: source.enabledChannels } : {}),
    ...(source.strategyVersion ? { strategyVersion: source.strategyVersion } : {}),
  };
}
