import {
  toCustomerEvent,
  type CustomerRepository,
} from "@hub/customer-records";
import type { RecordedEvent } from "@hub/event-store";
import {
  decisionFoldAfter,
  emptyDecisionFold,
  type DecisionFold,
} from "./decision-fold";

/**
 * Hot customers' folds, kept between decide jobs (a bounded LRU by customer). A fold is only ever
 * advanced by the events the store returns after its revision (one `readStream` from revision + 1),
 * in revision order without a gap, so it can never differ from a full fold of the stream: events
 * are immutable once stored, and anything that changes a customer (a merge, an unmerge, a consent)
 * is an event after it. The one exception is erasure, which makes the stored personal fields read
 * as `[erased]`: a fold that meets `CustomerErased` (or a merge into another customer) is dropped,
 * so no decrypted copy of an erased customer stays in memory and the next read starts afresh.
 * `maxEntries` 0 keeps nothing (every job folds the whole stream).
 */
export class DecisionFoldCache {
  private readonly entries = new Map<string, DecisionFold>();

  constructor(
    private readonly customers: Pick<CustomerRepository, "recordedAfter">,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The customer's fold as the stream stands now: the kept one advanced by what was recorded since, or a full fold. */
  async current(
    tenantId: string,
    customerId: string,
  ): Promise<{ fold: DecisionFold; read: number; cached: boolean }> {
    const key = `${tenantId}\u0000${customerId}`;
    const kept = this.entries.get(key);
    this.entries.delete(key);
    let read = await this.customers.recordedAfter(
      tenantId,
      customerId,
      kept?.revision,
    );
    let fold = advanced(kept ?? emptyDecisionFold(), read);
    if (!fold && kept) {
      // The store did not continue where the kept fold ended (never expected): fold the whole stream.
      read = await this.customers.recordedAfter(tenantId, customerId);
      fold = advanced(emptyDecisionFold(), read);
    }
    if (!fold)
      throw new Error(
        `stream of ${tenantId}/${customerId}: revisions are not contiguous from 0`,
      );
    const status = fold.state.status;
    if (status !== "erased" && status !== "merged" && this.maxEntries > 0) {
      this.entries.set(key, fold);
      if (this.entries.size > this.maxEntries)
        this.entries.delete(this.entries.keys().next().value!);
    }
    return { fold, read: read.length, cached: kept !== undefined };
  }

  /** Forget a customer (the next job folds their whole stream). */
  forget(tenantId: string, customerId: string): void {
    this.entries.delete(`${tenantId}\u0000${customerId}`);
  }
}

/** `fold` advanced by `recorded`, or undefined when they do not continue it revision by revision. */
function advanced(
  fold: DecisionFold,
  recorded: readonly RecordedEvent[],
): DecisionFold | undefined {
  let next = fold;
  for (const r of recorded) {
    if (r.revision !== next.revision + 1n) return undefined;
    next = decisionFoldAfter(next, r.revision, toCustomerEvent(r));
  }
  return next;
}
