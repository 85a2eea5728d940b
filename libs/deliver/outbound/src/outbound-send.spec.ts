import { initialCustomerState, type CustomerState, type NbaDecisionMessage } from '@hub/customer';
import {
  nextSendStep,
  quietHoursAt,
  recheckSend,
  sendIdOf,
  sendTargetOf,
  serviceWindowOf,
  settleInDoubt,
  type SendRecord,
  type SendTarget,
} from './outbound-send';
import { parseNbaReplyId } from '@hub/nba';
import { OUTBOUND_REPLY_BUTTONS, OUTBOUND_SUBJECTS, OUTBOUND_TEMPLATES, renderOutboundMessage, replyButtonsOf } from './outbound-templates';
import { WhatsAppCloudSender } from './whatsapp-cloud.sender';

const target: SendTarget = { channel: 'sms', address: { channel: 'sms', kind: 'phone', value: '+14155550100' } };

const active = (over: Partial<CustomerState> = {}): CustomerState => ({
  ...initialCustomerState(),
  status: 'active',
  identities: [{ kind: 'phone', value: '+14155550100' }],
  ...over,
});

const decision = (over: Partial<NbaDecisionMessage> = {}): NbaDecisionMessage => ({
  kind: 'action',
  decisionId: 'd-1',
  tenantId: 'acme',
  customerId: 'c-1',
  action: { kind: 'service', code: 'kb_password_reset', channel: 'sms', detail: 'Send the reset link' },
  contactMode: 'reply',
  address: target.address,
  explanation: { ruleId: 'r', reason: 'why' },
  strategyVersion: 'nba-engine-v2',
  catalogVersion: '2',
  decidedAt: '2026-12-07T10:00:00.000Z',
  basedOnEventId: 'e-1',
  basedOnRevision: '3',
  streamRevision: '4',
  globalPosition: '99',
  correlationId: 'corr',
  ...over,
});

const row = (state: SendRecord['state']): SendRecord => ({
  tenantId: 'acme',
  decisionId: 'd-1',
  channel: 'sms',
  customerId: 'c-1',
  sendId: 'x',
  state,
  attempts: 1,
  provider: 'twilio',
  updatedAt: '2026-12-07T10:00:00.000Z',
});

