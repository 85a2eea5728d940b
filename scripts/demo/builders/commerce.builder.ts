import { TEST_SHOP_DOMAIN } from '@hub/channels-commerce/testing';
import type { PlannedDelivery } from '../day-plan';
import type { Person } from '../people';
import { edit, touchOf, type DeliveryBuilder } from './builder';

/** Shopify writes times with an offset: `2025-01-15T09:12:00+00:00`. */
const shopifyTime = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');

const money = (amount: string, currency: string) => ({
  shop_money: { amount, currency_code: currency },
  presentment_money: { amount, currency_code: currency },
});

/**
 * An `orders/create` webhook: the order as Shopify serialises it (the fields the hub reads and the
 * usual company around them). The email and phone are as typed at checkout: the phone on the
 * billing address, national numbers read in its country. A guest with only a phone has no email.
 */
function order(d: PlannedDelivery, person: Person, contact: { email?: string; phone?: string }): Record<string, unknown> {
  const o = touchOf(d, 'order');
  const decimals = o.currency === 'JPY' ? 0 : 2;
  const total = o.items.reduce((sum, i) => sum + Number(i.price) * i.quantity, 0).toFixed(decimals);
  const created = shopifyTime(d.at);
  const address = {
    first_name: person.firstName,
    last_name: person.lastName,
    address1: `${(o.orderNumber % 90) + 10} Market Street`,
    city: 'Springfield',
    zip: '94105',
    country_code: person.country,
    phone: contact.phone ?? null,
  };
  const customerId = 7_100_000_000_000 + o.orderNumber;
  return {
    __topic: 'orders/create',
    id: o.orderId,
    admin_graphql_api_id: `gid://shopify/Order/${o.orderId}`,
    name: `#${o.orderNumber}`,
    order_number: o.orderNumber,
    number: o.orderNumber - 1000,
    confirmation_number: `C${o.orderId.toString(36).toUpperCase().slice(-8)}`,
    email: contact.email ?? '',
    contact_email: contact.email ?? '',
    phone: contact.email ? null : (contact.phone ?? null),
    created_at: created,
    processed_at: created,
    updated_at: created,
    currency: o.currency,
    presentment_currency: o.currency,
    subtotal_price: total,
    total_price: total,
    total_price_set: money(total, o.currency),
    total_tax: (0).toFixed(decimals),
    total_discounts: (0).toFixed(decimals),
    financial_status: 'paid',
    fulfillment_status: null,
    source_name: 'web',
    test: false,
    buyer_accepts_marketing: false,
    line_items: o.items.map((i) => ({
      id: o.orderId * 10 + i.id,
      product_id: i.id,
      title: i.title,
      quantity: i.quantity,
      price: i.price,
      sku: `SKU-${i.id}`,
      requires_shipping: true,
    })),
    customer: contact.email
      ? {
          id: customerId,
          admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
          email: contact.email,
          phone: null,
          first_name: person.firstName,
          last_name: person.lastName,
          verified_email: true,
        }
      : null,
    billing_address: address,
    shipping_address: address,
    order_status_url: `https://${TEST_SHOP_DOMAIN}/orders/${o.orderId}/authenticate`,
  };
}

export const shopifyBuilder: DeliveryBuilder = {
  provider: 'commerce:shopify',
  build: (d, { person }) => order(d, person, d.from),
  // total_price as a JSON number (a hand-rolled integration), not Shopify's decimal string.
  malformed: (d, { person }) => ({ payload: edit(order(d, person, d.from), 'total_price', 12.5), fields: ['total_price'] }),
  // A guest checkout that left neither an email nor a phone.
  unmappable: (d, { person }) => order(d, person, {}),
};
