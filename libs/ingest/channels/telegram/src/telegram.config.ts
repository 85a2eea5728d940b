import { IsNotEmpty, IsString, Matches } from 'class-validator';

/** Settings of the Telegram channel, validated at boot when the channel is enabled. */
export class TelegramConfig {
  /**
   * The `secret_token` given to setWebhook; Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token`
   * on every update. Telegram allows 1–256 of A–Z a–z 0–9 _ -; the hub asks for at least 16, as it is
   * the only thing that authenticates an update. Not the bot token.
   */
  @IsString()
  @IsNotEmpty()
  @Matches(/^[A-Za-z0-9_-]{16,256}$/, { message: 'TELEGRAM_SECRET_TOKEN must be 16–256 characters of A-Z, a-z, 0-9, _ and -' })
  TELEGRAM_SECRET_TOKEN!: string;
}
