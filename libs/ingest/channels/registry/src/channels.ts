// Every channel's providers, one line per channel: `export { <its definition, or its list of
// providers> as <the ChannelId> } from '@hub/channels-<library>';`. The generator appends here.
// index.ts turns these exports into CHANNELS, and the compiler refuses a ChannelId without a line
// or a line that names no ChannelId.
export { smsChannel as sms } from '@hub/channels-sms';
export { surveyChannel as survey } from '@hub/channels-survey';
export { commerceChannel as commerce } from '@hub/channels-commerce';
export { voiceProviders as voice } from '@hub/channels-voice';
export { whatsappChannel as whatsapp } from '@hub/channels-meta';
export { messengerChannel as messenger } from '@hub/channels-meta';
export { instagramChannel as instagram } from '@hub/channels-meta';
export { telegramChannel as telegram } from '@hub/channels-telegram';
export { webchatChannel as webchat } from '@hub/channels-webchat';
export { emailProviders as email } from '@hub/channels-email';
