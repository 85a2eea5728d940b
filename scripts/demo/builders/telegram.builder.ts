import { writePhone, type Person } from '../people';
import type { PlannedDelivery } from '../day-plan';
import { edit, touchOf, unixSeconds, type DeliveryBuilder } from './builder';

const UPDATE_ID_BASE = 731_950_000;

const user = (p: Person) => ({
  id: p.telegramId,
  is_bot: false,
  first_name: p.firstName,
  last_name: p.lastName,
  language_code: p.language,
});

/** A message from the person in their private chat with the bot: a text, or their own contact card. */
function update(d: PlannedDelivery, person: Person): Record<string, unknown> {
  const touch = touchOf(d, 'message', 'contact');
  const content =
    touch.kind === 'contact'
      ? // Telegram writes the shared phone as digits without `+`.
        {
          contact: {
            phone_number: writePhone(person.phone, 'digits'),
            first_name: person.firstName,
            last_name: person.lastName,
            user_id: person.telegramId,
          },
        }
      : { text: touch.text };
  return {
    update_id: UPDATE_ID_BASE + d.ref,
    message: {
      message_id: d.ref,
      from: user(person),
      chat: { id: person.telegramId, first_name: person.firstName, last_name: person.lastName, type: 'private' },
      date: unixSeconds(d.at),
      ...content,
    },
  };
}

/** Telegram Bot API updates, posted with the webhook's secret token. */
export const telegramBuilder: DeliveryBuilder = {
  provider: 'telegram:telegram',
  build: (d, { person }) => update(d, person),
  malformed: (d, { person }) => ({ payload: edit(update(d, person), 'update_id'), fields: ['update_id'] }),
  // A post in the company's announcement channel: no customer sent it.
  unmappable: (d) => ({
    update_id: UPDATE_ID_BASE + d.ref,
    channel_post: {
      message_id: d.ref,
      sender_chat: { id: -1009876543210, title: 'Acme News', type: 'channel' },
      chat: { id: -1009876543210, title: 'Acme News', type: 'channel' },
      date: unixSeconds(d.at),
      text: 'New opening hours from Monday',
    },
  }),
};
