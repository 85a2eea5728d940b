import { getCountries, type CountryCode } from 'libphonenumber-js';
import { IsIn, IsNotEmpty, IsOptional, IsString, MinLength } from 'class-validator';

/** Settings of the web chat channel, validated at boot when the channel is enabled. */
export class WebchatConfig {
  /** Shared with the web-chat gateway, which signs every request (HMAC-SHA256). At least 32 characters. */
  @IsString() @IsNotEmpty() @MinLength(32) WEBCHAT_SIGNING_SECRET!: string;

  /** Region for visitor phone numbers typed without a country code (ISO 3166-1 alpha-2, e.g. GB). */
  @IsOptional()
  @IsIn(getCountries(), { message: 'WEBCHAT_DEFAULT_REGION must be an ISO 3166-1 alpha-2 country code, e.g. US or GB' })
  WEBCHAT_DEFAULT_REGION?: CountryCode;
}
