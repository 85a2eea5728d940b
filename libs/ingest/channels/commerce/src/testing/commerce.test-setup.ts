import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { commerceChannel } from '../index';
import type { ShopifyCommerceConfig } from '../shopify-commerce.config';
import { shopifyFixtureRequest } from './shopify.sign';

const SECRET = 'commerce-conformance-shopify-secret';

/**
 * The commerce channel's conformance setup: used by its own spec and by the cross-channel
 * integration test. A fixture names its topic in `__topic` (see `shopifyFixtureRequest`), which
 * `sign` turns into the X-Shopify-Topic header. Shopify signs no timestamp: no replay window.
 */
export const commerceTestSetup: ChannelTestSetup<ShopifyCommerceConfig> = {
  definition: commerceChannel,
  config: { SHOPIFY_WEBHOOK_SECRET: SECRET },
  env: { SHOPIFY_WEBHOOK_SECRET: SECRET },
  fixturesDir: join(__dirname, '..', '__fixtures__'),
  sign: (payload, { secret }) =>
    shopifyFixtureRequest(payload, { secret: secret ?? SECRET, url: `${CONFORMANCE_BASE_URL}${commerceChannel.manifest.route.path}` }),
};
