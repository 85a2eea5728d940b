import { conversationResolved, inbound, orderRefunded, phone, registered, surveyAnswered } from '@hub/customer/testing';
import { foldCustomer } from '@hub/customer';
import { intentOf } from '../intent/keyword-intents';
import { at, CUSTOMER } from '../testing/nba.fixtures';
import { emptyContactHistory } from '../history/contact-history';
import { COST_TO_SERVE_FACTS, deriveFacts, FACT_DEFINITIONS } from './facts';
import { profitabilityOf, type CostToServe } from './cost-to-serve';
import { orderPlaced } from '@hub/customer/testing';

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

    it('then every defined fact is there but those of a cost table (none given), and the traits the catalog reads', () => {
      const costFacts: readonly string[] = COST_TO_SERVE_FACTS;
      expect(Object.keys(facts).sort()).toEqual(
        [...Object.keys(FACT_DEFINITIONS).filter((f) => !costFacts.includes(f)), 'traits.tier'].sort(),
      );
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

describe('the cost to serve', () => {
  const costs: CostToServe = { currency: 'USD', defaultPerInteraction: 50, perInteraction: { voice: 600, sms: 40 } };
  const events = [
    registered(CUSTOMER, at(1, 9), phone()),
    inbound('i1', at(2, 10), { channel: 'sms', text: 'Hello' }),
    inbound('i2', at(2, 11), { channel: 'sms', text: 'Anyone?' }),
    inbound('c1', at(3, 9), { channel: 'voice', text: 'call' }),
    inbound('w1', at(3, 10), { channel: 'webchat', text: 'chat' }),
    orderPlaced('o1', at(4, 9), 'A-1', 1_000, 'USD'),
    orderPlaced('o2', at(4, 10), 'A-2', 9_900, 'EUR'),
  ];
  const state = foldCustomer(events);

  it('is each channel’s interactions × its cost (the default for a channel the table does not name); profit is the revenue in its currency less it', () => {
    expect(profitabilityOf(state, costs)).toEqual({
      currency: 'USD',
      revenue: 1_000,
      costToServe: 2 * 40 + 600 + 50,
      profit: 1_000 - 730,
      byChannel: { sms: { interactions: 2, cost: 80 }, voice: { interactions: 1, cost: 600 }, webchat: { interactions: 1, cost: 50 } },
    });
  });

  it('gives the engine value.costToServe, value.profit and customer.profitable when the catalog has a table', () => {
    const input = { state, trigger: events[4]!, history: emptyContactHistory(), now: at(5, 9), traitKeys: [] };
    expect(deriveFacts({ ...input, costToServe: costs }).facts).toMatchObject({
      'value.costToServe': 730,
      'value.profit': 270,
      'customer.profitable': true,
    });
    const dear = deriveFacts({ ...input, costToServe: { ...costs, perInteraction: { voice: 2_000 } } }).facts;
    expect([dear['value.profit'], dear['customer.profitable']]).toEqual([1_000 - 2_000 - 3 * 50, false]);
  });
});
