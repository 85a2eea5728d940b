import { IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';

export const SMS_DEFAULT_REGIONS = ['US', 'CA', 'GB', 'FR', 'DE', 'ES', 'IT', 'NL', 'BR', 'MX', 'IN', 'AU'] as const;
export type SmsDefaultRegion = (typeof SMS_DEFAULT_REGIONS)[number];

/** Settings of the SMS channel, validated at boot when the channel is enabled. */
export class TwilioSmsConfig {
  /** Signs every webhook (HMAC-SHA1): Twilio Console → Account → API keys & tokens. */
  @IsString() @IsNotEmpty() TWILIO_AUTH_TOKEN!: string;

  /** When set, webhooks for any other account are refused as forged. */
  @IsOptional() @Matches(/^AC[0-9a-f]{32}$/i) TWILIO_ACCOUNT_SID?: string;

  /** Region for numbers written without a country code. */
  @IsOptional() @IsIn(SMS_DEFAULT_REGIONS) SMS_DEFAULT_REGION?: SmsDefaultRegion;
}
