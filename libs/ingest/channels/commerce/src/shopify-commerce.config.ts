import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';

export const SHOP_DOMAIN_PATTERN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/** Settings of the commerce channel, validated at boot when the channel is enabled. */
export class ShopifyCommerceConfig {
  /**
   * Signs every webhook (HMAC-SHA256, base64): the app's client secret, or for webhooks created in
   * the Shopify admin (Settings → Notifications → Webhooks) the signing key shown there.
   */
  @IsString() @IsNotEmpty() SHOPIFY_WEBHOOK_SECRET!: string;

  /**
   * When set (comma-separated `*.myshopify.com` domains), webhooks from any other shop are refused
   * as forged: one app secret signs for every shop the app is installed in.
   */
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]*\.myshopify\.com(,[a-z0-9][a-z0-9-]*\.myshopify\.com)*$/, {
    message: 'SHOPIFY_SHOP_DOMAINS must be comma-separated <shop>.myshopify.com domains',
  })
  SHOPIFY_SHOP_DOMAINS?: string;
}
