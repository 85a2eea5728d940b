import type { CustomerEvent } from '@hub/customer';
import type { AppendResult, ExpectedRevision } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';

interface Waiting {
  tenantId: string;
  customerId: string;
  events: readonly CustomerEvent[];
  expectedRevision: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/**
 * Group commit for appends to different customers made at the same time (the decide worker's jobs,
 * each appending one decision): while one write is in flight, the appends that arrive wait and go
 * together in the next, as one `appendMany` — one call, one transaction, one WAL flush and one
 * notification instead of one each. Alone, an append goes at once, as `CustomerRepository.append`
 * would. Each append keeps its own outcome: its result, or its own `ConcurrencyError` /
 * `IdempotencyConflictError`; a write that fails as a whole (an event the store refuses) is retried
 * append by append, so only the faulty one fails. Two appends to the same customer never share a
 * write (the second waits for the next), so each still sees the other's effect on the revision.
 */
export class GroupedAppends {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly customers: Pick<CustomerRepository, 'append' | 'appendMany'>,
    private readonly maxPerWrite = 200,
  ) {}

  append(
    tenantId: string,
    customerId: string,
    events: readonly CustomerEvent[],
    expectedRevision: ExpectedRevision = 'any',
  ): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.waiting.push({ tenantId, customerId, events, expectedRevision, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch: Waiting[] = [];
        const later: Waiting[] = [];
        const customers = new Set<string>();
        for (const w of this.waiting) {
          const key = `${w.tenantId}\u0000${w.customerId}`;
          if (batch.length < this.maxPerWrite && !customers.has(key)) {
            customers.add(key);
            batch.push(w);
          } else later.push(w);
        }
        this.waiting = later;
        await this.write(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: readonly Waiting[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    let outcomes;
    try {
      outcomes = await this.customers.appendMany(
        batch.map((w) => ({ tenantId: w.tenantId, customerId: w.customerId, events: w.events, expectedRevision: w.expectedRevision })),
      );
    } catch {
      // Refused as a whole: each on its own says which (nothing of the failed write was stored).
      await Promise.all(batch.map((w) => this.alone(w)));
      return;
    }
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.result) : batch[i]!.reject(outcome.error)));
  }

  private async alone(w: Waiting): Promise<void> {
    try {
      w.resolve(await this.customers.append(w.tenantId, w.customerId, w.events, w.expectedRevision));
    } catch (err) {
      w.reject(err);
    }
  }
}
