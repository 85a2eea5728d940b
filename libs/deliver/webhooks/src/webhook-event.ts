import type { CustomerEventMessage } from '@hub/contracts';
import type { CustomerEventOf, NbaDecisionMessageV2 } from '@hub/customer';

/**
 * What an outgoing webhook can carry, by `type` (docs/events.md, "Outgoing webhooks"). A decision
 * is the `hub.nba-decisions.v2` message as it is (no personal data beyond what that message
 * carries already: the address of an action); work items and customer changes are what a platform
 * needs to react, never a customer's identities, trait values or free text.
 */
export const WEBHOOK_EVENT_TYPES = [
  'decision.made',
  'work_item.opened',
  'work_item.claimed',
  'work_item.reassigned',
  'work_item.resolved',
  'customer.registered',
  'customer.traits_updated',
  'customer.consent_changed',
  'customers.merged',
  'customer.erased',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body of a delivery, before it is serialised: Standard Webhooks' recommended `{ type, timestamp, data }`, and the tenant. */
export interface WebhookPayload {
  type: WebhookEventType;
  /** When it happened (ISO 8601): the decision's time, the customer event's `occurredAt`. */
  timestamp: string;
  tenantId: string;
  data: Record<string, unknown>;
}

/** One event to deliver to the tenant's matching subscriptions; `id` (the hub's event or decision id) is the `webhook-id`. */
export interface WebhookEvent {
  id: string;
  tenantId: string;
  payload: WebhookPayload;
}

/** A decision (`hub.nba-decisions.v2`), either kind. */
export function webhookEventOfDecision(message: NbaDecisionMessageV2): WebhookEvent {
  return {
    id: message.decisionId,
    tenantId: message.tenantId,
    payload: {
      type: 'decision.made',
      timestamp: message.decidedAt,
      tenantId: message.tenantId,
      data: { ...message },
    },
  };
}

type Delivered =
  | 'WorkItemOpened'
  | 'WorkItemClaimed'
  | 'WorkItemReassigned'
  | 'WorkItemResolved'
  | 'CustomerRegistered'
  | 'TraitsUpdated'
  | 'ConsentChanged'
  | 'CustomersMerged'
  | 'CustomerErased';

/**
 * The customer events that are delivered, each with its webhook type and the fields it keeps. What
 * is left out: `reason` of a reassignment and `note` of a resolution (sealed: personal data), the
 * identity of a registration, trait values (only their names), merge evidence and identities moved.
 */
const CUSTOMER_CHANGES: { [T in Delivered]: { type: WebhookEventType; data(d: CustomerEventOf<T>['data']): Record<string, unknown> } } = {
  WorkItemOpened: {
    type: 'work_item.opened',
    data: (d) => ({
      workItemId: d.workItemId,
      decisionId: d.decisionId,
      actionId: d.actionId,
      queue: d.queue,
      priority: d.priority,
      dueAt: d.dueAt,
      ...(d.conversation ? { conversation: d.conversation } : {}),
    }),
  },
  WorkItemClaimed: { type: 'work_item.claimed', data: (d) => ({ workItemId: d.workItemId, agent: d.agent }) },
  WorkItemReassigned: { type: 'work_item.reassigned', data: (d) => ({ workItemId: d.workItemId, from: d.from, to: d.to }) },
  WorkItemResolved: { type: 'work_item.resolved', data: (d) => ({ workItemId: d.workItemId, resolution: d.resolution, by: d.by }) },
  CustomerRegistered: { type: 'customer.registered', data: () => ({}) },
  TraitsUpdated: { type: 'customer.traits_updated', data: (d) => ({ traits: Object.keys(d.traits).sort() }) },
  ConsentChanged: { type: 'customer.consent_changed', data: (d) => ({ channel: d.channel, consent: d.consent, source: d.source }) },
  CustomersMerged: {
    type: 'customers.merged',
    data: (d) => ({ mergeId: d.mergeId, survivorId: d.survivorId, mergedId: d.mergedId }),
  },
  CustomerErased: { type: 'customer.erased', data: (d) => ({ ...(d.cascadeOf !== undefined ? { cascadeOf: d.cascadeOf } : {}) }) },
};

const isDelivered = (type: string): type is Delivered => Object.prototype.hasOwnProperty.call(CUSTOMER_CHANGES, type);

/** A `hub.customer-events.v1` message as a webhook event, or undefined for a type that is not delivered. */
export function webhookEventOfCustomerEvent(message: CustomerEventMessage): WebhookEvent | undefined {
  if (!isDelivered(message.type)) return undefined;
  const change = CUSTOMER_CHANGES[message.type] as { type: WebhookEventType; data(d: unknown): Record<string, unknown> };
  return {
    id: message.metadata.eventId,
    tenantId: message.tenantId,
    payload: {
      type: change.type,
      timestamp: message.metadata.occurredAt,
      tenantId: message.tenantId,
      data: { customerId: message.customerId, ...change.data(message.data), eventType: message.type },
    },
  };
}
