import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  validateAs,
  type FieldError,
  type IdentityRef,
  type InteractionReceived,
} from '@hub/contracts';
import {
  ChannelMappingError,
  integerIdText,
  hmacBase64,
  safeEqual,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { normalizeEmail, normalizeExternalId, normalizePhone, type NormalizeResult } from '@hub/customer';
import type { CountryCode } from 'libphonenumber-js';
import { toMinorUnits } from './money';
import { SHOP_DOMAIN_PATTERN, type ShopifyCommerceConfig } from './shopify-commerce.config';
import {
  ORDER_TOPICS,
  REFUND_TOPICS,
  SHOPIFY_HEADERS,
  type OrderTopic,
  type RefundTopic,
  type ShopifyDelivery,
  type ShopifyWebhook,
} from './shopify-webhook';
import { ShopifyOrder, ShopifyRefund } from './shopify.payload';

export const SHOPIFY_COMMERCE_MANIFEST: ChannelManifest = {
  id: 'commerce',
  displayName: 'Commerce: orders and refunds (Shopify)',
  provider: 'shopify',
  docsUrl: 'https://shopify.dev/docs/api/webhooks',
  route: { method: 'POST', path: '/webhooks/shopify' },
  // An order with many line items, addresses and refunds; Shopify's own payloads stay far below this.
  maxBodyBytes: 2 * 1024 * 1024,
};

/** The identity namespace of Shopify customer ids. */
export const SHOPIFY_NAMESPACE = 'shopify';
const TOPIC_PATTERN = /^[a-z_]+\/[a-z_]+$/;

/** `X-Shopify-Hmac-Sha256`: the base64 HMAC-SHA256 of the exact body with the webhook secret. */
export function shopifyHmac(secret: string, rawBody: Buffer | string): string {
  return hmacBase64('sha256', secret, rawBody);
}

/** The numeric id at the end of a Shopify GraphQL id (`gid://shopify/Order/450789469` → `450789469`): exact, where the JSON number may not be. */
export function legacyIdOf(gid: string): string {
  return gid.slice(gid.lastIndexOf('/') + 1);
}

const isOrderTopic = (topic: string): topic is OrderTopic => (ORDER_TOPICS as readonly string[]).includes(topic);
const isRefundTopic = (topic: string): topic is RefundTopic => (REFUND_TOPICS as readonly string[]).includes(topic);

/**
 * Shopify orders and refunds as `order` interactions.
 * - `orders/create` → one `created` event (inbound: the customer ordered).
 * - `orders/updated` → one `refunded` event per refund in `refunds[]` (outbound: the shop paid
 *   back), each with the id its `refunds/create` would have, so the same refund sent again in a
 *   later update is the same event. An update without refunds records nothing.
 * - `refunds/create` is validated but cannot be mapped: Shopify's Refund names no customer.
 * - Any other topic is valid but not ingested: unmappable, with the topic in the reason.
 */
export class ShopifyCommerceChannelAdapter implements ChannelAdapter<ShopifyWebhook> {
  readonly manifest = SHOPIFY_COMMERCE_MANIFEST;
  private readonly shops: ReadonlySet<string> | undefined;

  constructor(private readonly config: ShopifyCommerceConfig) {
    this.shops = config.SHOPIFY_SHOP_DOMAINS ? new Set(config.SHOPIFY_SHOP_DOMAINS.split(',')) : undefined;
  }

  /** Shopify signs the body only, with no timestamp: there is no replay window to enforce. */
  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    const signature = request.headers[SHOPIFY_HEADERS.hmac];
    if (!signature) return { ok: false, reason: 'signature_missing' };
    if (!safeEqual(signature, shopifyHmac(this.config.SHOPIFY_WEBHOOK_SECRET, request.rawBody)))
      return { ok: false, reason: 'signature_invalid' };
    if (this.shops && !this.shops.has(request.headers[SHOPIFY_HEADERS.shopDomain] ?? '')) {
      return { ok: false, reason: 'signature_invalid', detail: 'X-Shopify-Shop-Domain is not one of SHOPIFY_SHOP_DOMAINS' };
    }
    return { ok: true };
  }

  parse(body: unknown, headers: WebhookRequest['headers']): ParseResult<ShopifyWebhook> {
    const errors: FieldError[] = [];
    const header = (name: string) => `headers.${name}`;
    const topic = headers[SHOPIFY_HEADERS.topic];
    const shopDomain = headers[SHOPIFY_HEADERS.shopDomain];
    if (!topic) errors.push({ field: header(SHOPIFY_HEADERS.topic), messages: ['X-Shopify-Topic is required'] });
    else if (!TOPIC_PATTERN.test(topic))
      errors.push({ field: header(SHOPIFY_HEADERS.topic), messages: ['X-Shopify-Topic must be a topic such as orders/create'] });
    if (!shopDomain) errors.push({ field: header(SHOPIFY_HEADERS.shopDomain), messages: ['X-Shopify-Shop-Domain is required'] });
    else if (!SHOP_DOMAIN_PATTERN.test(shopDomain))
      errors.push({ field: header(SHOPIFY_HEADERS.shopDomain), messages: ['X-Shopify-Shop-Domain must be a <shop>.myshopify.com domain'] });
    if (errors.length > 0 || !topic || !shopDomain) return { ok: false, errors };

    const delivery: ShopifyDelivery = { topic, shopDomain };
    const optional = {
      apiVersion: SHOPIFY_HEADERS.apiVersion,
      webhookId: SHOPIFY_HEADERS.webhookId,
      eventId: SHOPIFY_HEADERS.eventId,
      triggeredAt: SHOPIFY_HEADERS.triggeredAt,
    } as const;
    for (const [key, name] of Object.entries(optional) as [keyof typeof optional, string][]) {
      const value = headers[name];
      if (value) delivery[key] = value;
    }
    if (isOrderTopic(topic)) {
      const order = validateAs(ShopifyOrder, body, { allowUnknown: true });
      return order.ok ? { ok: true, value: { resource: 'order', delivery: { ...delivery, topic }, order: order.value } } : order;
    }
    if (isRefundTopic(topic)) {
      const refund = validateAs(ShopifyRefund, body, { allowUnknown: true });
      return refund.ok ? { ok: true, value: { resource: 'refund', delivery: { ...delivery, topic }, refund: refund.value } } : refund;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { ok: false, errors: [{ field: '(root)', messages: ['must be an object'] }] };
    return { ok: true, value: { resource: 'other', delivery } };
  }

  map(webhook: ShopifyWebhook, context: MapContext): InteractionReceived[] {
    switch (webhook.resource) {
      case 'order': {
        if (webhook.delivery.topic === 'orders/create') return [this.orderCreated(webhook.order, webhook.delivery.shopDomain, context)];
        const refunds = webhook.order.refunds ?? [];
        if (refunds.length === 0) {
          // Accepting it with no event would say nothing of what changed: dead-lettered with what it was.
          const cancelled = (webhook.order as unknown as Record<string, unknown>)['cancelled_at'];
          throw new ChannelMappingError(
            `orders/updated for order ${webhook.order.admin_graphql_api_id} carries no refund${typeof cancelled === 'string' ? ` (it was cancelled at ${cancelled})` : ''}: the hub records refunds from orders/updated; other order changes (fulfilment, tags, cancellation) are not recorded`,
            'refunds',
          );
        }
        return refunds.map((refund, i) => this.orderRefunded(webhook.order, refund, i, webhook.delivery.shopDomain, context));
      }
      case 'refund':
        throw new ChannelMappingError(
          "refunds/create names no customer (Shopify's Refund carries only the order_id): refunds are recorded from orders/updated, which carries the order and its customer",
          'order_id',
        );
      case 'other':
        throw new ChannelMappingError(
          `topic ${webhook.delivery.topic} is not ingested: the commerce channel reads orders/create and orders/updated`,
          `headers.${SHOPIFY_HEADERS.topic}`,
        );
      default: {
        const exhaustive: never = webhook;
        throw new Error(`unhandled Shopify webhook ${JSON.stringify(exhaustive)}`);
      }
    }
  }

  private orderCreated(order: ShopifyOrder, shopDomain: string, { tenantId, receivedAt }: MapContext): InteractionReceived {
    const orderId = legacyIdOf(order.admin_graphql_api_id);
    const identities = orderIdentities(order);
    const [amountField, amount, currency] = order.total_price_set
      ? [
          'total_price_set.presentment_money.amount',
          order.total_price_set.presentment_money.amount,
          order.total_price_set.presentment_money.currency_code,
        ]
      : ['total_price', order.total_price, order.currency];
    const minor = toMinorUnits(amount, currency);
    if (!minor.ok) throw new ChannelMappingError(`${amountField}: ${minor.reason}`, amountField);
    const eventId = orderEventId(shopDomain, orderId);
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'order',
        identities,
        content: { media: [] },
        provider: { name: 'shopify', messageId: order.admin_graphql_api_id, accountId: shopDomain },
        endpoint: shopDomain,
        order: { orderId, action: 'created', amount: minor.value, currency, itemCount: sum(order.line_items.map((l) => l.quantity)) },
      },
      metadata: metadata(eventId, eventId, new Date(order.created_at).toISOString(), tenantId, receivedAt),
    };
  }

  private orderRefunded(
    order: ShopifyOrder,
    refund: ShopifyRefund,
    index: number,
    shopDomain: string,
    { tenantId, receivedAt }: MapContext,
  ): InteractionReceived {
    const orderId = legacyIdOf(order.admin_graphql_api_id);
    const refundId = legacyIdOf(refund.admin_graphql_api_id);
    const identities = orderIdentities(order);
    const { amount, currency } = refundAmount(refund, orderCurrency(order), `refunds.${index}`);
    const eventId = deterministicId('commerce', 'shopify', shopDomain, 'refunds/create', orderId, refundId);
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'outbound',
        kind: 'order',
        identities,
        content: { media: [] },
        provider: { name: 'shopify', messageId: refund.admin_graphql_api_id, accountId: shopDomain },
        endpoint: shopDomain,
        order: { orderId, action: 'refunded', amount, currency, refundId, itemCount: sum(refund.refund_line_items.map((l) => l.quantity)) },
      },
      // Correlated with the order it refunds: the id of that order's `created` event.
      metadata: metadata(
        eventId,
        orderEventId(shopDomain, orderId),
        new Date(refund.processed_at ?? refund.created_at).toISOString(),
        tenantId,
        receivedAt,
      ),
    };
  }
}

