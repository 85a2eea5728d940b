import { Pool } from 'pg';
import { initialCustomerState, type CustomerState, type InteractionRecorded, type NbaDecisionMessage } from '@hub/customer';
import { runDdl } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { OutboundSendPendingError } from './outbound.errors';
import { sendIdOf } from './outbound-send';
import { OUTBOUND_TEMPLATES } from './outbound-templates';
import { OUTBOUND_SENDS_DDL, PostgresSendLedger } from './postgres.send-ledger';
import { sendDecision, type OutboundCustomers, type SendDecisionDeps } from './send-decision';
import { FakeSendGrid } from './testing/fake-sendgrid';
import { FakeTelegram } from './testing/fake-telegram';
import { SendGridEmailSender, unsubscribeToken } from './sendgrid-email.sender';
import { FakeTwilio } from './testing/fake-twilio';
import { FakeWhatsApp } from './testing/fake-whatsapp';
import { WhatsAppCloudSender } from './whatsapp-cloud.sender';
import { TelegramSender } from './telegram.sender';
import { TwilioSmsSender } from './twilio-sms.sender';

/**
 * `sendDecision` over the PostgreSQL ledger and the Twilio sender, against a local fake Twilio: what
 * each kind of provider answer leaves in the ledger, and that nothing is sent twice or blind. The
 * customer side is a map (the app's spec runs the real store).
 */
let pool: Pool;
let twilio: FakeTwilio;
let ledger: PostgresSendLedger;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  await runDdl(pool, OUTBOUND_SENDS_DDL);
  ledger = new PostgresSendLedger(pool);
  twilio = await FakeTwilio.start({ accountSid: 'AC0123456789', authToken: 'token-123' });
});
afterAll(async () => {
  await twilio.close();
  await pool.end();
});

class Customers implements OutboundCustomers {
  readonly recorded: InteractionRecorded[] = [];
  constructor(private readonly state: CustomerState) {}
  async load(): Promise<CustomerState> {
    return this.state;
  }
  async recordInteraction(_t: string, _c: string, event: InteractionRecorded): Promise<void> {
    if (!this.recorded.some((e) => e.metadata.eventId === event.metadata.eventId)) this.recorded.push(event);
  }
}

