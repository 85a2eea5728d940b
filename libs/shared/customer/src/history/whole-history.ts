import type { CustomerEvent } from '../events/customer.events';
import { evolve } from '../state/customer.evolve';
import { initialCustomerState, type CustomerState } from '../state/customer.state';

/** One event of a customer stream, with where the store put it. */
export interface HistoryEvent {
  /** The customer whose stream holds it. */
  customerId: string;
  /** Its revision in that stream (0-based). */
  revision: bigint;
  /** Its position in the store-wide log: the order the hub recorded it in, across streams. */
  position: bigint;
  event: CustomerEvent;
}

/**
 * The customers merged into this one and not unmerged since, in the order they were merged, as its
 * own stream records them (`CustomersMerged` less `CustomerUnmerged`, by merge id).
 */
export function customersMergedIn(events: Iterable<CustomerEvent>): string[] {
  const active = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'CustomersMerged') active.set(e.data.mergeId, e.data.mergedId);
    else if (e.type === 'CustomerUnmerged') active.delete(e.data.mergeId);
  }
  return [...new Set(active.values())];
}

/**
 * The customers whose streams make up `customerId`'s whole history: itself, then every customer
 * merged into it and not unmerged, recursively (a customer merged into one that was later merged into
 * this one), each once. `streams` must hold the stream of every customer named (missing: empty).
 */
export function historyMembers(customerId: string, streams: ReadonlyMap<string, readonly HistoryEvent[]>): string[] {
  const members = [customerId];
  for (let i = 0; i < members.length; i++) {
    const own = streams.get(members[i]!) ?? [];
    for (const id of customersMergedIn(own.map((h) => h.event))) if (!members.includes(id)) members.push(id);
  }
  return members;
}

/**
 * A customer's whole history: its own events and those of every customer merged into it and not
 * unmerged (`historyMembers`), as one history in the order the hub recorded them — by the store's
 * global position, which within one stream is stream order. So a person whose identities met late
 * has the history they would have had had they been one customer from the start, and an unmerge
 * takes the other customer's events out again. Nothing is copied between streams: each stream stays
 * the record of its own customer. Pure.
 */
export function wholeHistory(customerId: string, streams: ReadonlyMap<string, readonly HistoryEvent[]>): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const id of historyMembers(customerId, streams)) out.push(...(streams.get(id) ?? []));
  return out.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
}

/**
 * The fold step for an event of a customer merged into this one. What it says about the person
 * (interactions, consent, traits, surveys, orders, conversations, decisions) counts as this
 * customer's; what it says about that record (its registration's id, its own merges, proposals and
 * erasure) does not. The identities stay this customer's own: they come with the merge
 * (`CustomersMerged.identitiesMoved`) and leave with the unmerge, as the identity claims do.
 * A registration only dates the person (`registeredAt`, when none came earlier).
 */
export function evolveMergedIn(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered':
      return state.registeredAt === undefined ? { ...state, registeredAt: event.metadata.occurredAt } : state;
    case 'CustomersMerged':
    case 'CustomerMergedInto':
    case 'CustomerUnmerged':
    case 'CustomerRestored':
    case 'MergeProposed':
    case 'MergeProposalRejected':
    case 'CustomerErased':
    case 'WorkItemOpened':
    case 'WorkItemClaimed':
    case 'WorkItemReassigned':
    case 'WorkItemResolved':
      // A merged-in record's work items stay its own, too: they are worked (claimed, resolved) in its stream.
      return state;
    case 'InteractionRecorded':
    case 'NextBestActionDecided':
    case 'NbaOutcomeRecorded':
    case 'ConsentChanged':
    case 'TraitsUpdated':
    case 'SurveyAnswered':
    case 'OrderPlaced':
    case 'OrderRefunded':
    case 'ConversationResolved': {
      const next = evolve(state, event);
      return next.status === state.status && next.identities === state.identities
        ? next
        : { ...next, status: state.status, identities: state.identities };
    }
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

/** One step of the whole-history fold: `evolve` for the customer's own events, `evolveMergedIn` for the others'. */
export const evolveWhole = (customerId: string, state: CustomerState, h: HistoryEvent): CustomerState =>
  h.customerId === customerId ? evolve(state, h.event) : evolveMergedIn(state, h.event);

/** The customer folded from their whole history (`wholeHistory`). Equals `foldCustomer` of the own stream when nobody is merged in. */
export function foldWholeHistory(
  customerId: string,
  history: Iterable<HistoryEvent>,
  from: CustomerState = initialCustomerState(),
): CustomerState {
  let state = from;
  for (const h of history) state = evolveWhole(customerId, state, h);
  return state;
}
