import type { ChannelId } from '@hub/contracts';
import type { ChannelTestSetup } from '@hub/channels-core/testing';
import { smsTestSetup } from '@hub/channels-sms/testing';
import { surveyTestSetup } from '@hub/channels-survey/testing';
import { commerceTestSetup } from '@hub/channels-commerce/testing';
import { amazonConnectTestSetup, twilioVoiceTestSetup } from '@hub/channels-voice/testing';
import { instagramTestSetup, messengerTestSetup, whatsappTestSetup } from '@hub/channels-meta/testing';
import { telegramTestSetup } from '@hub/channels-telegram/testing';
import { webchatTestSetup } from '@hub/channels-webchat/testing';
import { mimeEmailTestSetup, sendgridTestSetup } from '@hub/channels-email/testing';

/**
 * Every provider's test setup, per channel, in the registry's order. Checked by the compiler like
 * `CHANNELS`: a channel without its setups does not compile, so the cross-channel integration test
 * covers every provider.
 */
export const CHANNEL_TEST_SETUPS = {
  sms: [smsTestSetup],
  survey: [surveyTestSetup],
  commerce: [commerceTestSetup],
  voice: [amazonConnectTestSetup, twilioVoiceTestSetup],
  whatsapp: [whatsappTestSetup],
  messenger: [messengerTestSetup],
  instagram: [instagramTestSetup],
  telegram: [telegramTestSetup],
  webchat: [webchatTestSetup],
  email: [mimeEmailTestSetup, sendgridTestSetup],
} as const satisfies Record<ChannelId, readonly [ChannelTestSetup<object>, ...ChannelTestSetup<object>[]]>;
