import type { CustomerEvent, CustomerState } from '@hub/customer';
import { ConcurrencyError, type AppendResult } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';

export interface CommandOutcome {
  events: CustomerEvent[];
  result: AppendResult | undefined;
  attempts: number;
}

/**
 * Run one command against a customer with optimistic concurrency: load (fold the stream), decide
 * (pure), append with the revision the decision was made on. When another writer got there first
 * the append fails with ConcurrencyError; the handler reloads and decides again on the new state,
 * so no concurrent update is lost and none is applied on stale state.
 */
export async function handleCustomerCommand(
  customers: CustomerRepository,
  tenantId: string,
  customerId: string,
  decide: (state: CustomerState) => CustomerEvent[],
  { maxAttempts = 100 }: { maxAttempts?: number } = {},
): Promise<CommandOutcome> {
  for (let attempt = 1; ; attempt++) {
    const { state, revision } = await customers.load(tenantId, customerId);
    const events = decide(state);
    if (events.length === 0) return { events, result: undefined, attempts: attempt };
    try {
      const result = await customers.append(tenantId, customerId, events, revision);
      return { events, result, attempts: attempt };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
      // Jittered backoff so that 50 writers do not retry in lock-step.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
    }
  }
}
