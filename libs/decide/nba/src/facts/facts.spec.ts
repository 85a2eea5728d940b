import { conversationResolved, inbound, orderRefunded, phone, registered, surveyAnswered } from '@hub/customer/testing';
import { foldCustomer } from '@hub/customer';
import { intentOf } from '../intent/keyword-intents';
import { at, CUSTOMER } from '../testing/nba.fixtures';
import { emptyContactHistory } from '../history/contact-history';
import { deriveFacts, FACT_DEFINITIONS } from './facts';

describe('facts', () => {
  describe('intent of a message', () => {
    it.each([
      ['Got it, thanks', 'closing', 'thanks'],
      ['thanks for nothing, I want to cancel my subscription today', 'complaint', 'cancel'],
      ['I want a refund, call me', 'complaint', 'refund'],
      ['call me about my password', 'callback', 'call me'],
      ['Hi, where is my order?', 'order_tracking', 'where is my order'],
      ['What is the balance on my plan?', 'balance', 'balance'],
      ['Tell me about the pricing', 'buying', 'pricing'],
      ['Loved the bottle opener', 'none', null],
    ])('given %j, then the intent is %s (keyword %j)', (text, intent, keyword) => {
      expect(intentOf(text)).toEqual({ intent, keyword });
    });
  });

  describe('given a customer and a triggering event', () => {
    const events = [
      registered(CUSTOMER, at(1, 9), phone()),
      inbound('i1', at(9, 11, 30), { text: 'my parcel is late, terrible' }),
      conversationResolved('r1', at(9, 12)),
      surveyAnswered('s1', at(9, 13), 'nps', 4),
      orderRefunded('rf1', at(10, 9), 'A-1', 500),
    ];
    const state = foldCustomer(events);
    const { facts, keyword } = deriveFacts({
      state,
      trigger: events[4]!,
      history: emptyContactHistory(),
      now: at(10, 11),
      traitKeys: ['tier'],
    });

    it('then every defined fact is there, and the traits the catalog reads', () => {
      expect(Object.keys(facts).sort()).toEqual([...Object.keys(FACT_DEFINITIONS), 'traits.tier'].sort());
      expect(facts['traits.tier']).toBeNull();
    });

    it('then a trigger that is not an inbound message has no intent, but an earlier complaint still counts', () => {
      expect([facts['intent.name'], keyword, facts['intent.complaintWithin24h']]).toEqual(['none', null, true]);
      expect(facts['trigger.type']).toBe('OrderRefunded');
      expect(facts['trigger.channel']).toBeNull();
    });

    it('then times are whole hours and days before now', () => {
      expect(facts).toMatchObject({
        'satisfaction.lastNps': 4,
        'satisfaction.lastNpsHoursAgo': 22,
        'satisfaction.npsCategory': 'detractor',
        'satisfaction.lastAnswerDaysAgo': 0,
        'conversations.open': 0,
        'conversations.hoursSinceLastResolved': 23,
        'value.daysSinceLastRefund': 0,
        'churn.signals': ['recent_refund'],
        'churn.count': 1,
        'customer.tenureDays': 9,
      });
    });
  });
});
