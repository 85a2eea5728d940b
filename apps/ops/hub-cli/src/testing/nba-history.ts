import { deterministicId } from '@hub/contracts';
import type { CustomerEvent, NbaOutcome, NbaOutcomeRecorded } from '@hub/customer';
import type { CustomerRepository } from '@hub/customer-records';
import { buildDecisionInput, catalogV1, decide, decidedEvent, decidedEventV2, type Decision, type OutcomeTally } from '@hub/nba';

/**
 * One customer's history written to a real store, with decisions made the way the NBA worker makes
 * them: read the stream, build the input (`buildDecisionInput`: the whole stream, the trigger, the
 * seed derived from it), decide, append the decision at the revision it was made on.
 */
export class CustomerScript {
  constructor(
    private readonly customers: CustomerRepository,
    readonly tenantId: string,
    readonly customerId: string,
  ) {}

  /** A fresh event id for `name` (the store wants UUIDs). */
  id(name: string): string {
    return deterministicId('hub-cli-nba', this.tenantId, this.customerId, name);
  }

  /** Appends events built by `@hub/customer/testing`, re-addressed to this tenant and customer with ids from their names. */
  async append(...events: CustomerEvent[]): Promise<void> {
    await this.customers.append(
      this.tenantId,
      this.customerId,
      events.map((e) => this.readdressed(e)),
    );
  }

  /**
   * The worker's steps; the trigger defaults to the latest triggering event. `recordedAs: 'v2'`
   * records the decision as the previous release did (`NextBestActionDecided` v2, the whole ranking).
   */
  async decide(now: string, o: { outcomes?: OutcomeTally; trigger?: string; recordedAs?: 'v2' | 'v3' } = {}): Promise<Decision> {
    const { recorded, events } = await this.customers.history(this.tenantId, this.customerId);
    const revision = recorded.at(-1)!.revision;
    const input = buildDecisionInput({
      tenantId: this.tenantId,
      customerId: this.customerId,
      events,
      revision,
      catalog: catalogV1(),
      outcomes: o.outcomes ?? {},
      now,
      ...(o.trigger ? { triggerEventId: this.id(o.trigger) } : {}),
    });
    if (!input) throw new Error(`${this.customerId}: nothing to decide`);
    const decision = decide(input);
    const correlationId = this.id(`corr-${now}`);
    // A v2 event as the previous release stored it: the repository writes what it is given, sealed by the same policy.
    const event =
      o.recordedAs === 'v2' ? (decidedEventV2(decision, correlationId) as unknown as CustomerEvent) : decidedEvent(decision, correlationId);
    await this.customers.append(this.tenantId, this.customerId, [event], revision);
    return decision;
  }

  async outcome(decision: Decision, outcome: NbaOutcome, at: string): Promise<NbaOutcomeRecorded> {
    const eventId = this.id(`outcome-${decision.decisionId}`);
    const event: NbaOutcomeRecorded = {
      type: 'NbaOutcomeRecorded',
      data: {
        decisionId: decision.decisionId,
        actionId: decision.chosen.actionId,
        outcome,
        segment: decision.segment,
        ...(decision.chosen.channel ? { channel: decision.chosen.channel } : {}),
        source: 'agent',
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: decision.decisionId,
        occurredAt: at,
        recordedAt: at,
        schemaVersion: 1,
        tenantId: this.tenantId,
        channel: 'system',
      },
    };
    await this.customers.append(this.tenantId, this.customerId, [event]);
    return event;
  }

  private readdressed(e: CustomerEvent): CustomerEvent {
    const eventId = this.id(e.metadata.eventId);
    const metadata = { ...e.metadata, eventId, correlationId: eventId, causationId: eventId, tenantId: this.tenantId };
    if (e.type === 'CustomerRegistered')
      return { ...e, data: { ...e.data, tenantId: this.tenantId, customerId: this.customerId }, metadata };
    return { ...e, metadata } as CustomerEvent;
  }
}