function orderEventId(shopDomain: string, orderId: string): string {
  return deterministicId('commerce', 'shopify', shopDomain, 'orders/create', orderId);
}

function metadata(
  eventId: string,
  correlationId: string,
  occurredAt: string,
  tenantId: string,
  receivedAt: string,
): InteractionReceived['metadata'] {
  return {
    eventId,
    correlationId,
    causationId: eventId,
    occurredAt,
    occurredAtSource: 'provider',
    recordedAt: receivedAt,
    schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
    tenantId,
    channel: 'commerce',
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** The currency the customer paid in. */
function orderCurrency(order: ShopifyOrder): string {
  return order.total_price_set?.presentment_money.currency_code ?? order.presentment_currency ?? order.currency;
}

/**
 * The money a refund returned: the sum of its successful refund transactions (what the payment
 * gateway paid back, shipping and tax included, after any adjustment), in their currency. Line-item
 * subtotals are not money returned: they leave out tax and shipping and ignore adjustments. A
 * refund with no successful refund transaction (restock only, or pending) returned 0.
 */
export function refundAmount(refund: ShopifyRefund, fallbackCurrency: string, path = ''): { amount: number; currency: string } {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const paid = refund.transactions.map((t, i) => ({ t, i })).filter(({ t }) => t.kind === 'refund' && t.status === 'success');
  const currencies = [...new Set(paid.map(({ t }) => t.currency))];
  if (currencies.length > 1)
    throw new ChannelMappingError(`refund ${refund.id} was paid back in several currencies (${currencies.join(', ')})`, at('transactions'));
  const currency = currencies[0] ?? fallbackCurrency;
  let amount = 0;
  for (const { t, i } of paid) {
    const minor = toMinorUnits(t.amount, currency);
    if (!minor.ok) throw new ChannelMappingError(`${at(`transactions.${i}.amount`)}: ${minor.reason}`, at(`transactions.${i}.amount`));
    amount += minor.value;
  }
  if (!Number.isSafeInteger(amount)) throw new ChannelMappingError(`refund ${refund.id} is too large to hold exactly`, at('transactions'));
  return { amount, currency };
}

/**
 * Who ordered: their email first (order email, contact email, customer email), then their phone
 * (order, customer, billing address; national numbers read in the billing country), then their
 * Shopify customer id. Unusable values are skipped; a guest with neither email nor phone has none.
 */
export function orderIdentities(order: ShopifyOrder): IdentityRef[] {
  const region = (order.billing_address?.country_code ?? undefined) as CountryCode | undefined;
  const first = (results: (NormalizeResult | undefined)[]) =>
    results.find((r): r is Extract<NormalizeResult, { ok: true }> => r?.ok === true)?.identity;
  const present = (v: string | null | undefined): v is string => typeof v === 'string' && v.trim() !== '';
  const email = first([order.email, order.contact_email, order.customer?.email].filter(present).map((e) => normalizeEmail(e)));
  const phone = first(
    [order.phone, order.customer?.phone, order.billing_address?.phone].filter(present).map((p) => normalizePhone(p, region)),
  );
  const customer = order.customer;
  const external = customer
    ? normalizeExternalId(
        SHOPIFY_NAMESPACE,
        customer.admin_graphql_api_id ? legacyIdOf(customer.admin_graphql_api_id) : integerIdText(customer.id),
      )
    : undefined;
  const identities = [email, phone, external?.ok ? external.identity : undefined].filter((i): i is IdentityRef => i !== undefined);
  if (identities.length === 0)
    throw new ChannelMappingError('no usable customer identity: a guest order with no valid email or phone', 'email');
  return identities;
}
