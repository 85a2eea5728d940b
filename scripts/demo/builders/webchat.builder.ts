import { fullName, writePhone } from '../people';
import { edit, textOf, type DeliveryBuilder } from './builder';

/** One message of a web-chat session, with what the visitor typed into the pre-chat form (email or phone, or nothing). */
export const webchatBuilder: DeliveryBuilder = {
  provider: 'webchat:hub-webchat',
  build: (d, { person, seed }) => ({
    sessionId: `ws_${seed.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40)}_${d.thread}`,
    visitor: {
      id: person.webchatVisitorId,
      name: fullName(person),
      ...(d.from.email ? { email: d.from.email } : {}),
      ...(d.from.phone ? { phone: d.from.phone } : {}),
    },
    messages: [{ id: `m_${d.ref}`, sentAt: d.at, text: textOf(d) }],
    page: { url: 'https://www.example.com/help', title: 'Help centre' },
  }),
  malformed: (d, ctx) => ({ payload: edit(webchatBuilder.build(d, ctx), 'sessionId'), fields: ['sessionId'] }),
  // A phone typed without country code, and no WEBCHAT_DEFAULT_REGION to read it in.
  unmappable: (d, ctx) => edit(webchatBuilder.build({ ...d, from: {} }, ctx), 'visitor.phone', writePhone(ctx.person.phone, 'national')),
  // A screenshot pasted into the chat box, sent by the widget as a data: URL of more than 1 MiB.
  oversized: (d, ctx) => edit(webchatBuilder.build(d, ctx), 'messages.0.text', `data:image/png;base64,${'iVBORw0KGgo'.repeat(110_000)}`),
};
