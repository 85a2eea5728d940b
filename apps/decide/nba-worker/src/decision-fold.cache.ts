import { toCustomerEvent, type CustomerRepository } from '@hub/customer-records';
import type { RecordedEvent } from '@hub/event-store';
import { decisionFoldAfter, decisionFoldOf, emptyDecisionFold, type DecisionFold } from './decision-fold';

/**
 * Hot customers' folds, kept between decide jobs (a bounded LRU by customer). A customer others were
 * merged into is folded over their whole history (`readWholeHistory`: their stream and the merged-in
 * customers' streams, in the store's order) on every job and never kept: a kept fold is advanced by
 * the customer's own stream alone, so only the fold of a customer nobody is merged into may be kept
 * (a `CustomersMerged` reaching a kept fold sends it to the whole history; after a `CustomerUnmerged`
 * the whole history is the own stream again). A fold is only ever
 * advanced by the events the store returns after its revision (one `readStream` from revision + 1),
 * in revision order without a gap, so it can never differ from a full fold of the stream: events
 * are immutable once stored, and anything that changes a customer (a merge, an unmerge, a consent)
 * is an event after it. The one exception is erasure, which makes the stored personal fields read
 * as `[erased]`: a fold that meets `CustomerErased` (or a merge into another customer) is dropped,
 * so the next read starts afresh. A kept fold holds opened personal fields, so it is also kept for
 * at most `ttlMs` (swept by `sweep()`, and never used past it), and `forget` drops a customer at once
 * (the worker calls it when `CustomerErased` or `CustomerMergedInto` reaches it on the customer
 * events topic): an erased customer's fold outlives the erasure by at most `ttlMs` in any instance.
 * `maxEntries` 0 keeps nothing (every job folds the whole stream).
 */
export class DecisionFoldCache {
  private readonly entries = new Map<string, { fold: DecisionFold; keptAt: number }>();

  constructor(
    private readonly customers: Pick<CustomerRepository, 'recordedAfter' | 'readWholeHistory'>,
    readonly maxEntries: number,
    readonly ttlMs = 300_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The customer's fold as the stream stands now: the kept one advanced by what was recorded since, or a full fold.
   *
   * `seen`: a revision the caller knows the stream has reached (the trigger a job answers). When the
   * kept fold, advanced by the events this worker consumed (`observe`), already covers it, it is
   * returned without reading the store (`unread`): it may lack events recorded after that, so the
   * caller must append with the fold's revision as the expected one, and on a `ConcurrencyError`
   * forget the fold and ask again without `seen`.
   */
  async current(
    tenantId: string,
    customerId: string,
    seen?: bigint,
  ): Promise<{ fold: DecisionFold; read: number; cached: boolean; unread?: true }> {
    const key = keyOf(tenantId, customerId);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    const kept = entry && this.clock() - entry.keptAt < this.ttlMs ? entry.fold : undefined;
    if (kept && entry && seen !== undefined && kept.revision >= seen) {
      this.entries.set(key, entry);
      return { fold: kept, read: 0, cached: true, unread: true };
    }
    let read = await this.customers.recordedAfter(tenantId, customerId, kept?.revision);
    let fold = advanced(kept ?? emptyDecisionFold(), read);
    if (!fold && kept) {
      // The store did not continue where the kept fold ended (never expected): fold the whole stream.
      read = await this.customers.recordedAfter(tenantId, customerId);
      fold = advanced(emptyDecisionFold(), read);
    }
    if (!fold) throw new Error(`stream of ${tenantId}/${customerId}: revisions are not contiguous from 0`);
    if (fold.state.mergedFrom.length > 0) return { ...(await this.whole(tenantId, customerId)), cached: false };
    const status = fold.state.status;
    if (status !== 'erased' && status !== 'merged' && this.maxEntries > 0) {
      // Kept from when it was first read whole: advancing it does not extend its time.
      this.entries.set(key, { fold, keptAt: kept ? entry!.keptAt : this.clock() });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return { fold, read: read.length, cached: kept !== undefined };
  }

  /** The fold of the customer's whole history, from scratch; `read`: how many events it took. */
  private async whole(tenantId: string, customerId: string): Promise<{ fold: DecisionFold; read: number }> {
    const { own, history } = await this.customers.readWholeHistory(tenantId, customerId);
    const fold = decisionFoldOf(history.map((h) => ({ revision: h.revision, event: h.event, mergedIn: h.customerId !== customerId })));
    // The own stream's last revision, whatever its type: what the decision is appended after.
    return { fold: { ...fold, revision: own.at(-1)?.revision ?? -1n }, read: history.length };
  }

  /**
   * A customer event this worker consumed (`hub.customer-events.v1`, which carries what the store
   * holds, opened, in stream order): a kept fold that ends just before it is advanced by it; one it
   * does not continue (a gap: an event type the relay does not publish, a lost message) is dropped,
   * so the next job reads the store; one already past it (a redelivery) is left as it is.
   */
  observe(tenantId: string, customerId: string, recorded: Pick<RecordedEvent, 'revision' | 'type' | 'data' | 'metadata'>): void {
    const key = keyOf(tenantId, customerId);
    const entry = this.entries.get(key);
    if (!entry || recorded.revision <= entry.fold.revision) return;
    if (recorded.revision !== entry.fold.revision + 1n) {
      this.entries.delete(key);
      return;
    }
    let fold: DecisionFold;
    try {
      fold = decisionFoldAfter(entry.fold, recorded.revision, toCustomerEvent(recorded as RecordedEvent));
    } catch {
      // Not an event this fold can take (a malformed message): the next job reads the store, which decides.
      this.entries.delete(key);
      return;
    }
    if (fold.state.status === 'erased' || fold.state.status === 'merged' || fold.state.mergedFrom.length > 0) this.entries.delete(key);
    else entry.fold = fold;
  }

  /**
   * Whether a survey follow-up may still be pending for the customer when their message at `revision`
   * arrives: false only when a kept fold ends right before it and holds no resolution since their
   * latest earlier message (a follow-up is scheduled per resolution, and that message's routing
   * dropped any before it). Saves the worker a Redis lookup per message; a survey job left behind
   * would find the message and skip anyway.
   */
  surveyMayBePending(tenantId: string, customerId: string, revision: bigint | undefined): boolean {
    const fold = this.entries.get(keyOf(tenantId, customerId))?.fold;
    if (!fold || revision === undefined || fold.revision + 1n !== revision) return true;
    return fold.lastResolution !== undefined && fold.lastResolution.step > fold.lastInboundStep;
  }

  /** Forget a customer (the next job folds their whole stream). */
  forget(tenantId: string, customerId: string): void {
    this.entries.delete(keyOf(tenantId, customerId));
  }

  /** Drop every fold kept longer than `ttlMs`; returns how many. */
  sweep(): number {
    const now = this.clock();
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (now - entry.keptAt < this.ttlMs) continue;
      this.entries.delete(key);
      dropped++;
    }
    return dropped;
  }
}

const keyOf = (tenantId: string, customerId: string): string => `${tenantId}\u0000${customerId}`;

/** `fold` advanced by `recorded`, or undefined when they do not continue it revision by revision. */
function advanced(fold: DecisionFold, recorded: readonly RecordedEvent[]): DecisionFold | undefined {
  let next = fold;
  for (const r of recorded) {
    if (r.revision !== next.revision + 1n) return undefined;
    next = decisionFoldAfter(next, r.revision, toCustomerEvent(r));
  }
  return next;
}
