import type { Direction } from '@hub/contracts';
import { initialCustomerState, type CustomerState, type RecentInteraction } from '@hub/customer';
import { decideNextBestAction, RULESET_VERSION, type NbaChoice } from './nba.decide';

const NOW = '2025-01-15T12:00:00.000Z';
const HOUR = 60 * 60 * 1000;
const ago = (ms: number, from = NOW): string => new Date(Date.parse(from) - ms).toISOString();

let seq = 0;
function msg(text: string | undefined, at: string, direction: Direction = 'inbound'): RecentInteraction {
  seq += 1;
  return { eventId: `e${seq}`, channel: 'sms', direction, occurredAt: at, ...(text === undefined ? {} : { text }) };
}

/** A customer whose recent interactions (oldest first) and consent are as given. */
function customer(recent: RecentInteraction[], consent: CustomerState['consent'] = {}): CustomerState {
  const inbound = recent.filter((r) => r.direction === 'inbound').length;
  return {
    ...initialCustomerState(),
    status: 'active',
    customerId: 'c-0001',
    tenantId: 'acme',
    identities: [{ kind: 'phone', value: '+14155550100' }],
    engagement: {
      total: recent.length,
      inbound,
      byChannel: recent.length ? { sms: { count: recent.length, inbound, firstAt: recent[0]!.occurredAt, lastAt: recent.at(-1)!.occurredAt } } : {},
    },
    recent,
    consent,
  };
}

/** One inbound message an hour ago: the usual "customer just wrote" state. */
const saying = (text: string, consent?: CustomerState['consent']) => customer([msg(text, ago(HOUR))], consent);

const ruleOf = (c: NbaChoice) => c.explanation.ruleId;

