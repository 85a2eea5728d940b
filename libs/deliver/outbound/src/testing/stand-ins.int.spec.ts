import { randomUUID } from 'node:crypto';
import type { OutboundMessage } from '../message-sender.port';
import { SendGridEmailSender } from '../sendgrid-email.sender';
import { TelegramSender } from '../telegram.sender';
import { TwilioSmsSender } from '../twilio-sms.sender';
import { WhatsAppCloudSender } from '../whatsapp-cloud.sender';
import { FakeSendGrid } from './fake-sendgrid';
import { FakeTelegram } from './fake-telegram';
import { FakeTwilio } from './fake-twilio';
import { FakeWhatsApp, whatsAppMessageProblem } from './fake-whatsapp';

/**
 * The provider stand-ins check what the real APIs check — the credential, the path, the body's
 * required fields and limits — so a sender that sends the wrong token or an invalid message fails
 * against them as it would against the provider. Each: the real sender with the right credential is
 * answered; with another one it is refused as the provider refuses (and nothing is created).
 */
const message = (to: OutboundMessage['to'], o: Partial<OutboundMessage> = {}): OutboundMessage => ({
  tenantId: 'acme',
  customerId: 'c-1',
  sendId: randomUUID(),
  channel: 'sms',
  to,
  body: 'Your order ships today.',
  ...o,
});
const PHONE = { channel: 'sms', kind: 'phone', value: '+14155550100' } as const;
const WHATSAPP = { ...PHONE, channel: 'whatsapp' } as const;

describe('the Twilio stand-in', () => {
  let twilio: FakeTwilio;
  beforeAll(async () => {
    twilio = await FakeTwilio.start({ accountSid: 'AC0123456789', authToken: 'the-auth-token' });
  });
  afterAll(() => twilio.close());
  const sender = (authToken: string) =>
    new TwilioSmsSender({ baseUrl: twilio.url, accountSid: 'AC0123456789', authToken, from: '+14155550000', timeoutMs: 5_000 });

  it('creates the message for the account’s Basic credentials, and refuses another token with 20003', async () => {
    expect(await sender('the-auth-token').send(message(PHONE))).toEqual(expect.objectContaining({ kind: 'accepted' }));
    const refused = await sender('not-the-token').send(message(PHONE));
    expect(refused.kind).not.toBe('accepted');
    expect(twilio.refused.map((r) => [r.status, (r.body as { code: number }).code])).toEqual([[401, 20003]]);
    expect(twilio.messages).toHaveLength(1);
  });
});

describe('the WhatsApp Cloud API stand-in', () => {
  let whatsapp: FakeWhatsApp;
  beforeAll(async () => {
    whatsapp = await FakeWhatsApp.start({ phoneNumberId: '106540352242922', accessToken: 'EAAG-the-token' });
  });
  afterAll(() => whatsapp.close());
  const sender = (accessToken: string, phoneNumberId = '106540352242922') =>
    new WhatsAppCloudSender({ baseUrl: whatsapp.url, apiVersion: 'v21.0', phoneNumberId, accessToken, timeoutMs: 5_000 });
  const buttons = [
    { id: 'nba:d-1:accept', title: 'Upgrade' },
    { id: 'nba:d-1:decline', title: 'Not now' },
  ];

  it('takes the number’s messages with its bearer token; refuses another token (190) and another number (100)', async () => {
    const open = { channel: 'whatsapp', serviceWindow: 'open', buttons } as const;
    expect(await sender('EAAG-the-token').send(message(WHATSAPP, open))).toEqual(expect.objectContaining({ kind: 'accepted' }));
    expect((await sender('EAAG-stale').send(message(WHATSAPP, open))).kind).not.toBe('accepted');
    expect((await sender('EAAG-the-token', '999999999').send(message(WHATSAPP, open))).kind).not.toBe('accepted');
    expect(whatsapp.refused.map((r) => [r.status, (r.body as { error: { code: number } }).error.code])).toEqual([
      [401, 190],
      [400, 100],
    ]);
  });

  it('checks a message body against the Cloud API’s limits', () => {
    const base = { messaging_product: 'whatsapp', to: '14155550100' };
    expect(whatsAppMessageProblem({ ...base, type: 'text', text: { body: 'hi' } })).toBeUndefined();
    expect(whatsAppMessageProblem({ ...base, type: 'text', text: { body: '' } })).toMatch(/text.body/);
    const reply = (title: string) => ({ type: 'reply', reply: { id: 'x', title } });
    const interactive = (n: number, title = 'Yes') => ({
      ...base,
      type: 'interactive',
      interactive: { type: 'button', body: { text: 'Upgrade?' }, action: { buttons: Array.from({ length: n }, () => reply(title)) } },
    });
    expect(whatsAppMessageProblem(interactive(3))).toBeUndefined();
    expect(whatsAppMessageProblem(interactive(4))).toMatch(/1 to 3/);
    expect(whatsAppMessageProblem(interactive(2, 'A title longer than twenty'))).toMatch(/title of at most 20/);
    expect(whatsAppMessageProblem({ ...base, messaging_product: 'sms', type: 'text', text: { body: 'hi' } })).toMatch(/messaging_product/);
  });
});

