import type { ShopifyOrder, ShopifyRefund } from './shopify.payload';

/** The headers Shopify sends with every webhook (lower-cased, as the ingestion app hands them over). */
export const SHOPIFY_HEADERS = Object.freeze({
  hmac: 'x-shopify-hmac-sha256',
  topic: 'x-shopify-topic',
  shopDomain: 'x-shopify-shop-domain',
  apiVersion: 'x-shopify-api-version',
  webhookId: 'x-shopify-webhook-id',
  eventId: 'x-shopify-event-id',
  triggeredAt: 'x-shopify-triggered-at',
});

/** The topics whose body the channel reads. */
export const ORDER_TOPICS = ['orders/create', 'orders/updated'] as const;
export const REFUND_TOPICS = ['refunds/create'] as const;
export type OrderTopic = (typeof ORDER_TOPICS)[number];
export type RefundTopic = (typeof REFUND_TOPICS)[number];

/** What the headers say about one delivery. */
export interface ShopifyDelivery {
  topic: string;
  shopDomain: string;
  apiVersion?: string;
  /** The same on every retry of this delivery. */
  webhookId?: string;
  /** The same for every delivery of one event (several subscriptions, retries). */
  eventId?: string;
  triggeredAt?: string;
}

/** A validated Shopify webhook: its delivery headers and the body read by topic. */
export type ShopifyWebhook =
  | { resource: 'order'; delivery: ShopifyDelivery & { topic: OrderTopic }; order: ShopifyOrder }
  | { resource: 'refund'; delivery: ShopifyDelivery & { topic: RefundTopic }; refund: ShopifyRefund }
  | { resource: 'other'; delivery: ShopifyDelivery };