function setup() {
  const tenantId = freshId('tn');
  const number = `+1415${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
  const customers = new Customers({ ...initialCustomerState(), status: 'active', identities: [{ kind: 'phone', value: number }] });
  const clock = { now: new Date() };
  const deps: SendDecisionDeps = {
    ledger,
    senders: {
      sms: new TwilioSmsSender({
        baseUrl: twilio.url,
        accountSid: 'AC0123456789',
        authToken: 'token-123',
        from: '+14155550000',
        statusCallbackUrl: 'https://hub.example.com/twilio/status',
        timeoutMs: 5_000,
      }),
    },
    customers,
    templates: OUTBOUND_TEMPLATES,
    inDoubtGraceMs: 60_000,
    now: () => clock.now,
  };
  const decision = (): NbaDecisionMessage => ({
    kind: 'action',
    decisionId: freshId('d'),
    tenantId,
    customerId: freshId('c'),
    action: { kind: 'service', code: 'kb_balance', channel: 'sms', detail: 'Send the balance link' },
    contactMode: 'reply',
    address: { channel: 'sms', kind: 'phone', value: number },
    explanation: { ruleId: 'r', reason: 'why' },
    strategyVersion: 'nba-engine-v2',
    catalogVersion: '2',
    decidedAt: clock.now.toISOString(),
    basedOnEventId: 'e',
    basedOnRevision: '0',
    streamRevision: '1',
    globalPosition: '1',
    correlationId: 'corr',
  });
  const posts = () => twilio.posts.filter((r) => r.form['To'] === number);
  const lookups = () => twilio.requests.filter((r) => r.method === 'GET' && r.query['To'] === number);
  const later = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));
  return { deps, customers, decision, posts, lookups, later, tenantId };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof OutboundSendPendingError ? err.code : err),
  );

describe('sendDecision with the Twilio sender', () => {
  describe('when Twilio accepts the message', () => {
    it('is sent once, with the send’s id on the status callback; a second call calls nothing', async () => {
      const { deps, customers, decision, posts } = setup();
      const d = decision();
      const sent = await sendDecision(deps, d);
      expect(sent).toMatchObject({ kind: 'sent' });
      const key = { tenantId: d.tenantId, decisionId: d.decisionId, channel: 'sms' as const };
      expect(posts()).toHaveLength(1);
      expect(new URL(posts()[0]!.form['StatusCallback']!).searchParams.get('hubSendId')).toBe(sendIdOf(key));
      // Settled, it forgets the number and the text (the sealed interaction keeps them).
      const row = await ledger.find(key);
      expect(row).toMatchObject({ state: 'sent', attempts: 1 });
      expect(row).not.toHaveProperty('to');
      expect(row).not.toHaveProperty('body');
      expect(await sendDecision(deps, d)).toEqual({ kind: 'already', key, state: 'sent' });
      expect(posts()).toHaveLength(1);
      expect(customers.recorded.map((e) => e.metadata.eventId)).toEqual([sendIdOf(key)]);
    });
  });

  describe('when Twilio refuses the number for good', () => {
    it('records failed_permanent with Twilio’s code and never calls again', async () => {
      const { deps, decision, posts } = setup();
      const d = decision();
      twilio.next({ kind: 'fail', status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
      expect(await sendDecision(deps, d)).toMatchObject({ kind: 'failed_permanent', code: '21211' });
      expect(await ledger.find({ tenantId: d.tenantId, decisionId: d.decisionId, channel: 'sms' })).toMatchObject({
        state: 'failed_permanent',
        errorCode: '21211',
      });
      expect(await sendDecision(deps, d)).toMatchObject({ kind: 'already', state: 'failed_permanent' });
      expect(posts()).toHaveLength(1);
    });
  });

  describe('when Twilio says "too many requests"', () => {
    it('is not_sent (nothing went out), and the next try sends it', async () => {
      const { deps, decision, posts } = setup();
      const d = decision();
      twilio.next({ kind: 'fail', status: 429, code: 20429, message: 'Too Many Requests' });
      expect(await code(sendDecision(deps, d))).toBe('SEND_RETRY_LATER');
      expect((await ledger.find({ tenantId: d.tenantId, decisionId: d.decisionId, channel: 'sms' }))!.state).toBe('not_sent');
      expect(await sendDecision(deps, d)).toMatchObject({ kind: 'sent' });
      expect(posts()).toHaveLength(2);
      expect((await ledger.find({ tenantId: d.tenantId, decisionId: d.decisionId, channel: 'sms' }))!.attempts).toBe(2);
    });
  });

  describe('when Twilio answers 500 (it may have taken the message)', () => {
    it('stays in doubt while the lookup is young, and is sent again only once the grace period proved it absent', async () => {
      const { deps, decision, posts, lookups, later } = setup();
      const d = decision();
      twilio.next({ kind: 'fail', status: 500, code: 20500, message: 'Internal Server Error' });
      expect(await code(sendDecision(deps, d))).toBe('SEND_IN_DOUBT');
      // In doubt, it keeps what a lookup matches.
      expect(await ledger.find({ tenantId: d.tenantId, decisionId: d.decisionId, channel: 'sms' })).toMatchObject({
        state: 'in_doubt',
        to: d.address!.value,
        body: expect.stringContaining('balance'),
      });

      expect(await code(sendDecision(deps, d))).toBe('SEND_IN_DOUBT');
      expect(posts()).toHaveLength(1);
      expect(lookups()).toHaveLength(1);

      later(61_000);
      expect(await sendDecision(deps, d)).toMatchObject({ kind: 'sent' });
      expect(posts()).toHaveLength(2);
      expect(lookups()).toHaveLength(2);
    });

    it('does not take another send’s message of the same text to the same number for its own', async () => {
      const { deps, decision, posts, later } = setup();
      const first = decision();
      const firstSent = await sendDecision(deps, first);
      const second = decision();
      twilio.next({ kind: 'fail', status: 502, code: 20502, message: 'Bad Gateway' });
      expect(await code(sendDecision(deps, second))).toBe('SEND_IN_DOUBT');
      later(61_000);
      const secondSent = await sendDecision(deps, second);
      expect(secondSent).toMatchObject({ kind: 'sent' });
      expect(posts()).toHaveLength(3);
      expect((secondSent as { providerMessageId: string }).providerMessageId).not.toBe(
        (firstSent as { providerMessageId: string }).providerMessageId,
      );
    });
  });

  describe('when the customer opted out after a try that Twilio refused for now', () => {
    it('the retry is skipped with the reason', async () => {
      const { deps, customers, decision, posts } = setup();
      const d = decision();
      twilio.next({ kind: 'fail', status: 429, code: 20429, message: 'Too Many Requests' });
      expect(await code(sendDecision(deps, d))).toBe('SEND_RETRY_LATER');
      const state = await customers.load();
      state.consents['sms'] = { status: 'opted_out', at: new Date().toISOString(), source: 'keyword', eventId: 'e' };
      expect(await sendDecision(deps, d)).toMatchObject({ kind: 'skipped', reason: 'opted_out' });
      expect(posts()).toHaveLength(1);
    });
  });
});

describe('sendDecision with the Telegram sender', () => {
  let telegram: FakeTelegram;
  beforeAll(async () => {
    telegram = await FakeTelegram.start('123:abc');
  });
  afterAll(() => telegram.close());

  function telegramSetup(actionCode = 'offer_upgrade') {
    const tenantId = freshId('tn');
    const chatId = String(100_000_000 + Math.floor(Math.random() * 900_000_000));
    const customers = new Customers({
      ...initialCustomerState(),
      status: 'active',
      identities: [{ kind: 'handle', namespace: 'telegram', value: chatId }],
    });
    const deps: SendDecisionDeps = {
      ledger,
      senders: { telegram: new TelegramSender({ baseUrl: telegram.url, botToken: '123:abc', timeoutMs: 5_000 }) },
      customers,
      templates: OUTBOUND_TEMPLATES,
      inDoubtGraceMs: 0,
      now: () => new Date(),
    };
    const decision: NbaDecisionMessage = {
      kind: 'action',
      decisionId: freshId('d'),
      tenantId,
      customerId: freshId('c'),
      action: { kind: 'survey', code: actionCode, channel: 'telegram', detail: 'Send a survey' },
      // A reply: a proactive one would be skipped during the quiet hours of the test's clock (UTC).
      contactMode: 'reply',
      address: { channel: 'telegram', kind: 'handle', namespace: 'telegram', value: chatId },
      explanation: { ruleId: 'r', reason: 'why' },
      strategyVersion: 'nba-engine-v2',
      catalogVersion: '2',
      decidedAt: new Date().toISOString(),
      basedOnEventId: 'e',
      basedOnRevision: '0',
      streamRevision: '1',
      globalPosition: '1',
      correlationId: 'corr',
    };
    const calls = () => telegram.requests.filter((r) => r.body['chat_id'] === chatId);
    return { deps, customers, decision, calls, chatId };
  }

  describe('when Telegram accepts the message', () => {
    it('sends the action’s text with its answers as an inline keyboard (the decision’s reply ids), and records <chat>:<message_id>', async () => {
      const { deps, customers, decision, calls, chatId } = telegramSetup();
      const sent = await sendDecision(deps, decision);
      expect(sent).toMatchObject({ kind: 'sent', providerMessageId: expect.stringMatching(new RegExp(`^${chatId}:\\d+$`)) });
      expect(calls()).toHaveLength(1);
      expect(calls()[0]!.path).toBe('/bot123:abc/sendMessage');
      expect(calls()[0]!.body).toMatchObject({
        text: expect.stringContaining('annual plan'),
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Upgrade', callback_data: `nba:${decision.decisionId}:accept` },
              { text: 'Not now', callback_data: `nba:${decision.decisionId}:decline` },
            ],
          ],
        },
      });
      expect(customers.recorded[0]!.data).toMatchObject({
        channel: 'telegram',
        identities: [{ kind: 'handle', namespace: 'telegram', value: chatId }],
        provider: { name: 'telegram' },
      });
    });
  });

  describe('when the customer blocked the bot', () => {
    it('records failed_permanent with Telegram’s code', async () => {
      const { deps, decision } = telegramSetup();
      telegram.next({ kind: 'fail', status: 403, description: 'Forbidden: bot was blocked by the user' });
      expect(await sendDecision(deps, decision)).toMatchObject({ kind: 'failed_permanent', code: '403' });
    });
  });

  describe('when Telegram answers 502 (it may have sent the message)', () => {
    it('is parked in doubt — Telegram cannot look a message up — and never sent again', async () => {
      const { deps, decision, calls } = telegramSetup();
      telegram.next({ kind: 'fail', status: 502, description: 'Bad Gateway' });
      expect(await code(sendDecision(deps, decision))).toBe('SEND_IN_DOUBT');
      expect(await sendDecision(deps, decision)).toMatchObject({ kind: 'in_doubt' });
      expect(await sendDecision(deps, decision)).toMatchObject({ kind: 'in_doubt' });
      expect(calls()).toHaveLength(1);
      expect((await ledger.find({ tenantId: decision.tenantId, decisionId: decision.decisionId, channel: 'telegram' }))!.state).toBe(
        'in_doubt',
      );
    });
  });
});

describe('sendDecision with the WhatsApp Cloud sender', () => {
  let whatsapp: FakeWhatsApp;
  beforeAll(async () => {
    whatsapp = await FakeWhatsApp.start({ phoneNumberId: '1234567890', accessToken: 'EAAtoken' });
  });
  afterAll(() => whatsapp.close());

  function whatsappSetup(o: { lastInboundAt?: string; actionCode?: string; approved?: boolean } = {}) {
    const number = `+1415${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
    const now = new Date('2026-12-07T12:00:00.000Z');
    const state: CustomerState = {
      ...initialCustomerState(),
      status: 'active',
      identities: [{ kind: 'phone', value: number }],
      conversations: o.lastInboundAt
        ? { 'whatsapp:': { channel: 'whatsapp', status: 'open', lastInboundAt: o.lastInboundAt, inboundSinceOpened: 1 } }
        : {},
    };
    const customers = new Customers(state);
    const actionCode = o.actionCode ?? 'schedule_callback';
    const deps: SendDecisionDeps = {
      ledger,
      senders: {
        whatsapp: new WhatsAppCloudSender({
          baseUrl: whatsapp.url,
          apiVersion: 'v21.0',
          phoneNumberId: '1234567890',
          accessToken: 'EAAtoken',
          timeoutMs: 5_000,
        }),
      },
      customers,
      templates: OUTBOUND_TEMPLATES,
      ...(o.approved ? { approvedTemplates: { whatsapp: { [actionCode]: { name: 'callback_offer_v1', language: 'en_US' } } } } : {}),
      inDoubtGraceMs: 0,
      now: () => now,
    };
    const decision: NbaDecisionMessage = {
      kind: 'action',
      decisionId: freshId('d'),
      tenantId: freshId('tn'),
      customerId: freshId('c'),
      action: { kind: 'service', code: actionCode, channel: 'whatsapp', detail: 'Offer a callback' },
      contactMode: 'reply',
      address: { channel: 'whatsapp', kind: 'phone', value: number },
      explanation: { ruleId: 'r', reason: 'why' },
      strategyVersion: 'nba-engine-v2',
      catalogVersion: '2',
      decidedAt: now.toISOString(),
      basedOnEventId: 'e',
      basedOnRevision: '0',
      streamRevision: '1',
      globalPosition: '1',
      correlationId: 'corr',
    };
    const calls = () => whatsapp.requests.filter((r) => r.body['to'] === number.slice(1));
    return { deps, decision, calls };
  }

  describe('when the customer wrote within 24 hours', () => {
    it('sends the text with the action’s reply buttons as interactive buttons, and records the wamid', async () => {
      const { deps, decision, calls } = whatsappSetup({ lastInboundAt: '2026-12-07T09:00:00.000Z' });
      expect(await sendDecision(deps, decision)).toMatchObject({ kind: 'sent', providerMessageId: expect.stringMatching(/^wamid\./) });
      expect(calls()).toHaveLength(1);
      expect(calls()[0]!.path).toBe('/v21.0/1234567890/messages');
      expect(calls()[0]!.authorization).toBe('Bearer EAAtoken');
      expect(calls()[0]!.body).toMatchObject({
        messaging_product: 'whatsapp',
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: expect.stringContaining('call you back') },
          action: {
            buttons: [
              { type: 'reply', reply: { id: `nba:${decision.decisionId}:accept`, title: 'Call me back' } },
              { type: 'reply', reply: { id: `nba:${decision.decisionId}:decline`, title: 'No, thanks' } },
            ],
          },
        },
      });
    });
  });

  describe('when the window is closed', () => {
    it('sends nothing without an approved template (skipped, outside_service_window)', async () => {
      const { deps, decision, calls } = whatsappSetup({ lastInboundAt: '2026-12-05T09:00:00.000Z' });
      expect(await sendDecision(deps, decision)).toMatchObject({ kind: 'skipped', reason: 'outside_service_window' });
      expect(calls()).toHaveLength(0);
    });
    it('sends the approved template, and no interactive message, when there is one', async () => {
      const { deps, decision, calls } = whatsappSetup({ approved: true });
      expect(await sendDecision(deps, decision)).toMatchObject({ kind: 'sent' });
      expect(calls()[0]!.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: decision.address!.value.slice(1),
        type: 'template',
        template: { name: 'callback_offer_v1', language: { code: 'en_US' } },
      });
    });
  });

  describe('when Meta refuses or cannot say', () => {
    it('records a refusal with Meta’s code, and parks a 5xx in doubt without sending again', async () => {
      const refused = whatsappSetup({ lastInboundAt: '2026-12-07T09:00:00.000Z' });
      whatsapp.next({ kind: 'fail', status: 400, code: 131026, message: 'Message undeliverable' });
      expect(await sendDecision(refused.deps, refused.decision)).toMatchObject({ kind: 'failed_permanent', code: '131026' });

      const unknown = whatsappSetup({ lastInboundAt: '2026-12-07T09:00:00.000Z' });
      whatsapp.next({ kind: 'fail', status: 500, code: 1, message: 'An unknown error occurred' });
      expect(await code(sendDecision(unknown.deps, unknown.decision))).toBe('SEND_IN_DOUBT');
      expect(await sendDecision(unknown.deps, unknown.decision)).toMatchObject({ kind: 'in_doubt' });
      expect(unknown.calls()).toHaveLength(1);
    });
  });
});