describe('decideNextBestAction', () => {
  describe('when the customer has opted out on the channel they last used', () => {
    const state = saying('STOP', { sms: 'opted_out' });
    const choice = decideNextBestAction(state, NOW);

    it('then no contact is proposed', () => {
      expect(choice.action).toEqual({ kind: 'none', code: 'respect_opt_out', detail: expect.any(String) });
    });

    it('then the explanation names the rule and the consent it read', () => {
      expect(choice.explanation).toEqual({
        ruleId: 'respect-opt-out',
        reason: 'consent withdrawn on the last channel used',
        inputs: { lastChannel: 'sms', inboundLast24h: 1, optedOut: true, totalInteractions: 1, matched: 'opted_out' },
      });
    });

    it('then opt-out wins even over repeated contact and at-risk words', () => {
      const busy = customer([msg('hello?', ago(3 * HOUR)), msg('anyone?', ago(2 * HOUR)), msg('I want a refund', ago(HOUR))], { sms: 'opted_out' });
      expect(ruleOf(decideNextBestAction(busy, NOW))).toBe('respect-opt-out');
    });

    it('then an opt-out keyword that is also an at-risk word (CANCEL) is treated as the opt-out', () => {
      expect(ruleOf(decideNextBestAction(saying('CANCEL', { sms: 'opted_out' }), NOW))).toBe('respect-opt-out');
    });
  });

  describe('when the customer opted back in', () => {
    it('then the other rules apply again', () => {
      const choice = decideNextBestAction(saying('where is my order', { sms: 'opted_in' }), NOW);
      expect(ruleOf(choice)).toBe('routine-self-service');
      expect(choice.explanation.inputs['optedOut']).toBe(false);
    });
  });

  describe('when the customer wrote three or more times in the last 24 hours', () => {
    const state = customer([msg('my internet is down', ago(20 * HOUR)), msg('still down', ago(5 * HOUR)), msg('where is my order', ago(HOUR))]);
    const choice = decideNextBestAction(state, NOW);

    it('then they are escalated to a specialist on the channel they used', () => {
      expect(choice.action).toEqual({ kind: 'escalation', code: 'escalate_specialist', channel: 'sms', detail: expect.any(String) });
    });

    it('then the explanation names the rule and the count, even over a routine question', () => {
      expect(choice.explanation).toEqual({
        ruleId: 'repeat-contact-escalation',
        reason: '3 inbound contacts in the last 24 hours',
        inputs: { lastChannel: 'sms', inboundLast24h: 3, optedOut: false, totalInteractions: 3, matched: '3' },
      });
    });

    it('then a contact exactly 24 hours before now still counts', () => {
      const edge = customer([msg('a', ago(24 * HOUR)), msg('b', ago(2 * HOUR)), msg('c', ago(HOUR))]);
      expect(ruleOf(decideNextBestAction(edge, NOW))).toBe('repeat-contact-escalation');
    });
  });

  describe('when one of three contacts is older than 24 hours before now', () => {
    const state = customer([msg('hello', ago(24 * HOUR + 1)), msg('hello?', ago(2 * HOUR)), msg('thanks', ago(HOUR))]);
    const choice = decideNextBestAction(state, NOW);

    it('then there is no repeat-contact escalation', () => {
      expect(ruleOf(choice)).not.toBe('repeat-contact-escalation');
      expect(choice.explanation.inputs['inboundLast24h']).toBe(2);
    });
  });

  describe('when the contacts were within 24 hours of each other but not of now', () => {
    const state = customer([msg('a', '2025-01-10T09:00:00.000Z'), msg('b', '2025-01-10T10:00:00.000Z'), msg('c', '2025-01-10T11:00:00.000Z')]);

    it('then "now" decides: escalation the same day, none five days later', () => {
      expect(ruleOf(decideNextBestAction(state, '2025-01-10T12:00:00.000Z'))).toBe('repeat-contact-escalation');
      expect(ruleOf(decideNextBestAction(state, NOW))).toBe('default-none');
    });
  });

  describe('when the last 24 hours hold two inbound and several outbound messages', () => {
    const state = customer([
      msg('hi', ago(4 * HOUR)),
      msg('How can we help?', ago(3.9 * HOUR), 'outbound'),
      msg('Are you there?', ago(3 * HOUR), 'outbound'),
      msg('ok', ago(2 * HOUR)),
      msg('Hello again', ago(HOUR), 'outbound'),
    ]);

    it('then only the inbound ones count towards escalation', () => {
      const choice = decideNextBestAction(state, NOW);
      expect(ruleOf(choice)).not.toBe('repeat-contact-escalation');
      expect(choice.explanation.inputs).toMatchObject({ inboundLast24h: 2, totalInteractions: 5 });
    });
  });

  describe('when the last message shows the customer is at risk', () => {
    it.each(['cancel', 'refund', 'complaint', 'terrible', 'angry', 'unacceptable', 'worst', 'lawyer'])('then "%s" escalates to a manager', (word) => {
      const choice = decideNextBestAction(saying(`This is about my order. ${word.toUpperCase()}!`), NOW);
      expect(choice.action).toEqual({ kind: 'escalation', code: 'escalate_manager', channel: 'sms', detail: expect.any(String) });
      expect(choice.explanation).toMatchObject({ ruleId: 'at-risk-escalation', reason: `mentions "${word}" in the last 24 hours`, inputs: { matched: word } });
    });

    it('then being at risk wins over asking for a callback', () => {
      expect(ruleOf(decideNextBestAction(saying('I want a refund, call me'), NOW))).toBe('at-risk-escalation');
    });
  });

  describe('when the at-risk word was in an earlier message of the last 24 hours', () => {
    it('then the customer is still at risk, whatever the last message says', () => {
      const state = customer([msg('I want a refund', ago(3 * HOUR)), msg('Order GR-2231, photo attached.', ago(HOUR))]);
      expect(ruleOf(decideNextBestAction(state, NOW))).toBe('at-risk-escalation');
    });
  });

  describe('when the at-risk word is older than 24 hours', () => {
    it('then it no longer counts', () => {
      const state = customer([msg('I want a refund', ago(30 * HOUR)), msg('Order GR-2231 again', ago(HOUR))]);
      expect(ruleOf(decideNextBestAction(state, NOW))).toBe('default-none');
    });
  });

  describe('when the customer closes the conversation with thanks', () => {
    it.each([
      ['thanks', 'Got the link, thanks'],
      ['gracias', 'Gracias!'],
      ['got it', 'Got it.'],
      ['sorted', 'All sorted now'],
    ])('then "%s" gets a satisfaction survey', (matched, text) => {
      const choice = decideNextBestAction(saying(text), NOW);
      expect(choice.action).toMatchObject({ kind: 'survey', code: 'csat_survey', channel: 'sms' });
      expect(choice.explanation).toMatchObject({ ruleId: 'resolved-survey', inputs: { matched } });
    });

    it('then thanks wins over an earlier complaint and over repeated contact', () => {
      const state = customer([msg('refund please', ago(3 * HOUR)), msg('still waiting', ago(2 * HOUR)), msg('All sorted now, thank you', ago(HOUR))]);
      expect(ruleOf(decideNextBestAction(state, NOW))).toBe('resolved-survey');
    });

    it('then a thank-you that asks something more is not a closing (the question is answered)', () => {
      expect(decideNextBestAction(saying('Thanks. Can you also update my address?'), NOW).action.code).toBe('kb_update_address');
    });

    it('then a long message that merely contains "thanks" is not a closing', () => {
      expect(ruleOf(decideNextBestAction(saying('thanks for nothing, I want to cancel my subscription today'), NOW))).toBe('at-risk-escalation');
    });
  });

  describe('when the at-risk word is only in our own (outbound) reply', () => {
    it('then it does not count: the last inbound message decides', () => {
      const state = customer([msg('where is my order', ago(2 * HOUR)), msg('Sorry! We can refund you.', ago(HOUR), 'outbound')]);
      expect(decideNextBestAction(state, NOW).action.code).toBe('kb_order_tracking');
    });
  });

  describe('when the customer asks for a person', () => {
    it.each([
      ['call me', 'Can you call me tomorrow?'],
      ['callback', 'I would like a callback'],
      ['call back', 'Please call back'],
      ['speak to someone', 'I need to speak to someone'],
      ['agent', 'AGENT'],
      ['human', 'is this a human?'],
    ])('then "%s" gets a callback offer', (matched, text) => {
      const choice = decideNextBestAction(saying(text), NOW);
      expect(choice.action).toMatchObject({ kind: 'callback', code: 'schedule_callback' });
      expect(choice.explanation).toMatchObject({ ruleId: 'callback-request', reason: `customer asked for a person ("${matched}")`, inputs: { matched } });
    });

    it('then asking for a person wins over a routine question', () => {
      expect(ruleOf(decideNextBestAction(saying('call me about my password'), NOW))).toBe('callback-request');
    });
  });

  describe('when the customer asks a routine question', () => {
    it.each([
      ['Hi, where is my order #4411?', 'where is my order', 'kb_order_tracking'],
      ['Order status please', 'order status', 'kb_order_tracking'],
      ['How can I track it', 'track', 'kb_order_tracking'],
      ['I forgot my password 🙏', 'password', 'kb_password_reset'],
      ['What are your hours on Sunday?', 'hours', 'kb_opening_hours'],
      ['Are you open on Sunday?', 'open', 'kb_opening_hours'],
      ['I moved, new address below', 'address', 'kb_update_address'],
      ["What's my balance", 'balance', 'kb_balance'],
    ])('then %j is answered with the %s article (%s)', (text, matched, code) => {
      const choice = decideNextBestAction(saying(text), NOW);
      expect(choice.action).toEqual({ kind: 'self_service', code, channel: 'sms', detail: expect.any(String) });
      expect(choice.explanation).toMatchObject({ ruleId: 'routine-self-service', reason: `routine inquiry ("${matched}")`, inputs: { matched } });
    });

    it('then a routine question wins over buying intent', () => {
      expect(decideNextBestAction(saying('What is the balance on my plan?'), NOW).action.code).toBe('kb_balance');
    });

    it('then a word that only contains a keyword does not match it ("opener" is not "open")', () => {
      expect(ruleOf(decideNextBestAction(saying('Loved the bottle opener'), NOW))).toBe('default-none');
    });
  });

  describe('when the customer shows buying intent', () => {
    it.each(['upgrade', 'price', 'pricing', 'plan', 'deal', 'discount'])('then "%s" gets the upgrade offer', (word) => {
      const choice = decideNextBestAction(saying(`Tell me about the ${word}`), NOW);
      expect(choice.action).toEqual({ kind: 'offer', code: 'offer_upgrade', channel: 'sms', detail: expect.any(String) });
      expect(choice.explanation).toMatchObject({ ruleId: 'buying-intent-offer', reason: `buying intent ("${word}")`, inputs: { matched: word } });
    });
  });

  describe('when no rule applies to the last message', () => {
    const choice = decideNextBestAction(saying('Order GR-2231, photo attached above.'), NOW);

    it('then there is no action', () => {
      expect(choice.action).toEqual({ kind: 'none', code: 'no_action', detail: expect.any(String) });
    });

    it('then the explanation says no rule matched, with the inputs it read', () => {
      expect(choice.explanation).toEqual({
        ruleId: 'default-none',
        reason: 'no rule matched the latest interaction',
        inputs: { lastChannel: 'sms', inboundLast24h: 1, optedOut: false, totalInteractions: 1, matched: null },
      });
    });
  });

  describe('when the customer has never written (no interactions, or only outbound ones)', () => {
    it.each([
      ['no interactions', customer([])],
      ['only an outbound message mentioning a refund', customer([msg('We can refund you', ago(HOUR), 'outbound')])],
      ['an inbound message without text (media only)', customer([msg(undefined, ago(HOUR))])],
    ])('then with %s there is no action', (_what, state) => {
      const choice = decideNextBestAction(state, NOW);
      expect(choice.action.code).toBe('no_action');
      expect(choice.explanation.ruleId).toBe('default-none');
    });

    it('then the inputs say there is no last channel', () => {
      expect(decideNextBestAction(customer([]), NOW).explanation.inputs).toEqual({
        lastChannel: null,
        inboundLast24h: 0,
        optedOut: false,
        totalInteractions: 0,
        matched: null,
      });
    });
  });

  describe('given the same state and time', () => {
    const state = customer([msg('hello', ago(3 * HOUR)), msg('I want a refund', ago(HOUR))]);

    it('then the choice is the same every time', () => {
      expect(decideNextBestAction(state, NOW)).toEqual(decideNextBestAction(structuredClone(state), NOW));
    });

    it('then the state is not changed by deciding', () => {
      const before = structuredClone(state);
      decideNextBestAction(Object.freeze(state), NOW);
      expect(state).toEqual(before);
    });

    it('then every choice carries the ruleset version', () => {
      expect(decideNextBestAction(state, NOW).rulesetVersion).toBe(RULESET_VERSION);
    });
  });
});
