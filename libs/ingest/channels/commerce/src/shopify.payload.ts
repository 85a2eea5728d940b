import { Type } from 'class-transformer';
import { IsIntegerId } from '@hub/channels-core';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/**
 * The Shopify webhook bodies the commerce channel reads (JSON, REST Admin API resources):
 * `orders/create` and `orders/updated` send an Order, `refunds/create` a Refund.
 * https://shopify.dev/docs/api/webhooks?reference=toml (topics) and the REST Order / Refund
 * resources. Only what the adapter reads is declared; Shopify adds fields in every API version.
 *
 * Money amounts are decimal strings ("199.00") and are read as strings; Shopify's few float
 * fields (`refund_line_items[].subtotal`) are not used. Ids are JSON numbers, but Shopify's ids
 * can exceed 2^53: the exact id is read from `admin_graphql_api_id` ("gid://shopify/Order/…") where
 * there is one, and every id is declared `@IsIntegerId()`, which takes the exact digits the channel
 * core's JSON parser keeps for an id too large for a double (`parseJsonBody`).
 */

const DECIMAL = /^\d+(\.\d+)?$/;
const decimal = (what: string) => ({ message: `${what} must be a decimal string such as "199.00"` });
const CURRENCY = /^[A-Z]{3}$/;
const currency = (what: string) => ({ message: `${what} must be an ISO 4217 currency code` });

export class ShopifyMoney {
  @Matches(DECIMAL, decimal('amount')) amount!: string;
  @Matches(CURRENCY, currency('currency_code')) currency_code!: string;
}

/** An amount in the shop's currency and in the currency the customer saw and paid in. */
export class ShopifyMoneySet {
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ShopifyMoney) shop_money!: ShopifyMoney;
  @IsDefined() @ValidateNested() @IsObject() @Type(() => ShopifyMoney) presentment_money!: ShopifyMoney;
}

export class ShopifyLineItem {
  @IsIntegerId() id!: number | string;
  @IsInt() @Min(0) quantity!: number;
  @IsOptional() @IsString() title?: string;
  @IsOptional() @Matches(DECIMAL, decimal('price')) price?: string;
}

export class ShopifyCustomer {
  @IsIntegerId() id!: number | string;
  @IsOptional() @Matches(/^gid:\/\/shopify\/Customer\/\d+$/) admin_graphql_api_id?: string;
  @IsOptional() @IsString() email?: string | null;
  @IsOptional() @IsString() phone?: string | null;
}

export class ShopifyAddress {
  @IsOptional() @IsString() phone?: string | null;
  @IsOptional() @IsString() @MaxLength(2) country_code?: string | null;
}

export class ShopifyTransaction {
  @IsIntegerId() id!: number | string;
  /** `refund` for money returned; `sale`, `capture`, `authorization`, `void`, `change` otherwise. */
  @IsString() kind!: string;
  /** `success`, `pending`, `failure` or `error`. */
  @IsString() status!: string;
  @Matches(DECIMAL, decimal('amount')) amount!: string;
  @Matches(CURRENCY, currency('currency')) currency!: string;
}

export class ShopifyRefundLineItem {
  @IsIntegerId() id!: number | string;
  @IsInt() @Min(0) quantity!: number;
  @IsIntegerId() line_item_id!: number | string;
  @IsOptional() @IsNumber() subtotal?: number;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ShopifyMoneySet) subtotal_set?: ShopifyMoneySet;
}

export class ShopifyRefund {
  @IsIntegerId() id!: number | string;
  @Matches(/^gid:\/\/shopify\/Refund\/\d+$/, { message: 'admin_graphql_api_id must be gid://shopify/Refund/<id>' })
  admin_graphql_api_id!: string;
  @IsIntegerId() order_id!: number | string;
  @IsISO8601({ strict: true }) created_at!: string;
  @IsOptional() @IsISO8601({ strict: true }) processed_at?: string | null;
  @IsOptional() @IsString() note?: string | null;
  @IsArray()
  @ValidateNested({ each: true })
  @IsObject({ each: true })
  @Type(() => ShopifyRefundLineItem)
  refund_line_items!: ShopifyRefundLineItem[];
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => ShopifyTransaction) transactions!: ShopifyTransaction[];

  [key: string]: unknown;
}

export class ShopifyOrder {
  @IsIntegerId() id!: number | string;
  @Matches(/^gid:\/\/shopify\/Order\/\d+$/, { message: 'admin_graphql_api_id must be gid://shopify/Order/<id>' })
  admin_graphql_api_id!: string;
  @IsOptional() @IsString() name?: string;
  @IsOptional() @IsString() email?: string | null;
  @IsOptional() @IsString() contact_email?: string | null;
  @IsOptional() @IsString() phone?: string | null;
  @IsISO8601({ strict: true }) created_at!: string;
  @IsOptional() @IsISO8601({ strict: true }) processed_at?: string | null;
  /** The shop's currency; `total_price` is in it. */
  @Matches(CURRENCY, currency('currency')) currency!: string;
  @IsOptional() @Matches(CURRENCY, currency('presentment_currency')) presentment_currency?: string;
  @Matches(DECIMAL, decimal('total_price')) total_price!: string;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ShopifyMoneySet) total_price_set?: ShopifyMoneySet;
  @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => ShopifyLineItem) line_items!: ShopifyLineItem[];
  /** null for a guest checkout. */
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ShopifyCustomer) customer?: ShopifyCustomer | null;
  @IsOptional() @ValidateNested() @IsObject() @Type(() => ShopifyAddress) billing_address?: ShopifyAddress | null;
  /** The order's refunds, oldest first: what `orders/updated` carries after a refund. */
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @IsObject({ each: true }) @Type(() => ShopifyRefund) refunds?: ShopifyRefund[];
  @IsOptional() @IsBoolean() test?: boolean;

  [key: string]: unknown;
}
