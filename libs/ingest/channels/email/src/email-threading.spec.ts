import { CONFORMANCE_BASE_URL, runChannelPipeline } from '@hub/channels-core/testing';
import type { InteractionReceived } from '@hub/contracts';
import { rawMimeEmail, sendgridInboundParse, threadRoot, type InboundEmail } from './index';
import {
  mimeEmailTestSetup,
  sendgridTestSetup,
  signedMimeRequest,
  TEST_EMAIL_MIME_SIGNING_SECRET,
  testMessage,
  type TestMessageInput,
} from './testing';

const OURS = 'support@mail.hub.example.com';

async function viaMime(m: TestMessageInput): Promise<InteractionReceived> {
  const request = signedMimeRequest({
    secret: TEST_EMAIL_MIME_SIGNING_SECRET,
    url: `${CONFORMANCE_BASE_URL}/webhooks/email/mime`,
    raw: Buffer.from(testMessage(m)),
    timestampSeconds: Math.floor(Date.now() / 1000),
  });
  const outcome = await runChannelPipeline(rawMimeEmail.create(mimeEmailTestSetup.config), request);
  if (outcome.kind !== 'accepted') throw new Error(JSON.stringify(outcome));
  return outcome.events[0]!;
}

/** The same message through SendGrid Inbound Parse in raw mode. */
async function viaSendGrid(m: TestMessageInput): Promise<InteractionReceived> {
  const request = sendgridTestSetup.sign(
    { fields: { email: testMessage(m), from: m.from, to: m.to, envelope: JSON.stringify({ to: [OURS], from: m.from }) } },
    {},
  );
  const outcome = await runChannelPipeline(sendgridInboundParse.create(sendgridTestSetup.config), request);
  if (outcome.kind !== 'accepted') throw new Error(JSON.stringify(outcome));
  return outcome.events[0]!;
}

describe('email threading', () => {
  describe('given a thread of three messages: a question, our answer, the customer’s reply, and a colleague’s follow-up', () => {
    // Message 1 (the customer), message 2 (our answer, sent by the helpdesk: not ingested here),
    // message 3 (the customer's reply to 2) and message 4 (a colleague in Cc, replying to 3).
    const root = '<q-1@customer.example.com>';
    const ourAnswer = '<a-2@mail.hub.example.com>';
    const reply = '<r-3@customer.example.com>';
    const followUp = '<f-4@customer.example.com>';
    const messages: TestMessageInput[] = [
      {
        from: 'Ana <ana@customer.example.com>',
        to: OURS,
        subject: 'Broken zip',
        messageId: root,
        date: 'Mon, 3 Feb 2025 09:00:00 +0000',
        text: 'The zip on my bag broke.',
      },
      {
        from: 'Ana <ana@customer.example.com>',
        to: OURS,
        subject: 'Re: Broken zip',
        messageId: reply,
        inReplyTo: ourAnswer,
        references: [root, ourAnswer],
        date: 'Mon, 3 Feb 2025 11:00:00 +0000',
        text: 'Thanks, label printed.',
      },
      {
        from: 'Bo <bo@customer.example.com>',
        to: OURS,
        cc: 'ana@customer.example.com',
        subject: 'Re: Broken zip',
        messageId: followUp,
        inReplyTo: reply,
        references: [root, ourAnswer, reply],
        date: 'Mon, 3 Feb 2025 12:00:00 +0000',
        text: 'I will drop it off.',
      },
    ];

    it('when each is ingested, then all three carry the first message’s Message-ID as threadId', async () => {
      const events = await Promise.all(messages.map(viaMime));
      expect(events.map((e) => e.data.threadId)).toEqual([root, root, root]);
    });

    it('when each is ingested, then all three share one correlation id and keep their own event ids', async () => {
      const events = await Promise.all(messages.map(viaMime));
      expect(new Set(events.map((e) => e.metadata.correlationId)).size).toBe(1);
      expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(3);
    });

    it('when each is ingested, then the facet keeps each message’s own ids as written', async () => {
      const [, third, fourth] = await Promise.all(messages.map(viaMime));
      expect(third!.data.email).toMatchObject({ messageId: reply, inReplyTo: ourAnswer, references: [root, ourAnswer] });
      expect(fourth!.data.email).toMatchObject({
        messageId: followUp,
        inReplyTo: reply,
        references: [root, ourAnswer, reply],
        cc: ['ana@customer.example.com'],
      });
    });

    it('when the same thread arrives through SendGrid instead, then the thread id is the same (it is the mail’s, not the provider’s)', async () => {
      const mime = await Promise.all(messages.map(viaMime));
      const sendgrid = await Promise.all(messages.map(viaSendGrid));
      expect(sendgrid.map((e) => e.data.threadId)).toEqual(mime.map((e) => e.data.threadId));
      expect(sendgrid.map((e) => e.metadata.correlationId)).toEqual(mime.map((e) => e.metadata.correlationId));
      // …while the event ids differ: an event id is per provider delivery (deterministicId('email', provider, Message-ID)).
      expect(sendgrid.map((e) => e.metadata.eventId)).not.toEqual(mime.map((e) => e.metadata.eventId));
    });
  });

  describe('given a reply from a mailer that sends In-Reply-To but no References', () => {
    it('then the message it answers is the thread id', async () => {
      const event = await viaMime({
        from: 'ana@customer.example.com',
        to: OURS,
        messageId: '<x-2@customer.example.com>',
        inReplyTo: '<x-1@mail.hub.example.com>',
        text: 'ok',
      });
      expect(event.data.threadId).toBe('<x-1@mail.hub.example.com>');
    });
  });

  describe('threadRoot', () => {
    const email = (over: Partial<InboundEmail>): InboundEmail => ({
      rawSha256: 'ab'.repeat(32),
      from: [],
      to: [],
      cc: [],
      references: [],
      textFromHtml: false,
      attachments: [],
      ...over,
    });

    it.each<[string, Partial<InboundEmail>, string]>([
      ['the first of References, whatever In-Reply-To says', { messageId: '<c>', inReplyTo: '<b>', references: ['<a>', '<b>'] }, '<a>'],
      ['In-Reply-To when there are no References', { messageId: '<c>', inReplyTo: '<b>' }, '<b>'],
      ['its own Message-ID for a new thread', { messageId: '<c>' }, '<c>'],
      ['the stand-in id for a new thread without Message-ID', {}, `<sha256-${'ab'.repeat(32)}@hub.invalid>`],
    ])('is %s', (_what, over, expected) => {
      expect(threadRoot(email(over))).toBe(expected);
    });
  });
});
