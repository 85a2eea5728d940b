import { defineChannel } from '@hub/channels-core';
import { AmazonConnectChannelAdapter, AMAZON_CONNECT_MANIFEST } from './amazon-connect/amazon-connect.adapter';
import { AmazonConnectConfig } from './amazon-connect/amazon-connect.config';
import { TwilioVoiceChannelAdapter, TWILIO_VOICE_MANIFEST } from './twilio-voice/twilio-voice.adapter';
import { TwilioVoiceConfig } from './twilio-voice/twilio-voice.config';

export {
  AmazonConnectChannelAdapter,
  AMAZON_CONNECT_MANIFEST,
  AMAZON_CONNECT_ACCESS_KEY_HEADER,
  accessKeyMatches,
} from './amazon-connect/amazon-connect.adapter';
export { AmazonConnectConfig, SKIPPABLE_CONNECT_CHANNELS } from './amazon-connect/amazon-connect.config';
export {
  ContactRecord,
  FirehoseDeliveryRequest,
  parseFirehoseDelivery,
  type AmazonConnectDelivery,
} from './amazon-connect/amazon-connect.payload';
export * from './amazon-connect/contact-record';
export {
  TwilioVoiceChannelAdapter,
  TWILIO_VOICE_MANIFEST,
  TWILIO_CALL_STATUS,
  TWILIO_CALL_DIRECTION,
  callFacet,
} from './twilio-voice/twilio-voice.adapter';
export { TwilioVoiceConfig } from './twilio-voice/twilio-voice.config';
export { TwilioVoiceStatusPayload, TWILIO_CALL_STATUSES, TWILIO_CALL_DIRECTIONS } from './twilio-voice/twilio-voice.payload';

/** Amazon Connect contact records, pushed by Kinesis Data Firehose. */
export const amazonConnectVoice = defineChannel({
  manifest: AMAZON_CONNECT_MANIFEST,
  configSchema: AmazonConnectConfig,
  create: (config: AmazonConnectConfig) => new AmazonConnectChannelAdapter(config),
});

/** Twilio Voice status callbacks. */
export const twilioVoice = defineChannel({
  manifest: TWILIO_VOICE_MANIFEST,
  configSchema: TwilioVoiceConfig,
  create: (config: TwilioVoiceConfig) => new TwilioVoiceChannelAdapter(config),
});

/** Both providers, in the order the registry lists them (`CHANNELS.voice`). */
export const voiceProviders = [amazonConnectVoice, twilioVoice] as const;
