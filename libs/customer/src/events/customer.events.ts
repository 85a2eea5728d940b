import type { ChannelId, EventMetadata, IdentityRef, InteractionData } from '@hub/contracts';

/**
 * Events in a customer's stream (`customerStream(tenant, id)`). Past tense; every one carries the
 * full `EventMetadata`. Adding a type: add it here, handle it in `evolve` (the compiler insists),
 * and document it in docs/events.md.
 */
export type CustomerRegistered = {
  type: 'CustomerRegistered';
  data: { customerId: string; tenantId: string; identity: IdentityRef };
  metadata: EventMetadata;
};

export type InteractionRecorded = {
  type: 'InteractionRecorded';
  data: InteractionData & { channel: ChannelId };
  metadata: EventMetadata;
};

export const NBA_ACTION_KINDS = ['self_service', 'callback', 'escalation', 'offer', 'survey', 'none'] as const;
export type NbaActionKind = (typeof NBA_ACTION_KINDS)[number];

export type NextBestActionDecided = {
  type: 'NextBestActionDecided';
  data: {
    decisionId: string;
    customerId: string;
    action: { kind: NbaActionKind; code: string; channel?: ChannelId; detail: string };
    /** Why: the rule that fired and the facts it read, so the decision explains itself. */
    explanation: { ruleId: string; reason: string; inputs: Record<string, string | number | boolean | null> };
    rulesetVersion: string;
    /** The stream revision of the state the decision was made on, and the interaction that triggered it. */
    basedOnRevision: string;
    basedOnEventId: string;
  };
  metadata: EventMetadata;
};

export type CustomerEvent = CustomerRegistered | InteractionRecorded | NextBestActionDecided;
export type CustomerEventType = CustomerEvent['type'];

export const CUSTOMER_EVENT_TYPES: readonly CustomerEventType[] = ['CustomerRegistered', 'InteractionRecorded', 'NextBestActionDecided'];

export function isCustomerEventType(type: string): type is CustomerEventType {
  return (CUSTOMER_EVENT_TYPES as readonly string[]).includes(type);
}

/** Events in an identity's claim stream (`identityStream(tenant, kind, value)`). */
export type IdentityClaimed = {
  type: 'IdentityClaimed';
  data: { customerId: string; identity: IdentityRef };
  metadata: EventMetadata;
};