describe('the Telegram Bot API stand-in', () => {
  let telegram: FakeTelegram;
  beforeAll(async () => {
    telegram = await FakeTelegram.start('123456:the-bot-token');
  });
  afterAll(() => telegram.close());
  const sender = (botToken: string) => new TelegramSender({ baseUrl: telegram.url, botToken, timeoutMs: 5_000 });
  const chat = { channel: 'telegram', kind: 'handle', namespace: 'telegram', value: '412345678' } as const;

  it('answers the bot’s token with the message, another token with 401 Unauthorized', async () => {
    const withKeyboard = { channel: 'telegram', buttons: [{ id: 'nba:d-1:accept', title: 'Yes please' }] } as const;
    expect(await sender('123456:the-bot-token').send(message(chat, withKeyboard))).toEqual(expect.objectContaining({ kind: 'accepted' }));
    expect((await sender('123456:another-token').send(message(chat, withKeyboard))).kind).not.toBe('accepted');
    expect(telegram.refused.map((r) => [r.status, (r.body as { description: string }).description])).toEqual([[401, 'Unauthorized']]);
  });
});

describe('the SendGrid stand-in', () => {
  let sendgrid: FakeSendGrid;
  beforeAll(async () => {
    sendgrid = await FakeSendGrid.start('SG.the-key');
  });
  afterAll(() => sendgrid.close());
  const sender = (apiKey: string) =>
    new SendGridEmailSender({
      baseUrl: sendgrid.url,
      apiKey,
      from: { email: 'care@example.com', name: 'Example Care' },
      unsubscribeUrl: 'https://hub.example.com/v1/unsubscribe',
      unsubscribeSecret: 'unsubscribe-secret-0123456789',
      timeoutMs: 5_000,
    });
  const email = { channel: 'email', kind: 'email', value: 'ann@example.com' } as const;

  it('sends with the key (202), refuses another key (401) and a mail without a subject (400)', async () => {
    expect(await sender('SG.the-key').send(message(email, { channel: 'email', subject: 'Your plan' }))).toEqual(
      expect.objectContaining({ kind: 'accepted' }),
    );
    expect((await sender('SG.other').send(message(email, { channel: 'email', subject: 'Your plan' }))).kind).not.toBe('accepted');
    expect((await sender('SG.the-key').send(message(email, { channel: 'email' }))).kind).not.toBe('accepted');
    expect(sendgrid.refused.map((r) => [r.status, (r.body as { errors: { field: string | null }[] }).errors[0]!.field])).toEqual([
      [401, null],
      [400, 'subject'],
    ]);
  });
});
