// Every provider's test setup, one line per channel, in the order of its providers in
// ../channels.ts: `export { <its setup, or its list of setups> as <the ChannelId> } from
// '@hub/channels-<library>/testing';`. The generator appends here; index.ts checks it like CHANNELS.
export { smsTestSetup as sms } from '@hub/channels-sms/testing';
export { surveyTestSetup as survey } from '@hub/channels-survey/testing';
export { commerceTestSetup as commerce } from '@hub/channels-commerce/testing';
export { voiceTestSetups as voice } from '@hub/channels-voice/testing';
export { whatsappTestSetup as whatsapp } from '@hub/channels-meta/testing';
export { messengerTestSetup as messenger } from '@hub/channels-meta/testing';
export { instagramTestSetup as instagram } from '@hub/channels-meta/testing';
export { telegramTestSetup as telegram } from '@hub/channels-telegram/testing';
export { webchatTestSetup as webchat } from '@hub/channels-webchat/testing';
export { emailTestSetups as email } from '@hub/channels-email/testing';
