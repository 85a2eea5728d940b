import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { validateAs, type InteractionReceived } from '@hub/contracts';
import { refundAmount, ShopifyCommerceChannelAdapter, ShopifyCommerceConfig, shopifyHmac, ShopifyRefund } from './index';
import { commerceTestSetup, shopifyWebhookRequest, TEST_SHOP_DOMAIN } from './testing';

const SECRET = 'commerce-spec-secret';
const URL = 'https://hub.example.com/webhooks/shopify';
const NOW = { nowMs: Date.now() };

type Json = Record<string, unknown>;
const adapter = (config: Partial<ShopifyCommerceConfig> = {}) =>
  new ShopifyCommerceChannelAdapter({ SHOPIFY_WEBHOOK_SECRET: SECRET, ...config });
const request = (topic: string, body: Json, shopDomain = TEST_SHOP_DOMAIN): WebhookRequest =>
  shopifyWebhookRequest({ secret: SECRET, url: URL, topic, shopDomain, body });

/** A recorded fixture's body (without its `__topic`), fresh each time so a test may change it. */
function recorded(kind: 'valid' | 'malformed' | 'unmappable', name: string): Json {
  const fixture = JSON.parse(readFileSync(join(__dirname, '__fixtures__', kind, `${name}.json`), 'utf8')) as { payload: Json };
  const { __topic: _topic, __shop_domain: _shop, ...body } = fixture.payload;
  return body;
}
const order = () => recorded('valid', 'orders-create-documented-example');
const refunded = () => recorded('valid', 'orders-updated-two-refunds');