describe('the at-most-once send protocol', () => {
  describe('given a decision message', () => {
    it('when it is an action with an address on its channel, then that is the send', () => {
      expect(sendTargetOf(decision())).toEqual({ ok: true, target });
    });
    it('when it is a hand-off, or names no address for its channel, then there is nothing to send, and why', () => {
      expect(sendTargetOf(decision({ contactMode: 'handoff' }))).toEqual({ ok: false, reason: 'handoff' });
      const { address: _none, ...withoutAddress } = decision();
      expect(sendTargetOf(withoutAddress)).toEqual({ ok: false, reason: 'no_address' });
      expect(sendTargetOf(decision({ address: { channel: 'email', kind: 'email', value: 'a@b.c' } }))).toEqual({
        ok: false,
        reason: 'no_address',
      });
    });
  });

  describe('given the latest state at send time', () => {
    it('when the customer opted out since the decision, then the opt-out wins', () => {
      const state = active({ consents: { sms: { status: 'opted_out', at: '2026-12-07T10:01:00.000Z', source: 'keyword', eventId: 'e' } } });
      expect(recheckSend(state, target, '2026-12-07T10:05:00.000Z')).toEqual({ ok: false, reason: 'opted_out' });
    });
    it('when the customer was erased or merged away, then nothing is sent', () => {
      expect(recheckSend(active({ status: 'erased' }), target, '2026-12-07T10:05:00.000Z')).toEqual({
        ok: false,
        reason: 'customer_erased',
      });
      expect(recheckSend(active({ status: 'merged' }), target, '2026-12-07T10:05:00.000Z')).toEqual({
        ok: false,
        reason: 'customer_merged',
      });
    });
    it('when the address is no longer the customer’s, then nothing is sent', () => {
      expect(recheckSend(active({ identities: [{ kind: 'phone', value: '+14155550199' }] }), target, '2026-12-07T10:05:00.000Z')).toEqual({
        ok: false,
        reason: 'address_not_held',
      });
    });
    it('when the customer is active, holds the address and did not opt out, then the send goes ahead', () => {
      expect(recheckSend(active(), target, '2026-12-07T10:05:00.000Z')).toEqual({ ok: true });
    });
  });

  describe('given a channel with a 24-hour service window', () => {
    const wa: SendTarget = { channel: 'whatsapp', address: { channel: 'whatsapp', kind: 'phone', value: '+14155550100' } };
    const wrote = (channel: 'whatsapp' | 'messenger', at: string) =>
      active({ conversations: { [`${channel}:`]: { channel, status: 'open', lastInboundAt: at, inboundSinceOpened: 1 } } });
    it('when the customer wrote on it within 24 hours, then the window is open', () => {
      expect(recheckSend(wrote('whatsapp', '2026-12-06T10:05:01.000Z'), wa, '2026-12-07T10:05:00.000Z')).toEqual({
        ok: true,
        window: 'open',
      });
    });
    it('when they did not, then WhatsApp may send only an approved template, and Messenger nothing', () => {
      const stale = wrote('whatsapp', '2026-12-06T10:05:00.000Z');
      expect(recheckSend(stale, wa, '2026-12-07T10:05:00.000Z')).toEqual({ ok: false, reason: 'outside_service_window' });
      expect(recheckSend(stale, wa, '2026-12-07T10:05:00.000Z', { approvedTemplate: true })).toEqual({ ok: true, window: 'closed' });
      const messenger: SendTarget = { channel: 'messenger', address: { channel: 'messenger', kind: 'handle', value: '+14155550100' } };
      const m = active({
        identities: [{ kind: 'handle', value: '+14155550100' }],
        conversations: {
          'messenger:': { channel: 'messenger', status: 'open', lastInboundAt: '2026-12-01T00:00:00.000Z', inboundSinceOpened: 1 },
        },
      });
      expect(recheckSend(m, messenger, '2026-12-07T10:05:00.000Z', { approvedTemplate: true })).toEqual({
        ok: false,
        reason: 'outside_service_window',
      });
    });
    it('when the customer wrote only on another channel, then this one’s window is closed', () => {
      expect(serviceWindowOf(wrote('messenger', '2026-12-07T10:00:00.000Z'), 'whatsapp', '2026-12-07T10:05:00.000Z')).toBe('closed');
    });
  });

  describe('given the customer’s quiet hours (21:00–08:00 in their time zone)', () => {
    const inTokyo = active({ traits: { timezone: 'Asia/Tokyo' } });
    it('when it is 23:30 where they are, then a proactive message waits for no one: it is skipped', () => {
      expect(quietHoursAt(inTokyo, '2026-12-07T14:30:00.000Z')).toEqual({ timeZone: 'Asia/Tokyo', localTime: '23:30', quiet: true });
      expect(recheckSend(inTokyo, target, '2026-12-07T14:30:00.000Z', { contactMode: 'proactive' })).toEqual({
        ok: false,
        reason: 'quiet_hours',
      });
    });
    it('when it is a reply to them, or their daytime, then it goes', () => {
      expect(recheckSend(inTokyo, target, '2026-12-07T14:30:00.000Z', { contactMode: 'reply' })).toEqual({ ok: true });
      expect(recheckSend(inTokyo, target, '2026-12-07T03:00:00.000Z', { contactMode: 'proactive' })).toEqual({ ok: true });
    });
    it('when their time zone is unknown or not a zone, then UTC', () => {
      expect(quietHoursAt(active({ traits: { timezone: 'Mars/Olympus' } }), '2026-12-07T07:59:00.000Z')).toEqual({
        timeZone: 'UTC',
        localTime: '07:59',
        quiet: true,
      });
      expect(quietHoursAt(active(), '2026-12-07T08:00:00.000Z').quiet).toBe(false);
    });
  });

  describe('given the ledger row found for a send', () => {
    it('when there is none, then it starts; when it was proven not sent, it is retried', () => {
      expect(nextSendStep(undefined)).toEqual({ kind: 'start' });
      expect(nextSendStep(row('not_sent'))).toEqual({ kind: 'retry' });
    });
    it('when it is settled, then nothing is called again', () => {
      for (const state of ['sent', 'failed_permanent', 'skipped'] as const)
        expect(nextSendStep(row(state))).toEqual({ kind: 'done', state });
    });
    it('when an intent was left by another attempt, or the outcome was unknown, then it is resolved, never sent blind', () => {
      expect(nextSendStep(row('intent'))).toEqual({ kind: 'resolve' });
      expect(nextSendStep(row('in_doubt'))).toEqual({ kind: 'resolve' });
    });
  });

  describe('given an in-doubt send and the provider’s lookup', () => {
    const intentAt = '2026-12-07T10:00:00.000Z';
    it('when the message is found, then it was sent', () => {
      expect(settleInDoubt({ kind: 'found', providerMessageId: 'SM1' }, intentAt, '2026-12-07T10:00:01.000Z', 60_000)).toEqual({
        kind: 'sent',
        providerMessageId: 'SM1',
      });
    });
    it('when it is absent within the grace period, or the provider cannot say, then it stays in doubt', () => {
      expect(settleInDoubt({ kind: 'absent' }, intentAt, '2026-12-07T10:00:30.000Z', 60_000).kind).toBe('still_in_doubt');
      expect(settleInDoubt({ kind: 'unavailable', message: 'HTTP 503' }, intentAt, '2026-12-07T11:00:00.000Z', 60_000).kind).toBe(
        'still_in_doubt',
      );
    });
    it('when it is absent past the grace period, then it was not sent', () => {
      expect(settleInDoubt({ kind: 'absent' }, intentAt, '2026-12-07T10:01:00.000Z', 60_000)).toEqual({ kind: 'not_sent' });
    });
  });

  it('names a send the same in every retry and restart, and differently per channel', () => {
    const key = { tenantId: 'acme', decisionId: 'd-1', channel: 'sms' as const };
    expect(sendIdOf(key)).toBe(sendIdOf({ ...key }));
    expect(sendIdOf(key)).not.toBe(sendIdOf({ ...key, channel: 'whatsapp' }));
    expect(sendIdOf(key)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('outbound templates', () => {
  it('fill the customer’s traits, with the fallback when a trait is missing', () => {
    expect(renderOutboundMessage(OUTBOUND_TEMPLATES, 'kb_opening_hours', 'sms', active({ traits: { first_name: 'Ann' } }))?.body).toBe(
      'Hi Ann, we are open Mon–Fri 9:00–18:00.',
    );
    expect(renderOutboundMessage(OUTBOUND_TEMPLATES, 'kb_opening_hours', 'sms', active())?.body).toMatch(/^Hi there,/);
  });
  it('pick the customer’s locale, then its language, then the default', () => {
    const templates = { a: { sms: { en: 'hello', es: 'hola' } } };
    expect(renderOutboundMessage(templates, 'a', 'sms', active({ traits: { locale: 'es-MX' } }))).toEqual({ body: 'hola', locale: 'es' });
    expect(renderOutboundMessage(templates, 'a', 'sms', active({ traits: { locale: 'de' } }))).toEqual({ body: 'hello', locale: 'en' });
  });
  it('give nothing for an action or channel without a template', () => {
    expect(renderOutboundMessage(OUTBOUND_TEMPLATES, 'escalate_manager', 'sms', active())).toBeUndefined();
    expect(renderOutboundMessage(OUTBOUND_TEMPLATES, 'kb_balance', 'voice', active())).toBeUndefined();
  });
});

describe('reply buttons', () => {
  it('are the action’s accept and decline answers, each id the decision’s reply id that the worker reads back as its outcome', () => {
    expect(replyButtonsOf(OUTBOUND_REPLY_BUTTONS, 'offer_upgrade', 'd-1')).toEqual([
      { id: 'nba:d-1:accept', title: 'Upgrade' },
      { id: 'nba:d-1:decline', title: 'Not now' },
    ]);
    expect(parseNbaReplyId('nba:d-1:decline')).toEqual({ decisionId: 'd-1', answer: 'decline' });
    expect(replyButtonsOf(OUTBOUND_REPLY_BUTTONS, 'kb_balance', 'd-1')).toBeUndefined();
  });

  it('are laid out by WhatsApp as reply buttons up to three, as a list beyond', () => {
    const message = {
      tenantId: 't',
      customerId: 'c',
      sendId: 's',
      channel: 'whatsapp' as const,
      to: { channel: 'whatsapp' as const, kind: 'phone' as const, value: '+14155550100' },
      body: 'Pick one',
      serviceWindow: 'open' as const,
    };
    const four = [1, 2, 3, 4].map((n) => ({ id: `b${n}`, title: `Option ${n}` }));
    expect(WhatsAppCloudSender.payload({ ...message, buttons: four.slice(0, 3) })).toMatchObject({
      to: '14155550100',
      interactive: { type: 'button' },
    });
    expect(WhatsAppCloudSender.payload({ ...message, buttons: four })).toMatchObject({
      interactive: { type: 'list', action: { sections: [{ rows: four }] } },
    });
  });
});

describe('the email templates', () => {
  it('give every action with an email text a subject (SendGrid refuses a mail without one)', () => {
    const withEmail = Object.entries(OUTBOUND_TEMPLATES)
      .filter(([, byChannel]) => byChannel['email'] !== undefined)
      .map(([action]) => action);
    expect(withEmail.length).toBeGreaterThan(0);
    expect(withEmail.filter((action) => !OUTBOUND_SUBJECTS[action])).toEqual([]);
  });
});
