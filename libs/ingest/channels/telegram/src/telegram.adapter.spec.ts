import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { validateAs } from '@hub/contracts';
import { TelegramChannelAdapter, TelegramConfig, telegramFileIdOf, telegramFileRef } from './index';
import { TELEGRAM_TEST_SECRET_TOKEN, telegramTestSetup, telegramWebhookRequest } from './testing';

const URL = 'https://hub.example.com/webhooks/telegram';
const NOW = { nowMs: Date.now() };
const adapter = new TelegramChannelAdapter({ TELEGRAM_SECRET_TOKEN: TELEGRAM_TEST_SECRET_TOKEN });
const request = (update: Record<string, unknown>, secretToken = TELEGRAM_TEST_SECRET_TOKEN): WebhookRequest =>
  telegramWebhookRequest({ secretToken, url: URL, update });
const run = (update: Record<string, unknown>, context = CONFORMANCE_CONTEXT) => runChannelPipeline(adapter, request(update), context);

function accepted(outcome: PipelineOutcome) {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

const alice = { id: 123456789, is_bot: false, first_name: 'Alice' };
const chat = { id: 123456789, first_name: 'Alice', type: 'private' };
const message = (over: Record<string, unknown> = {}) => ({
  message_id: 42,
  from: alice,
  chat,
  date: 1736933395,
  text: 'Where is my order?',
  ...over,
});

/**
 * Telegram authenticates an update with a static secret token and signs nothing: a body changed in
 * transit cannot be told from the original (TLS is what protects it). The setup says so
 * (`signsBody: false`), and the kit checks instead that the token is compared whole. What does
 * hold is tested below ('given the secret token').
 */
channelConformanceKit(telegramTestSetup);

describe('TelegramChannelAdapter', () => {
  describe('given the secret token', () => {
    it('then the configured token verifies', () => {
      expect(adapter.verify(request({ update_id: 1, message: message() }), NOW)).toEqual({ ok: true });
    });

    it.each([
      ['another token of the same length', TELEGRAM_TEST_SECRET_TOKEN.replace(/.$/, 'X')],
      ['the token with a character missing', TELEGRAM_TEST_SECRET_TOKEN.slice(0, -1)],
      ['the token with a character added', `${TELEGRAM_TEST_SECRET_TOKEN}x`],
      ['the token in another case', TELEGRAM_TEST_SECRET_TOKEN.toUpperCase()],
      ['the token with surrounding space', ` ${TELEGRAM_TEST_SECRET_TOKEN} `],
    ])('then %s is refused as signature_invalid', (_what, token) => {
      expect(adapter.verify(request({ update_id: 1, message: message() }, token), NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then an empty header is refused as signature_missing', () => {
      expect(adapter.verify(request({ update_id: 1, message: message() }, ''), NOW)).toEqual({ ok: false, reason: 'signature_missing' });
    });

    it('then the time does not matter: Telegram sends no timestamp, so an old redelivery still verifies', () => {
      expect(adapter.verify(request({ update_id: 1, message: message() }), { nowMs: NOW.nowMs + 30 * 86_400_000 })).toEqual({ ok: true });
    });

    it('then a body changed in transit still verifies — the token authenticates the sender, not the body', () => {
      const genuine = request({ update_id: 1, message: message() });
      const changed = request({ update_id: 1, message: message({ text: 'changed' }) });
      expect(adapter.verify({ ...changed, headers: genuine.headers }, NOW)).toEqual({ ok: true });
    });
  });

  describe('given the config schema', () => {
    it.each([
      ['a 16-character token', 'a'.repeat(16), true],
      ['a 256-character token of every allowed character', `${'Az09_-'.repeat(42)}abcd`, true],
      ['a 15-character token', 'a'.repeat(15), false],
      ['a 257-character token', 'a'.repeat(257), false],
      ['a token with a character Telegram refuses', `${'a'.repeat(16)}!`, false],
      ['a bot token (it has a colon)', '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', false],
    ])('then %s is %s', (_what, token, ok) => {
      expect(validateAs(TelegramConfig, { TELEGRAM_SECRET_TOKEN: token }).ok).toBe(ok);
    });
  });

  describe('when a message is edited', () => {
    const original = { update_id: 100, message: message() };
    const edit = (editDate: number, updateId: number) => ({
      update_id: updateId,
      edited_message: message({ edit_date: editDate, text: 'Where is my order #1234?' }),
    });

    it('then the edit has its own event id, and each later edit another one', async () => {
      const [o] = accepted(await run(original));
      const [e1] = accepted(await run(edit(1736933425, 101)));
      const [e2] = accepted(await run(edit(1736933500, 102)));
      expect(new Set([o!.metadata.eventId, e1!.metadata.eventId, e2!.metadata.eventId]).size).toBe(3);
    });

    it('then the edit points at the original message, which carries the same provider message id', async () => {
      const [o] = accepted(await run(original));
      const [e] = accepted(await run(edit(1736933425, 101)));
      expect(o!.data.edits).toBeUndefined();
      expect(e!.data).toMatchObject({
        edits: '123456789:42',
        provider: { name: 'telegram', messageId: '123456789:42' },
        content: { text: 'Where is my order #1234?' },
      });
      expect(e!.data.edits).toBe(o!.data.provider.messageId);
    });

    it('then the edit happened at edit_date, the original at date', async () => {
      const [o] = accepted(await run(original));
      const [e] = accepted(await run(edit(1736933425, 101)));
      expect(o!.metadata.occurredAt).toBe('2025-01-15T09:29:55.000Z');
      expect(e!.metadata.occurredAt).toBe('2025-01-15T09:30:25.000Z');
      expect([o!.metadata.occurredAtSource, e!.metadata.occurredAtSource]).toEqual(['provider', 'provider']);
    });

    it('then the same edit redelivered in another update keeps its id', async () => {
      const [a] = accepted(await run(edit(1736933425, 101)));
      const [b] = accepted(await run(edit(1736933425, 205)));
      expect(b!.metadata.eventId).toBe(a!.metadata.eventId);
    });
  });

  describe('when the same message reaches the hub in two updates', () => {
    it('then the event id comes from (chat, message_id), not from update_id', async () => {
      const [a] = accepted(await run({ update_id: 100, message: message() }));
      const [b] = accepted(await run({ update_id: 999, message: message() }));
      expect(b!.metadata.eventId).toBe(a!.metadata.eventId);
    });

    it('then the same message_id in another chat is another message', async () => {
      const [a] = accepted(await run({ update_id: 100, message: message() }));
      const [b] = accepted(
        await run({ update_id: 100, message: message({ chat: { id: -1001234567890, title: 'Support', type: 'supergroup' } }) }),
      );
      expect(b!.metadata.eventId).not.toBe(a!.metadata.eventId);
      expect(b!.data.threadId).toBe('-1001234567890');
    });
  });

  describe('when a customer presses an inline keyboard button', () => {
    const callback = (over: Record<string, unknown> = {}) => ({
      update_id: 300,
      callback_query: {
        id: '530266791637462389',
        from: alice,
        message: {
          message_id: 50,
          date: 1736933300,
          chat,
          text: 'Rate us',
          reply_markup: {
            inline_keyboard: [[{ text: '⭐ 5', callback_data: 'rate:5' }], [{ text: 'Open site', url: 'https://example.com' }]],
          },
        },
        chat_instance: '-6412834527839462515',
        data: 'rate:5',
        ...over,
      },
    });

    it('then it is an inbound interactive callback reply, keyed by the callback query id, in the chat of the message', async () => {
      const [e] = accepted(await run(callback()));
      expect(e!.data).toEqual({
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'handle', namespace: 'telegram', value: '123456789' }],
        content: { media: [] },
        provider: { name: 'telegram', messageId: '530266791637462389' },
        threadId: '123456789',
        interactive: { type: 'callback', id: 'rate:5', title: '⭐ 5' },
      });
    });

    it('then, having no date of its own, it happened when it was received — and a redelivery keeps its id', async () => {
      const first = accepted(await run(callback()));
      const later = accepted(await run(callback(), { ...CONFORMANCE_CONTEXT, receivedAt: '2025-01-15T09:31:00.000Z' }));
      expect(first[0]!.metadata.occurredAt).toBe(CONFORMANCE_CONTEXT.receivedAt);
      expect(later[0]!.metadata.occurredAt).toBe('2025-01-15T09:31:00.000Z');
      expect(first[0]!.metadata.occurredAtSource).toBe('received');
      expect(later[0]!.metadata.eventId).toBe(first[0]!.metadata.eventId);
    });

    it('then two presses of the same button are two events (each query has its own id)', async () => {
      const [a] = accepted(await run(callback()));
      const [b] = accepted(await run(callback({ id: '530266791637462999' })));
      expect(b!.metadata.eventId).not.toBe(a!.metadata.eventId);
    });

    it('then a button on a message older than 48 hours (InaccessibleMessage, date 0) still gives the chat, without a label', async () => {
      const [e] = accepted(await run(callback({ message: { message_id: 50, date: 0, chat } })));
      expect(e!.data.threadId).toBe('123456789');
      expect(e!.data.interactive).toEqual({ type: 'callback', id: 'rate:5' });
    });
  });

  describe('when a user shares a contact card', () => {
    it('then their own number that is not a valid phone number adds no identity, and stays in the text', async () => {
      const [e] = accepted(
        await run({
          update_id: 400,
          message: message({ text: undefined, contact: { phone_number: '12345', first_name: 'Alice', user_id: alice.id } }),
        }),
      );
      expect(e!.data.identities).toEqual([{ kind: 'handle', namespace: 'telegram', value: '123456789' }]);
      expect(e!.data.content.text).toBe('Contact: Alice, 12345');
    });

    it('then a contact without user_id is not taken as the sender’s number', async () => {
      const [e] = accepted(
        await run({ update_id: 401, message: message({ text: undefined, contact: { phone_number: '+33612345678', first_name: 'Bob' } }) }),
      );
      expect(e!.data.identities).toHaveLength(1);
    });
  });

  describe('when an update carries two update types (Telegram sends one)', () => {
    it('then it is unmappable, naming the second', async () => {
      const outcome = await run({ update_id: 500, message: message(), edited_message: message({ edit_date: 1736933425 }) });
      expect(outcome).toMatchObject({ kind: 'unmappable', error: { field: 'edited_message' } });
    });
  });

  describe('when an update carries no update type at all', () => {
    it('then it is unmappable, naming update_id', async () => {
      expect(await run({ update_id: 501 })).toMatchObject({ kind: 'unmappable', error: { field: 'update_id' } });
    });
  });
});

describe('telegramFileRef', () => {
  const fileId = 'AgACAgQAAxkBAAIBLWeHj1aaQ7Ykz3Xl4s0AAUpvMmzVAAK5uDEbg2FBUCdJbUn0pkGUAQADAgADeQADNgQ';

  it('is a token-free https reference from which the file_id is read back', () => {
    const ref = telegramFileRef(fileId);
    expect(ref).toBe(`https://api.telegram.org/getFile?file_id=${fileId}`);
    expect(ref).not.toMatch(/\/bot/);
    expect(telegramFileIdOf(ref)).toBe(fileId);
  });

  it('escapes characters that are not URL-safe, and reads them back', () => {
    expect(telegramFileIdOf(telegramFileRef('a+b/c=d&e'))).toBe('a+b/c=d&e');
  });

  it('reads nothing from another URL', () => {
    expect(telegramFileIdOf('https://example.com/file.jpg')).toBeUndefined();
    expect(telegramFileIdOf('https://api.telegram.org/getFile?file_id=')).toBeUndefined();
    expect(telegramFileIdOf('https://api.telegram.org/getFile?file_id=%E0%A4%A')).toBeUndefined();
  });
});
