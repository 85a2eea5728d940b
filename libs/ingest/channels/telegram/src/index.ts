import { defineChannel } from '@hub/channels-core';
import { TelegramChannelAdapter, TELEGRAM_MANIFEST } from './telegram.adapter';
import { TelegramConfig } from './telegram.config';

export { TelegramChannelAdapter, TELEGRAM_MANIFEST, TELEGRAM_RECORDED_UPDATES, TELEGRAM_SECRET_TOKEN_HEADER } from './telegram.adapter';
export { TelegramConfig } from './telegram.config';
export { telegramFileIdOf, telegramFileRef } from './telegram-file-ref';
export { TELEGRAM_MAX_TEXT_LENGTH, TelegramUpdate } from './telegram.payload';

export const telegramChannel = defineChannel({
  manifest: TELEGRAM_MANIFEST,
  configSchema: TelegramConfig,
  create: (config: TelegramConfig) => new TelegramChannelAdapter(config),
});
