import { instagramTextPayload, messengerTextPayload, whatsappTextPayload } from '@hub/channels-meta/testing';
import { fullName } from '../people';
import { edit, phoneOf, textOf, unixSeconds, type DeliveryBuilder } from './builder';

/** WhatsApp Cloud API: the customer's wa_id is their phone as digits; the time in unix seconds. */
export const whatsappBuilder: DeliveryBuilder = {
  provider: 'whatsapp:meta',
  build: (d, { person, seed }) =>
    whatsappTextPayload({
      from: phoneOf(d),
      text: textOf(d),
      timestamp: unixSeconds(d.at),
      profileName: fullName(person),
      seed: `${seed}:${d.ref}`,
    }),
  malformed: (d, ctx) => ({
    payload: edit(whatsappBuilder.build(d, ctx), 'entry.0.changes.0.value.messages.0.from'),
    fields: ['entry.0.changes.0.value.messages.0.from'],
  }),
  // A business-scoped id that is not a phone number (a 5-digit test id).
  unmappable: (d, { seed }) => whatsappTextPayload({ from: '10001', text: 'hi', timestamp: unixSeconds(d.at), seed: `${seed}:${d.ref}` }),
};

/** Messenger: the customer's page-scoped id; the time in milliseconds. */
export const messengerBuilder: DeliveryBuilder = {
  provider: 'messenger:meta',
  build: (d, { person, seed }) =>
    messengerTextPayload({ from: person.psid, text: textOf(d), timestamp: Date.parse(d.at), seed: `${seed}:${d.ref}` }),
  malformed: (d, ctx) => ({
    payload: edit(messengerBuilder.build(d, ctx), 'entry.0.messaging.0.sender.id'),
    fields: ['entry.0.messaging.0.sender.id'],
  }),
  // A website chat-plugin guest: only a user_ref, no page-scoped id to recognise anyone by.
  unmappable: (d, ctx) => edit(messengerBuilder.build(d, ctx), 'entry.0.messaging.0.sender', { user_ref: `chat_plugin_guest_${d.ref}` }),
};

/** Instagram messaging: the customer's Instagram-scoped id; the time in milliseconds. */
export const instagramBuilder: DeliveryBuilder = {
  provider: 'instagram:meta',
  build: (d, { person, seed }) =>
    instagramTextPayload({ from: person.igsid, text: textOf(d), timestamp: Date.parse(d.at), seed: `${seed}:${d.ref}` }),
  malformed: (d, ctx) => ({
    payload: edit(instagramBuilder.build(d, ctx), 'entry.0.messaging.0.message.mid'),
    fields: ['entry.0.messaging.0.message.mid'],
  }),
  // A username where the numeric IGSID belongs.
  unmappable: (d, ctx) =>
    edit(instagramBuilder.build(d, ctx), 'entry.0.messaging.0.sender', { id: `${ctx.person.firstName.toLowerCase()}.shop` }),
};