describe('sendDecision with the SendGrid email sender', () => {
  let sendgrid: FakeSendGrid;
  beforeAll(async () => {
    sendgrid = await FakeSendGrid.start('SG.test-key');
  });
  afterAll(() => sendgrid.close());

  function emailSetup() {
    const address = `${freshId('ann')}@example.com`;
    const customers = new Customers({ ...initialCustomerState(), status: 'active', identities: [{ kind: 'email', value: address }] });
    const deps: SendDecisionDeps = {
      ledger,
      senders: {
        email: new SendGridEmailSender({
          baseUrl: sendgrid.url,
          apiKey: 'SG.test-key',
          from: { email: 'care@example.com', name: 'Example Care' },
          unsubscribeUrl: 'https://hub.example.com/v1/unsubscribe',
          unsubscribeSecret: 'unsubscribe-secret-0123456789',
          timeoutMs: 5_000,
        }),
      },
      customers,
      templates: OUTBOUND_TEMPLATES,
      inDoubtGraceMs: 0,
      now: () => new Date('2026-12-07T12:00:00.000Z'),
    };
    const decision: NbaDecisionMessage = {
      kind: 'action',
      decisionId: freshId('d'),
      tenantId: freshId('tn'),
      customerId: freshId('c'),
      action: { kind: 'retention', code: 'retention_offer', channel: 'email', detail: 'Offer a loyalty discount' },
      contactMode: 'proactive',
      address: { channel: 'email', kind: 'email', value: address },
      explanation: { ruleId: 'r', reason: 'why' },
      strategyVersion: 'nba-engine-v2',
      catalogVersion: '2',
      decidedAt: '2026-12-07T12:00:00.000Z',
      basedOnEventId: 'e',
      basedOnRevision: '0',
      streamRevision: '1',
      globalPosition: '1',
      correlationId: 'corr',
    };
    const calls = () =>
      sendgrid.requests.filter((r) => (r.body['personalizations'] as { to: { email: string }[] }[])[0]!.to[0]!.email === address);
    return { deps, decision, calls, address };
  }

  describe('when SendGrid accepts the email', () => {
    it('sends the subject and text with one-click unsubscribe headers (RFC 8058) and the send’s id, and records X-Message-Id', async () => {
      const { deps, decision, calls, address } = emailSetup();
      const sent = await sendDecision(deps, decision);
      expect(sent).toMatchObject({ kind: 'sent', providerMessageId: expect.stringMatching(/^sg/) });
      const body = calls()[0]!.body;
      expect(calls()[0]!.authorization).toBe('Bearer SG.test-key');
      expect(body).toMatchObject({
        from: { email: 'care@example.com', name: 'Example Care' },
        subject: 'A thank-you for staying with us',
        content: [{ type: 'text/plain', value: expect.stringContaining('loyalty discount') }],
        custom_args: { hub_send_id: sendIdOf({ tenantId: decision.tenantId, decisionId: decision.decisionId, channel: 'email' }) },
      });
      const headers = body['headers'] as Record<string, string>;
      expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      const link = new URL(/^<(.*)>$/.exec(headers['List-Unsubscribe']!)![1]!);
      expect(link.origin + link.pathname).toBe('https://hub.example.com/v1/unsubscribe');
      expect(Object.fromEntries(link.searchParams)).toEqual({
        tenant: decision.tenantId,
        customer: decision.customerId,
        address,
        sig: unsubscribeToken('unsubscribe-secret-0123456789', decision.tenantId, decision.customerId, address),
      });
    });
  });

  describe('when SendGrid refuses it', () => {
    it('records failed_permanent with the HTTP status as the code', async () => {
      const { deps, decision } = emailSetup();
      sendgrid.next({ kind: 'fail', status: 400, message: 'The from address does not match a verified Sender Identity.' });
      expect(await sendDecision(deps, decision)).toMatchObject({
        kind: 'failed_permanent',
        code: 'HTTP_400',
        message: expect.stringContaining('verified Sender Identity'),
      });
    });
  });
});
