import { defineChannel } from '@hub/channels-core';
import { MetaConfig } from './shared/meta.config';
import { WhatsAppChannelAdapter, WHATSAPP_MANIFEST } from './whatsapp/whatsapp.adapter';
import { MessengerChannelAdapter, MESSENGER_MANIFEST } from './messenger/messenger.adapter';
import { InstagramChannelAdapter, INSTAGRAM_MANIFEST } from './instagram/instagram.adapter';

export { MetaConfig } from './shared/meta.config';
export { META_SIGNATURE_HEADER, metaHandshake, verifyMetaSignature } from './shared/meta-webhook';
export { META_PROVIDER, type MetaChannelId } from './shared/meta-event';
export { WhatsAppChannelAdapter, WHATSAPP_MANIFEST, WHATSAPP_MEDIA_BASE_URL } from './whatsapp/whatsapp.adapter';
export { WhatsAppWebhookPayload } from './whatsapp/whatsapp.payload';
export { MessengerChannelAdapter, MESSENGER_MANIFEST } from './messenger/messenger.adapter';
export { InstagramChannelAdapter, INSTAGRAM_MANIFEST } from './instagram/instagram.adapter';
export { MessengerWebhookPayload, InstagramWebhookPayload } from './shared/meta-messaging.payload';

/** The three Meta channels share one app secret and verify token (`MetaConfig`). */
export const whatsappChannel = defineChannel({
  manifest: WHATSAPP_MANIFEST,
  configSchema: MetaConfig,
  create: (config: MetaConfig) => new WhatsAppChannelAdapter(config),
});

export const messengerChannel = defineChannel({
  manifest: MESSENGER_MANIFEST,
  configSchema: MetaConfig,
  create: (config: MetaConfig) => new MessengerChannelAdapter(config),
});

export const instagramChannel = defineChannel({
  manifest: INSTAGRAM_MANIFEST,
  configSchema: MetaConfig,
  create: (config: MetaConfig) => new InstagramChannelAdapter(config),
});