async function run(req: WebhookRequest, config: Partial<ShopifyCommerceConfig> = {}): Promise<PipelineOutcome> {
  return runChannelPipeline(adapter(config), req);
}
async function events(req: WebhookRequest, config: Partial<ShopifyCommerceConfig> = {}): Promise<InteractionReceived[]> {
  const outcome = await run(req, config);
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

channelConformanceKit(commerceTestSetup);

describe('ShopifyCommerceChannelAdapter', () => {
  describe('when Shopify signs a webhook', () => {
    it('then X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the exact body bytes with the webhook secret', () => {
      const signed = request('orders/create', order());
      expect(signed.headers['x-shopify-hmac-sha256']).toBe(shopifyHmac(SECRET, signed.rawBody));
      expect(signed.headers['x-shopify-hmac-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(adapter().verify(signed, NOW)).toEqual({ ok: true });
    });

    it('then the same JSON re-serialised (as a body parser would) no longer verifies', () => {
      const signed = request('orders/create', order());
      expect(adapter().verify({ ...signed, rawBody: Buffer.from(JSON.stringify(signed.body, null, 1)) }, NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then a hex digest of the right HMAC is refused: Shopify sends base64', () => {
      const signed = request('orders/create', order());
      const hex = Buffer.from(signed.headers['x-shopify-hmac-sha256']!, 'base64').toString('hex');
      expect(adapter().verify({ ...signed, headers: { ...signed.headers, 'x-shopify-hmac-sha256': hex } }, NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
      });
    });
  });

  describe('when SHOPIFY_SHOP_DOMAINS is configured', () => {
    const config = { SHOPIFY_SHOP_DOMAINS: `${TEST_SHOP_DOMAIN},other-store.myshopify.com` };

    it('then a correctly signed webhook from a listed shop goes through', async () => {
      expect(await run(request('orders/create', order()), config)).toMatchObject({ kind: 'accepted' });
    });

    it('then a correctly signed webhook from another shop is refused, saying why', () => {
      expect(adapter(config).verify(request('orders/create', order(), 'stranger.myshopify.com'), NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
        detail: expect.stringContaining('SHOPIFY_SHOP_DOMAINS'),
      });
    });

    it.each(['stranger.example.com', 'a.myshopify.com,', 'A.myshopify.com'])('then %j is refused at boot', (value) => {
      expect(validateAs(ShopifyCommerceConfig, { SHOPIFY_WEBHOOK_SECRET: 's', SHOPIFY_SHOP_DOMAINS: value })).toMatchObject({
        ok: false,
        errors: [{ field: 'SHOPIFY_SHOP_DOMAINS' }],
      });
    });
  });

  describe('the X-Shopify-Topic header', () => {
    it('when it is absent, then the request is invalid and the error names the header', async () => {
      const signed = request('orders/create', order());
      const { 'x-shopify-topic': _dropped, ...headers } = signed.headers;
      expect(await run({ ...signed, headers })).toMatchObject({ kind: 'invalid', errors: [{ field: 'headers.x-shopify-topic' }] });
    });

    it('when it names a topic the channel does not read, then it is dead-lettered (not refused: a 4xx would make Shopify retry and drop the subscription)', async () => {
      expect(await run(request('customers/create', { id: 1 }))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'headers.x-shopify-topic', message: expect.stringContaining('customers/create is not ingested') },
      });
    });

    it('when it is refunds/create, then the refund validates but cannot be mapped: Shopify’s Refund names no customer', async () => {
      expect(await run(request('refunds/create', recorded('unmappable', 'refunds-create-documented-example')))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'order_id', message: expect.stringContaining('orders/updated') },
      });
    });

    it('when it is refunds/create with a malformed refund, then it is refused like any malformed body', async () => {
      const body = { ...recorded('unmappable', 'refunds-create-documented-example'), transactions: 'none' };
      expect(await run(request('refunds/create', body))).toMatchObject({ kind: 'invalid', errors: [{ field: 'transactions' }] });
    });

    it('when the same body arrives as orders/create and as orders/updated, then only the first records an order (the second reads refunds only, and has none)', async () => {
      expect(await events(request('orders/create', order()))).toHaveLength(1);
      expect(await run(request('orders/updated', order()))).toMatchObject({ kind: 'unmappable', error: { field: 'refunds', mapped: [] } });
    });
  });

  describe('event ids', () => {
    it('when Shopify retries a delivery (same body, another attempt), then the event id is the same', async () => {
      const [first] = await events(request('orders/create', order()));
      const retried = request('orders/create', order());
      const [again] = await events({ ...retried, headers: { ...retried.headers, 'x-shopify-triggered-at': '2025-01-16T00:00:00.000Z' } });
      expect(again!.metadata.eventId).toBe(first!.metadata.eventId);
    });

    it('when the order is updated after its first refund and again after its second, then the first refund keeps its id and the second gets its own', async () => {
      const both = refunded();
      const afterFirst = { ...both, refunds: (both['refunds'] as Json[]).slice(0, 1) };
      const [early] = await events(request('orders/updated', afterFirst));
      const [again, second] = await events(request('orders/updated', both));
      expect(again!.metadata.eventId).toBe(early!.metadata.eventId);
      expect(second!.metadata.eventId).not.toBe(early!.metadata.eventId);
    });

    it('when an order is updated without a refund, then nothing is recorded and the update is dead-lettered saying so (not accepted with no event)', async () => {
      const outcome = await run(request('orders/updated', { ...refunded(), refunds: [], cancelled_at: '2025-01-15T10:00:00-05:00' }));
      expect(outcome).toMatchObject({ kind: 'unmappable', error: { field: 'refunds', mapped: [] } });
      expect(outcome.kind === 'unmappable' && outcome.error.message).toContain(
        'carries no refund (it was cancelled at 2025-01-15T10:00:00-05:00)',
      );
    });

    it('then a refund is correlated with its order: its correlation id is the order’s created event id', async () => {
      const body = refunded();
      const [created] = await events(request('orders/create', body));
      const refunds = await events(request('orders/updated', body));
      expect(refunds.map((e) => e.metadata.correlationId)).toEqual([created!.metadata.eventId, created!.metadata.eventId]);
      expect(refunds.map((e) => e.metadata.causationId)).toEqual(refunds.map((e) => e.metadata.eventId));
    });

    it('then the same order id in another shop is another event', async () => {
      const [ours] = await events(request('orders/create', order()));
      const [theirs] = await events(request('orders/create', order(), 'other-store.myshopify.com'));
      expect(theirs!.metadata.eventId).not.toBe(ours!.metadata.eventId);
      expect(theirs!.data.endpoint).toBe('other-store.myshopify.com');
    });
  });

  describe('the amount of an order', () => {
    it('when total_price_set is sent, then it is the presentment money (what the customer paid, in their currency)', async () => {
      const [event] = await events(request('orders/create', recorded('valid', 'orders-create-kwd-presentment')));
      expect(event!.data.order).toMatchObject({ amount: 12345, currency: 'KWD' });
    });

    it('when total_price_set is not sent, then it is total_price in the order currency', async () => {
      const [event] = await events(request('orders/create', recorded('valid', 'orders-create-optional-fields-absent')));
      expect(event!.data.order).toMatchObject({ amount: 1999, currency: 'EUR', itemCount: 1 });
    });

    it('when a JPY total is written with zero decimals (1500.00), then it is 1500 yen', async () => {
      const body = recorded('valid', 'orders-create-jpy');
      const set = {
        shop_money: { amount: '1500.00', currency_code: 'JPY' },
        presentment_money: { amount: '1500.00', currency_code: 'JPY' },
      };
      const [event] = await events(request('orders/create', { ...body, total_price: '1500.00', total_price_set: set }));
      expect(event!.data.order).toMatchObject({ amount: 1500, currency: 'JPY' });
    });

    it('then itemCount is the sum of the line item quantities', async () => {
      const [event] = await events(request('orders/create', recorded('valid', 'orders-create-guest-phone-only')));
      expect(event!.data.order?.itemCount).toBe(3);
    });
  });

  describe('the amount of a refund', () => {
    const refund = (transactions: Json[]): ShopifyRefund => {
      const plain = {
        id: 1,
        admin_graphql_api_id: 'gid://shopify/Refund/1',
        order_id: 2,
        created_at: '2025-01-14T10:00:00Z',
        refund_line_items: [],
        transactions,
      };
      const parsed = validateAs(ShopifyRefund, plain, { allowUnknown: true });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      return parsed.value;
    };
    const tx = (amount: string, over: Json = {}): Json => ({
      id: Number(amount.replace('.', '')) + 1,
      kind: 'refund',
      status: 'success',
      amount,
      currency: 'USD',
      ...over,
    });

    it.each([
      ['one successful refund transaction', [tx('27.00')], 2700],
      ['a card and a gift card refund in one refund', [tx('10.00'), tx('5.55')], 1555],
      ['a failed attempt, then the successful one', [tx('27.00', { status: 'failure' }), tx('27.00')], 2700],
      ['a pending refund transaction', [tx('27.00', { status: 'pending' })], 0],
      ['a non-refund transaction in the list', [tx('27.00', { kind: 'sale' }), tx('3.00')], 300],
      ['no transaction (restock only)', [], 0],
      ['0.10 + 0.20 (0.30000000000000004 as floats)', [tx('0.10'), tx('0.20')], 30],
    ])('when it has %s, then the amount is %i minor units', (_what, transactions, expected) => {
      expect(refundAmount(refund(transactions), 'USD')).toEqual({ amount: expected, currency: 'USD' });
    });

    it('when no money moved, then the currency is the order’s', () => {
      expect(refundAmount(refund([]), 'AUD')).toEqual({ amount: 0, currency: 'AUD' });
    });

    it('when it was paid back in JPY, then it is counted in yen', () => {
      expect(refundAmount(refund([tx('1200', { currency: 'JPY' })]), 'USD')).toEqual({ amount: 1200, currency: 'JPY' });
    });

    it('when a refund transaction has more decimals than its currency, then the refund cannot be mapped and the error names the transaction', () => {
      expect(() => refundAmount(refund([tx('10.00'), tx('3.999')]), 'USD', 'refunds.0')).toThrow(
        expect.objectContaining({ field: 'refunds.0.transactions.1.amount' }),
      );
    });
  });

  describe('who ordered', () => {
    it('then the order email comes first, then the phone, then the Shopify customer id', async () => {
      const [event] = await events(request('orders/create', recorded('valid', 'orders-create-jpy')));
      expect(event!.data.identities).toEqual([
        { kind: 'email', value: 'haruto.sato@example.jp' },
        { kind: 'phone', value: '+819012345678' },
        { kind: 'external', namespace: 'shopify', value: '7301234567890' },
      ]);
    });

    it('when the order email is not an email, then the contact email or the customer’s is used', async () => {
      const body = { ...order(), email: 'jon at example', contact_email: null };
      const [event] = await events(request('orders/create', body));
      expect(event!.data.identities[0]).toEqual({ kind: 'email', value: 'john@example.com' });
    });

    it('when a guest left only a phone, then the phone keys the customer', async () => {
      const [event] = await events(request('orders/create', recorded('valid', 'orders-create-guest-phone-only')));
      expect(event!.data.identities).toEqual([{ kind: 'phone', value: '+447400123456' }]);
    });

    it('when the customer has neither email nor phone but an account, then the Shopify customer id keys them', async () => {
      const body = { ...order(), email: null, contact_email: null, billing_address: null, customer: { id: 42, email: null, phone: null } };
      const [event] = await events(request('orders/create', body));
      expect(event!.data.identities).toEqual([{ kind: 'external', namespace: 'shopify', value: '42' }]);
    });

    it('when a guest left neither, then the order cannot be mapped', async () => {
      expect(await run(request('orders/create', recorded('unmappable', 'guest-without-contact')))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'email' },
      });
    });

    it('then a refund carries the identities of the order it refunds', async () => {
      const body = refunded();
      const [created] = await events(request('orders/create', body));
      for (const refundEvent of await events(request('orders/updated', body)))
        expect(refundEvent.data.identities).toEqual(created!.data.identities);
    });
  });

  describe('what a refund event says', () => {
    it('then it is outbound (the shop paid back), names the refund, and happened when the refund was processed', async () => {
      const [event] = await events(request('orders/updated', recorded('valid', 'orders-updated-partial-refund')));
      expect(event!.data).toMatchObject({
        direction: 'outbound',
        kind: 'order',
        provider: { name: 'shopify', messageId: 'gid://shopify/Refund/929361464', accountId: TEST_SHOP_DOMAIN },
      });
      expect(event!.data.order).toEqual({
        orderId: '5956789012345',
        action: 'refunded',
        amount: 2700,
        currency: 'USD',
        refundId: '929361464',
        itemCount: 1,
      });
      expect(event!.metadata.occurredAt).toBe('2025-01-14T22:30:00.000Z');
    });
  });
});
