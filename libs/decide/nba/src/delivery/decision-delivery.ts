import type { ChannelId } from '@hub/contracts';
import type { CustomerEvent, CustomerState, NbaChannelAddress, NbaTriggerRef } from '@hub/customer';
import { NBA_TRIGGER_TYPES } from '../engine/decided-event';

/**
 * What a platform needs beside the engine's choice to act on a decision, recorded with it
 * (`decidedEvent`) and recomputed from the stream by `reproduceDecision`: every trigger the decision
 * folded, and the chosen channel's address.
 */
export interface DecisionDelivery {
  triggers: NbaTriggerRef[];
  address?: NbaChannelAddress;
}

/** Triggers answered in real time (debounced per customer); a resolution is answered by its survey follow-up instead. */
export const NBA_REALTIME_TRIGGER_TYPES: readonly string[] = NBA_TRIGGER_TYPES.filter((t) => t !== 'ConversationResolved');

/**
 * At most this many unanswered triggers are kept (the latest): every real-time trigger gets a
 * decision within the debounce window, so more would take a burst of that many within it.
 */
export const MAX_PENDING_TRIGGERS = 100;

const refOf = (event: CustomerEvent): NbaTriggerRef => ({
  eventId: event.metadata.eventId,
  type: event.type,
  occurredAt: event.metadata.occurredAt,
});

/**
 * The real-time triggers no decision has answered yet, after one more event of the customer's
 * (whole) history: a trigger joins them; a decision answering one of them answers it and every one
 * before it (a debounced decision answers the latest trigger it saw, and so all that came before).
 */
export function pendingTriggersAfter(pending: readonly NbaTriggerRef[], event: CustomerEvent): readonly NbaTriggerRef[] {
  if (event.type === 'NextBestActionDecided') {
    const answered = pending.findIndex((t) => t.eventId === event.data.basedOnEventId);
    return answered < 0 ? pending : pending.slice(answered + 1);
  }
  if (!NBA_REALTIME_TRIGGER_TYPES.includes(event.type)) return pending;
  const next = [...pending, refOf(event)];
  return next.length > MAX_PENDING_TRIGGERS ? next.slice(-MAX_PENDING_TRIGGERS) : next;
}

/**
 * Every trigger a decision answering `answered` folds, in stream order: the pending triggers up to
 * and including it; or, for an event that is not a pending real-time trigger (the resolution a survey
 * follow-up answers, the latest event an outbound scan answers), that event alone.
 */
export function decisionTriggers(pending: readonly NbaTriggerRef[], answered: CustomerEvent): NbaTriggerRef[] {
  const at = pending.findIndex((t) => t.eventId === answered.metadata.eventId);
  return at < 0 ? [refOf(answered)] : pending.slice(0, at + 1);
}

/**
 * Which of the customer's identities addresses them on each channel: a phone number, an email
 * address, or a handle in the channel's namespace; `null` for a channel nobody is addressed on
 * (a survey or a shop; a platform's own chat, which addresses the customer by its own means).
 */
export const CHANNEL_ADDRESS_IDENTITY = {
  sms: { kind: 'phone' },
  whatsapp: { kind: 'phone' },
  voice: { kind: 'phone' },
  email: { kind: 'email' },
  telegram: { kind: 'handle', namespace: 'telegram' },
  messenger: { kind: 'handle', namespace: 'messenger' },
  instagram: { kind: 'handle', namespace: 'instagram' },
  webchat: { kind: 'handle', namespace: 'webchat' },
  survey: null,
  commerce: null,
  chat: null,
} as const satisfies Record<ChannelId, { kind: 'phone' | 'email'; namespace?: undefined } | { kind: 'handle'; namespace: string } | null>;

/**
 * The customer's address on `channel` from their folded state: the identity of the channel's kind
 * (and namespace) they gained last. Undefined when the channel addresses nobody or the state has
 * no such identity (an erased customer has none).
 */
export function channelAddress(state: CustomerState, channel: ChannelId | null): NbaChannelAddress | undefined {
  if (channel === null) return undefined;
  const wanted: { kind: 'phone' | 'email' | 'handle'; namespace?: string } | null = CHANNEL_ADDRESS_IDENTITY[channel];
  if (!wanted) return undefined;
  const identity = state.identities.findLast((i) => i.kind === wanted.kind && i.namespace === wanted.namespace);
  if (!identity) return undefined;
  return { channel, kind: wanted.kind, value: identity.value, ...(wanted.namespace !== undefined ? { namespace: wanted.namespace } : {}) };
}
