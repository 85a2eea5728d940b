import {
  HubError,
  isChannelId,
  type ChannelId,
  type ConsentReceived,
  type ConversationStatusReceived,
  type EventMetadata,
  type InteractionsTopicMessage,
} from '@hub/contracts';
import type { ConsentChanged, ConversationResolved, CustomerEvent, TraitsUpdated } from '@hub/customer';
import { IdempotencyConflictError } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';
import { customerRegistered, resolveByAnyIdentity } from './record-interaction';

/** What a platform says of a customer beside its interactions (the generic API's facts). */
export type CustomerFactMessage = Exclude<InteractionsTopicMessage, { type: 'InteractionReceived' }>;

export type RecordedCustomerFact =
  | { outcome: 'recorded' | 'duplicate'; customerId: string; events: CustomerEvent[] }
  /** No customer holds any of its identities (a conversation never seen, an erased customer): nothing is recorded. */
  | { outcome: 'unknown_customer' }
  /** Recorded before for a customer it no longer resolves to (erased, then named again): left where it is. */
  | { outcome: 'recorded_elsewhere'; customerId: string };

/** A fact that can never be recorded (its channel is not one of the hub's): dead-lettered. */
export class UnrecordableCustomerFactError extends HubError {
  readonly code = 'INVALID_EVENT';
  readonly retryable = false;
}

type Deps = { customers: CustomerRepository; identities: IdentityResolver };

/**
 * RecordCustomerFact: a platform's fact about a customer, appended to their stream under the
 * fact's own id (a redelivery appends nothing), and no `InteractionRecorded` (a fact is not a contact):
 * - a conversation resolved (`ConversationStatusReceived`) → `ConversationResolved`, for the customer
 *   who holds any of its identities (read only: a conversation nobody here has seen has no one to
 *   be resolved for, so no customer is made and nothing claimed); the NBA worker schedules the
 *   survey follow-up from it, as from any resolution;
 * - a consent change (`ConsentReceived`) → `ConsentChanged`, for the customer recognised by any of
 *   its identities, registered when nobody holds them yet (an opt-out holds before the first
 *   contact too), exactly as an interaction would find or register them;
 * - profile attributes (`TraitsReceived`) → `TraitsUpdated`, for the customer found or registered
 *   the same way (a platform knows its customers before they write).
 */
export async function recordCustomerFact(deps: Deps, fact: CustomerFactMessage, recordedAt: string): Promise<RecordedCustomerFact> {
  const metadata = { ...fact.metadata, recordedAt };
  switch (fact.type) {
    case 'ConversationStatusReceived':
      return recordForHolder(deps, fact, conversationResolved(fact, channelOf(fact), metadata));
    case 'ConsentReceived':
      return recordForAnyone(deps, fact, consentChanged(fact, channelOf(fact), metadata));
    case 'TraitsReceived': {
      const updated: TraitsUpdated = { type: 'TraitsUpdated', data: { traits: { ...fact.data.traits } }, metadata };
      return recordForAnyone(deps, fact, updated);
    }
    default: {
      const exhaustive: never = fact;
      throw new UnrecordableCustomerFactError(`unknown fact ${JSON.stringify(exhaustive)}`);
    }
  }
}

/** The channel a conversation or a consent is of: one of the hub's, never `system`. */
function channelOf(fact: CustomerFactMessage): ChannelId {
  const channel = fact.metadata.channel;
  if (!isChannelId(channel))
    throw new UnrecordableCustomerFactError(`metadata.channel: a ${fact.type} names one of the hub's channels, not ${channel}`);
  return channel;
}

function conversationResolved(status: ConversationStatusReceived, channel: ChannelId, metadata: EventMetadata): ConversationResolved {
  return {
    type: 'ConversationResolved',
    data: { channel, ...(status.data.threadId !== undefined ? { threadId: status.data.threadId } : {}) },
    metadata,
  };
}

function consentChanged(consent: ConsentReceived, channel: ChannelId, metadata: EventMetadata): ConsentChanged {
  return { type: 'ConsentChanged', data: { channel, consent: consent.data.consent, source: consent.data.source }, metadata };
}

/** Appended for the customer who already holds one of the fact's identities, or for nobody. */
async function recordForHolder(deps: Deps, fact: CustomerFactMessage, event: CustomerEvent): Promise<RecordedCustomerFact> {
  const { tenantId } = fact.metadata;
  const claims = await deps.identities.currentClaims(fact.data.identities.map((identity) => ({ tenantId, identity })));
  const holder = fact.data.identities
    .map((identity) => claims.get(deps.identities.claimStreamOf(tenantId, identity))?.event)
    .find((claim) => claim?.type === 'IdentityClaimed');
  if (holder?.type !== 'IdentityClaimed') return { outcome: 'unknown_customer' };
  return append(deps, tenantId, holder.data.customerId, [event]);
}

/** Appended for the customer recognised by the fact's identities, registered first when there is none. */
async function recordForAnyone(deps: Deps, fact: CustomerFactMessage, event: CustomerEvent): Promise<RecordedCustomerFact> {
  const m = fact.metadata;
  const { customerId, firstContact, identitiesHeldByOthers } = await resolveByAnyIdentity(
    deps.identities,
    m.tenantId,
    fact.data.identities,
    m,
  );
  const own = fact.data.identities.find(
    (i) => !identitiesHeldByOthers.some((h) => h.kind === i.kind && h.value === i.value && (h.namespace ?? '') === (i.namespace ?? '')),
  );
  const events = firstContact && own ? [customerRegistered(customerId, own, event.metadata), event] : [event];
  const recorded = await append(deps, m.tenantId, customerId, events);
  // A redelivery of a fact whose customer has since been erased: the identity was just claimed
  // again for it. Give the fresh claim back; the fact stays where it was.
  if (recorded.outcome === 'recorded_elsewhere' && firstContact)
    await deps.identities.releaseClaim(m.tenantId, fact.data.identities[0]!, customerId, event.metadata);
  return recorded;
}

async function append(deps: Deps, tenantId: string, customerId: string, events: CustomerEvent[]): Promise<RecordedCustomerFact> {
  try {
    const result = await deps.customers.append(tenantId, customerId, events, 'any');
    return { outcome: result.duplicate ? 'duplicate' : 'recorded', customerId, events };
  } catch (err) {
    if (err instanceof IdempotencyConflictError && err.reason === 'stored_in_other_stream')
      return { outcome: 'recorded_elsewhere', customerId };
    throw err;
  }
}
