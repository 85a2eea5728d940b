import { defineChannel } from '@hub/channels-core';
import { TwilioSmsChannelAdapter, TWILIO_SMS_MANIFEST } from './twilio-sms.adapter';
import { TwilioSmsConfig } from './twilio-sms.config';

export { TwilioSmsChannelAdapter, TWILIO_SMS_MANIFEST } from './twilio-sms.adapter';
export { TwilioSmsConfig } from './twilio-sms.config';
export { TwilioInboundSmsPayload } from './twilio-sms.payload';

export const smsChannel = defineChannel({
  manifest: TWILIO_SMS_MANIFEST,
  configSchema: TwilioSmsConfig,
  create: (config: TwilioSmsConfig) => new TwilioSmsChannelAdapter(config),
});
