import type { CustomerEvent } from '../events/customer.events';
import { evolve } from '../state/customer.evolve';
import { initialCustomerState, type CustomerState } from '../state/customer.state';
import { instant } from '../time/instant';

export interface FoldUntil {
  /** Only events recorded (`metadata.recordedAt`) at or before this instant. */
  time?: string;
  /** Only events at or before this stream revision (the first event of a stream is revision 0). */
  revision?: bigint;
}

/**
 * The customer as the hub knew them at a moment: folds a stream's events from revision 0, keeping
 * those recorded at or before `time` and at or before `revision` (both when both are given). What
 * happened before `time` but was recorded after it is invisible, as it was then. Pure.
 */
export function foldUntil(events: Iterable<CustomerEvent>, until: FoldUntil): CustomerState {
  const limit = until.time === undefined ? undefined : instant(until.time);
  if (limit !== undefined && Number.isNaN(limit)) throw new RangeError(`foldUntil: not an ISO 8601 time: ${JSON.stringify(until.time)}`);
  let state = initialCustomerState();
  let revision = 0n;
  for (const event of events) {
    if (until.revision !== undefined && revision > until.revision) break;
    if (limit === undefined || instant(event.metadata.recordedAt) <= limit) state = evolve(state, event);
    revision += 1n;
  }
  return state;
}
