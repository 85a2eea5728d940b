import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';

/**
 * Settings of the Twilio provider of the voice channel, validated at boot when it is enabled. The
 * names are the SMS channel's: one Twilio account signs both channels' webhooks.
 */
export class TwilioVoiceConfig {
  /** Signs every webhook (HMAC-SHA1): Twilio Console → Account → API keys & tokens. */
  @IsString() @IsNotEmpty() TWILIO_AUTH_TOKEN!: string;

  /** When set, status callbacks of any other account are refused as forged. */
  @IsOptional() @Matches(/^AC[0-9a-f]{32}$/i) TWILIO_ACCOUNT_SID?: string;
}
