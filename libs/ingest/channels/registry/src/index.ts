import type { ChannelId } from '@hub/contracts';
import type { ChannelDefinition } from '@hub/channels-core';
import { smsChannel } from '@hub/channels-sms';
import { surveyChannel } from '@hub/channels-survey';
import { commerceChannel } from '@hub/channels-commerce';
import { amazonConnectVoice, twilioVoice } from '@hub/channels-voice';
import { instagramChannel, messengerChannel, whatsappChannel } from '@hub/channels-meta';
import { telegramChannel } from '@hub/channels-telegram';
import { webchatChannel } from '@hub/channels-webchat';
import { rawMimeEmail, sendgridInboundParse } from '@hub/channels-email';

/** At least one provider per channel. */
type Providers = readonly [ChannelDefinition<object>, ...ChannelDefinition<object>[]];

/**
 * The one list of channels and the providers each ingestion app hosts. `satisfies` makes the
 * compiler refuse a ChannelId without an entry; services look adapters up here and never switch on
 * the channel (STYLE.md #4).
 */
export const CHANNELS = {
  sms: [smsChannel],
  survey: [surveyChannel],
  commerce: [commerceChannel],
  voice: [amazonConnectVoice, twilioVoice],
  whatsapp: [whatsappChannel],
  messenger: [messengerChannel],
  instagram: [instagramChannel],
  telegram: [telegramChannel],
  webchat: [webchatChannel],
  email: [rawMimeEmail, sendgridInboundParse],
} as const satisfies Record<ChannelId, Providers>;

export function channelDefinitions(id: ChannelId): Providers {
  return CHANNELS[id];
}
