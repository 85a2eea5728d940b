import { twilioSmsParams } from '@hub/channels-sms/testing';
import { edit, phoneOf, textOf, type DeliveryBuilder } from './builder';

/** The company's SMS number customers text. */
export const OUR_SMS_NUMBER = '+14155550000';

/** Twilio inbound SMS: form fields, MessageSid derived from the plan seed and the delivery. */
export const smsBuilder: DeliveryBuilder = {
  provider: 'sms:twilio',
  build: (d, { seed }) => twilioSmsParams({ from: phoneOf(d), to: OUR_SMS_NUMBER, body: textOf(d), seed: `${seed}:${d.ref}` }),
  malformed: (d, ctx) => ({ payload: edit(smsBuilder.build(d, ctx), 'MessageSid'), fields: ['MessageSid'] }),
  // A promotional short code texting in: an alphanumeric sender, no phone to key a customer by.
  unmappable: (d, { seed }) =>
    twilioSmsParams({ from: 'ACME-PROMO', to: OUR_SMS_NUMBER, body: 'Your weekly deals are here!', seed: `${seed}:${d.ref}` }),
};
