import { jsonBodyAsIngested } from '@hub/channels-core/testing';
import { createHash } from 'node:crypto';
import type { WebhookRequest } from '@hub/channels-core';
import { shopifyHmac } from '../shopify-commerce.adapter';
import { SHOPIFY_HEADERS } from '../shopify-webhook';

/**
 * Test and demo helpers that build Shopify webhooks the way Shopify sends them: a JSON body and the
 * X-Shopify-* headers (https://shopify.dev/docs/apps/build/webhooks/subscribe/https), signed as
 * documented at https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook.
 * Never imported by production code.
 */

export const TEST_SHOP_DOMAIN = 'hub-demo-store.myshopify.com';
export const TEST_SHOPIFY_API_VERSION = '2025-01';
/** When the body carries no `updated_at` / `created_at` to derive it from. */
const DEFAULT_TRIGGERED_AT = '2025-01-15T09:29:59.512Z';

const uuidFrom = (...parts: readonly string[]): string => {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

export interface ShopifyWebhookInput {
  secret: string;
  url: string;
  /** `orders/create`, `orders/updated`, `refunds/create`…; omitted: no X-Shopify-Topic header (a malformed request). */
  topic?: string;
  /** Omitted: no X-Shopify-Shop-Domain header (a malformed request). */
  shopDomain?: string;
  body: Record<string, unknown>;
  apiVersion?: string;
}

/**
 * The webhook as Shopify posts it: the exact JSON bytes, their base64 HMAC-SHA256, and the delivery
 * headers. The webhook and event ids are derived from the topic, shop and body, so sending the same
 * body again is a retry of the same delivery (as Shopify's retries are).
 */
export function shopifyWebhookRequest({
  secret,
  url,
  topic,
  shopDomain,
  body,
  apiVersion = TEST_SHOPIFY_API_VERSION,
}: ShopifyWebhookInput): WebhookRequest {
  const raw = JSON.stringify(body);
  const stamp =
    typeof body['updated_at'] === 'string' ? body['updated_at'] : typeof body['created_at'] === 'string' ? body['created_at'] : undefined;
  const triggeredAt =
    stamp !== undefined && !Number.isNaN(Date.parse(stamp)) ? new Date(Date.parse(stamp) + 512).toISOString() : DEFAULT_TRIGGERED_AT;
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Shopify-Captain-Hook',
      ...(topic !== undefined ? { [SHOPIFY_HEADERS.topic]: topic } : {}),
      [SHOPIFY_HEADERS.hmac]: shopifyHmac(secret, raw),
      ...(shopDomain !== undefined ? { [SHOPIFY_HEADERS.shopDomain]: shopDomain } : {}),
      [SHOPIFY_HEADERS.apiVersion]: apiVersion,
      [SHOPIFY_HEADERS.webhookId]: uuidFrom('webhook', topic ?? '', shopDomain ?? '', raw),
      [SHOPIFY_HEADERS.eventId]: uuidFrom('event', topic ?? '', shopDomain ?? '', raw),
      [SHOPIFY_HEADERS.triggeredAt]: triggeredAt,
    },
    rawBody: Buffer.from(raw, 'utf8'),
    body: jsonBodyAsIngested(raw),
  };
}

/**
 * How a recorded fixture says what its headers are: `__topic` (the X-Shopify-Topic; absent: no
 * header) and `__shop_domain` (absent: TEST_SHOP_DOMAIN; null: no header). Both are stripped from
 * the body, which is everything else.
 */
export function shopifyFixtureRequest(payload: Record<string, unknown>, { secret, url }: { secret: string; url: string }): WebhookRequest {
  const { __topic: topic, __shop_domain: shop, ...body } = payload;
  if (topic !== undefined && typeof topic !== 'string') throw new Error(`__topic must be a string, got ${JSON.stringify(topic)}`);
  if (shop !== undefined && shop !== null && typeof shop !== 'string')
    throw new Error(`__shop_domain must be a string or null, got ${JSON.stringify(shop)}`);
  return shopifyWebhookRequest({
    secret,
    url,
    body,
    ...(topic !== undefined ? { topic } : {}),
    ...(shop === null ? {} : { shopDomain: shop ?? TEST_SHOP_DOMAIN }),
  });
}
