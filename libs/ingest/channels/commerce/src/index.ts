import { defineChannel } from '@hub/channels-core';
import { ShopifyCommerceChannelAdapter, SHOPIFY_COMMERCE_MANIFEST } from './shopify-commerce.adapter';
import { ShopifyCommerceConfig } from './shopify-commerce.config';

export {
  ShopifyCommerceChannelAdapter,
  SHOPIFY_COMMERCE_MANIFEST,
  SHOPIFY_NAMESPACE,
  shopifyHmac,
  legacyIdOf,
  refundAmount,
  orderIdentities,
} from './shopify-commerce.adapter';
export { ShopifyCommerceConfig, SHOP_DOMAIN_PATTERN } from './shopify-commerce.config';
export * from './shopify-webhook';
export * from './shopify.payload';
export * from './money';

export const commerceChannel = defineChannel({
  manifest: SHOPIFY_COMMERCE_MANIFEST,
  configSchema: ShopifyCommerceConfig,
  create: (config: ShopifyCommerceConfig) => new ShopifyCommerceChannelAdapter(config),
});
