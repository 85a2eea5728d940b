import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-event';

export const WEBHOOK_SUBSCRIPTION_STATUSES = ['enabled', 'disabled'] as const;
export type WebhookSubscriptionStatus = (typeof WEBHOOK_SUBSCRIPTION_STATUSES)[number];

/** A tenant's subscription: where to POST which events, signed with which secret. */
export interface WebhookSubscription {
  tenantId: string;
  subscriptionId: string;
  url: string;
  /** Exact types (`work_item.opened`), a family (`work_item.*`) or everything (`*`). */
  eventTypes: string[];
  /** `whsec_…`: the Standard Webhooks signing secret. */
  secret: string;
  description: string | null;
  status: WebhookSubscriptionStatus;
  /** Why and when it was disabled (`failing`: the disable rule; `operator`), null while enabled. */
  disabledReason: string | null;
  disabledAt: string | null;
  /** Since when every attempt failed (null after a success), and how many messages exhausted their attempts since. */
  failingSince: string | null;
  exhaustedSinceSuccess: number;
  createdAt: string;
  updatedAt: string;
}

/** A valid event-type pattern: a type, `<family>.*` of a family with types, or `*`. */
export function isEventTypePattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) {
    const family = pattern.slice(0, -1);
    return WEBHOOK_EVENT_TYPES.some((t) => t.startsWith(family));
  }
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(pattern);
}

/** Whether a subscription's patterns take `type`. */
export function matchesEventType(patterns: readonly string[], type: WebhookEventType): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/** Whether `url` may receive deliveries: https, or http to a loopback host when `allowLoopbackHttp` (tests, development). */
export function isAllowedWebhookUrl(url: string, allowLoopbackHttp: boolean): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username !== '' || u.password !== '') return false;
  if (u.protocol === 'https:') return true;
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  return u.protocol === 'http:' && allowLoopbackHttp && loopback;
}
