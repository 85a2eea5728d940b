import { HubError, isChannelId, type ConversationStatusReceived } from '@hub/contracts';
import type { ConversationResolved } from '@hub/customer';
import { IdempotencyConflictError } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';

export type RecordedConversationStatus =
  | { outcome: 'recorded' | 'duplicate'; customerId: string; events: ConversationResolved[] }
  /** No customer holds any of its identities (never seen, or erased): nothing is recorded. */
  | { outcome: 'unknown_customer' }
  /** Recorded before for a customer it no longer resolves to (merged away, erased and seen again): left where it is. */
  | { outcome: 'recorded_elsewhere'; customerId: string };

/** A conversation status that can never be recorded (its channel is not one of the hub's): dead-lettered. */
export class UnrecordableConversationStatusError extends HubError {
  readonly code = 'INVALID_EVENT';
  readonly retryable = false;
}

/**
 * RecordConversationStatus: a platform said a conversation was resolved. The customer is the one
 * who holds any of its identities (read only: a status creates no customer and claims nothing — a
 * conversation nobody here has seen has no one to record it for), and `ConversationResolved` is
 * appended to their stream under the status's own id (a redelivery appends nothing). The NBA worker
 * schedules the survey follow-up from it, as from any resolution.
 */
export async function recordConversationStatus(
  deps: { customers: CustomerRepository; identities: IdentityResolver },
  status: ConversationStatusReceived,
  recordedAt: string,
): Promise<RecordedConversationStatus> {
  const m = status.metadata;
  const channel = m.channel;
  if (!isChannelId(channel)) throw new UnrecordableConversationStatusError(`metadata.channel: a conversation's channel is one of the hub's channels, not ${channel}`);
  const claims = await deps.identities.currentClaims(status.data.identities.map((identity) => ({ tenantId: m.tenantId, identity })));
  const holder = status.data.identities
    .map((identity) => claims.get(deps.identities.claimStreamOf(m.tenantId, identity))?.event)
    .find((claim) => claim?.type === 'IdentityClaimed');
  if (holder?.type !== 'IdentityClaimed') return { outcome: 'unknown_customer' };
  const customerId = holder.data.customerId;
  const resolved: ConversationResolved = {
    type: 'ConversationResolved',
    data: { channel, ...(status.data.threadId !== undefined ? { threadId: status.data.threadId } : {}) },
    metadata: { ...m, recordedAt },
  };
  try {
    const result = await deps.customers.append(m.tenantId, customerId, [resolved], 'any');
    return { outcome: result.duplicate ? 'duplicate' : 'recorded', customerId, events: [resolved] };
  } catch (err) {
    if (err instanceof IdempotencyConflictError && err.reason === 'stored_in_other_stream') return { outcome: 'recorded_elsewhere', customerId };
    throw err;
  }
}
