import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { telegramChannel } from '../index';
import type { TelegramConfig } from '../telegram.config';
import { telegramWebhookRequest } from './telegram.sign';

/** What the suite configures as the setWebhook `secret_token`. */
export const TELEGRAM_TEST_SECRET_TOKEN = 'telegram-conformance-secret-token';

/**
 * The Telegram channel's conformance setup: used by its own spec and by the cross-channel
 * integration test. No `replayWindowSeconds`: Telegram sends no timestamp with the token.
 */
export const telegramTestSetup: ChannelTestSetup<TelegramConfig> = {
  definition: telegramChannel,
  config: { TELEGRAM_SECRET_TOKEN: TELEGRAM_TEST_SECRET_TOKEN },
  env: { TELEGRAM_SECRET_TOKEN: TELEGRAM_TEST_SECRET_TOKEN },
  fixturesDir: join(__dirname, '..', '__fixtures__'),
  // A static token, not a signature over the body: the kit skips its tamper test, saying why.
  signsBody: false,
  sign: (update, { secret }) =>
    telegramWebhookRequest({
      secretToken: secret ?? TELEGRAM_TEST_SECRET_TOKEN,
      url: `${CONFORMANCE_BASE_URL}${telegramChannel.manifest.route.path}`,
      update,
    }),
};
