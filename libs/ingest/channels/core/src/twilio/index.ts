/**
 * What every Twilio product's webhooks share (SMS, Voice, …), for the channels that take them:
 * `@hub/channels-core/twilio`. Kept off the core's main entry so the vendor SDK loads only where a
 * Twilio channel does.
 */
export * from './twilio-signature';
