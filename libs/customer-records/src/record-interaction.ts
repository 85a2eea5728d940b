import { deterministicId, isChannelId, type InteractionReceived } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { IdempotencyConflictError } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';

export interface RecordedInteraction {
  tenantId: string;
  customerId: string;
  /**
   * True when the interaction was recorded before for a customer it no longer resolves to (that
   * customer was erased, or merged away): nothing was written, and nothing should be projected.
   */
  alreadyRecordedElsewhere: boolean;
  /** What is now in the customer's stream for this interaction (also when it was already there). */
  events: CustomerEvent[];
  revision: bigint;
  position: bigint;
  duplicate: boolean;
}

/**
 * RecordInteraction: resolve the customer from the primary identity, then append the interaction
 * (preceded by CustomerRegistered on first contact) to the customer's stream. Idempotent: the event
 * ids are derived from the provider's message id, so a redelivery appends nothing.
 */
export async function recordInteraction(
  deps: { customers: CustomerRepository; identities: IdentityResolver },
  interaction: InteractionReceived,
  recordedAt: string,
): Promise<RecordedInteraction> {
  const m = interaction.metadata;
  const channel = m.channel;
  if (!isChannelId(channel)) throw new Error(`interaction from unknown channel ${channel}`);
  const [primary] = interaction.data.identities;
  if (!primary) throw new Error('interaction has no identity');

  const { customerId, firstContact } = await deps.identities.resolve(m.tenantId, primary, m);
  const metadata = { ...m, recordedAt };
  const events: CustomerEvent[] = [];
  if (firstContact) {
    events.push({
      type: 'CustomerRegistered',
      data: { customerId, tenantId: m.tenantId, identity: primary },
      metadata: { ...metadata, eventId: deterministicId('customer-registered', m.tenantId, customerId), causationId: m.eventId },
    });
  }
  events.push({ type: 'InteractionRecorded', data: { ...interaction.data, channel }, metadata });
  try {
    const result = await deps.customers.append(m.tenantId, customerId, events, 'any');
    return { tenantId: m.tenantId, customerId, alreadyRecordedElsewhere: false, events, revision: result.nextExpectedRevision, position: result.position, duplicate: result.duplicate };
  } catch (err) {
    if (!(err instanceof IdempotencyConflictError && err.reason === 'stored_in_other_stream')) throw err;
    // A redelivery of an interaction whose customer has since been erased: the identity was released
    // and just claimed again for it. Give the fresh claim back; the interaction stays where it was.
    if (firstContact) await deps.identities.releaseClaim(m.tenantId, primary, customerId, metadata);
    return { tenantId: m.tenantId, customerId, alreadyRecordedElsewhere: true, events: [], revision: -1n, position: -1n, duplicate: true };
  }
}
