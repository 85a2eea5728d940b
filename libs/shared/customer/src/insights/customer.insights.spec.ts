import { foldCustomer } from '../state/customer.evolve';
import {
  conversationResolved,
  day,
  inbound,
  orderPlaced,
  orderRefunded,
  outbound,
  registered,
  SMS,
  surveyAnswered,
  WHATSAPP,
} from '../testing/customer-events.fixtures';
import {
  churnSignals,
  DEFAULT_CHURN_SIGNAL_CONFIG,
  DEFAULT_QUADRANT_THRESHOLDS,
  engagementAt,
  quadrantOf,
  type QuadrantThresholds,
} from './customer.insights';

const reg = registered('c-1', day(0, 8));

describe('engagementAt', () => {
  describe('given a customer with no contact yet', () => {
    const state = foldCustomer([reg]);

    it('then there is no recency, and no frequency', () => {
      expect(engagementAt(state, day(10))).toEqual({ total: 0, inbound: 0, contactsPer30Days: 0, byChannel: {} });
    });
  });

  describe('given contacts on two channels over 60 days', () => {
    const state = foldCustomer([
      reg,
      inbound('s1', day(0)),
      outbound('s2', day(1)),
      inbound('s3', day(30)),
      inbound('w1', day(40), { channel: WHATSAPP }),
      inbound('w2', day(55, 18), { channel: WHATSAPP }),
      inbound('s4', day(20)),
    ]);
    const at = engagementAt(state, day(60, 8));

    it('then it gives first and last contact, and whole days since the last', () => {
      expect(at).toMatchObject({ total: 6, inbound: 5, firstContactAt: day(0), lastContactAt: day(55, 18), daysSinceLastContact: 4 });
    });

    it('then it gives contacts per 30 days of the customer’s life', () => {
      // 6 contacts over 60 days since registration.
      expect(at.contactsPer30Days).toBe(3);
      expect(at.byChannel[SMS]).toEqual({
        count: 4,
        inbound: 3,
        firstAt: day(0),
        lastAt: day(30),
        daysSinceLastContact: 29,
        contactsPer30Days: 2,
      });
      expect(at.byChannel[WHATSAPP]).toMatchObject({ count: 2, daysSinceLastContact: 4, contactsPer30Days: 1 });
    });

    it('then the same state later is less recent, and the state itself does not change', () => {
      const before = structuredClone(state);
      expect(engagementAt(state, day(120, 8)).daysSinceLastContact).toBe(64);
      expect(state).toEqual(before);
    });
  });

  describe('given a customer who registered only days ago', () => {
    const state = foldCustomer([reg, inbound('a', day(1)), inbound('b', day(2)), inbound('c', day(3))]);

    it('then frequency is measured over at least 30 days, not extrapolated from three', () => {
      expect(engagementAt(state, day(3)).contactsPer30Days).toBe(3);
    });
  });

  describe('given a time that is not a time', () => {
    it('then it is refused', () => {
      expect(() => engagementAt(foldCustomer([reg]), 'yesterday')).toThrow(RangeError);
    });
  });
});

describe('quadrantOf', () => {
  const thresholds: QuadrantThresholds = { highValueNet: { EUR: 500_00 }, goodCsatAtLeast: 4, goodNpsAtLeast: 7, withoutAnswers: 'good' };
  const bigSpender = [reg, orderPlaced('o1', day(1), 'A-1', 800_00, 'EUR')];
  const smallSpender = [reg, orderPlaced('o1', day(1), 'A-1', 20_00, 'EUR')];

  describe('when a high-value customer is happy', () => {
    it('then they are a champion', () => {
      expect(quadrantOf(foldCustomer([...bigSpender, surveyAnswered('s1', day(2), 'csat', 5)]), thresholds)).toBe('champion');
    });
  });

  describe('when a high-value customer had a poor experience', () => {
    it('then they are at risk', () => {
      expect(quadrantOf(foldCustomer([...bigSpender, surveyAnswered('s1', day(2), 'nps', 3)]), thresholds)).toBe('at_risk');
    });
  });

  describe('when a low-value customer is happy', () => {
    it('then they are low value and happy', () => {
      expect(quadrantOf(foldCustomer([...smallSpender, surveyAnswered('s1', day(2), 'nps', 9)]), thresholds)).toBe('low_value_happy');
    });
  });

  describe('when a low-value customer is unhappy', () => {
    it('then they are low value and unhappy', () => {
      expect(quadrantOf(foldCustomer([...smallSpender, surveyAnswered('s1', day(2), 'csat', 2)]), thresholds)).toBe('low_value_unhappy');
    });
  });

  describe('when refunds bring a big spender below the threshold', () => {
    it('then they are no longer high value', () => {
      const state = foldCustomer([
        ...bigSpender,
        orderRefunded('r1', day(3), 'A-1', 400_00, 'EUR'),
        surveyAnswered('s1', day(4), 'csat', 5),
      ]);
      expect(quadrantOf(state, thresholds)).toBe('low_value_happy');
    });
  });

  describe('when the customer spent in a currency the thresholds do not name', () => {
    it('then that revenue does not make them high value', () => {
      expect(quadrantOf(foldCustomer([reg, orderPlaced('o1', day(1), 'A-1', 10_000_00, 'JPY')]), thresholds)).toBe('low_value_happy');
    });
  });

  describe('when the latest score is good but scores are falling', () => {
    const state = foldCustomer([
      ...bigSpender,
      ...[5, 5, 5, 4, 4, 4].map((score, i) => surveyAnswered(`s${i}`, day(2 + i), 'csat', score)),
    ]);

    it('then the experience is not good', () => {
      expect(state.satisfaction.trend).toBe('falling');
      expect(quadrantOf(state, thresholds)).toBe('at_risk');
    });
  });

  describe('when the customer never answered a survey', () => {
    it('then the configured assumption decides', () => {
      expect(quadrantOf(foldCustomer(bigSpender), thresholds)).toBe('champion');
      expect(quadrantOf(foldCustomer(bigSpender), { ...thresholds, withoutAnswers: 'poor' })).toBe('at_risk');
    });
  });

  it('has defaults for the common currencies', () => {
    expect(quadrantOf(foldCustomer([reg, orderPlaced('o1', day(1), 'A-1', 600_00, 'USD')]), DEFAULT_QUADRANT_THRESHOLDS)).toBe('champion');
  });
});

describe('churnSignals', () => {
  describe('given a content customer', () => {
    it('then there are none', () => {
      expect(churnSignals(foldCustomer([reg, inbound('a', day(1)), orderPlaced('o', day(1), 'A', 10_00)]), day(2))).toEqual([]);
    });
  });

  describe('when the customer has an open conversation and wrote three times in a week', () => {
    const state = foldCustomer([reg, inbound('a', day(10)), inbound('b', day(12)), inbound('c', day(15))]);

    it('then repeated unresolved contacts are signalled', () => {
      expect(churnSignals(state, day(16))).toEqual(['repeated_unresolved_contacts']);
    });

    it('then they are not once the contacts are more than a week old', () => {
      expect(churnSignals(state, day(19))).toEqual([]);
    });

    describe('and the conversation is resolved', () => {
      it('then they are not signalled', () => {
        expect(churnSignals(foldCustomer([conversationResolved('r', day(15, 12))], state), day(16))).toEqual([]);
      });
    });
  });

  describe('when the customer reopened a resolved conversation three times in a week', () => {
    const state = foldCustomer([
      reg,
      inbound('a', day(10)),
      conversationResolved('r1', day(10, 12)),
      inbound('b', day(12)),
      conversationResolved('r2', day(12, 12)),
      inbound('c', day(14)),
    ]);

    it('then contacts that keep reopening the conversation count as unresolved', () => {
      expect(churnSignals(state, day(15))).toEqual(['repeated_unresolved_contacts']);
    });
  });

  describe('when contacts are spread over threads that were resolved', () => {
    const state = foldCustomer([
      reg,
      inbound('a', day(10), { threadId: 'T1' }),
      inbound('b', day(11), { threadId: 'T2' }),
      conversationResolved('r1', day(11, 12), { threadId: 'T1' }),
      conversationResolved('r2', day(11, 12), { threadId: 'T2' }),
      inbound('c', day(12), { threadId: 'T3' }),
    ]);

    it('then only the contacts of the open thread count', () => {
      expect(churnSignals(state, day(13))).toEqual([]);
    });
  });

  describe('when scores are falling and there was a refund this month', () => {
    const state = foldCustomer([
      reg,
      ...[9, 9, 8, 4, 3, 2].map((score, i) => surveyAnswered(`s${i}`, day(1 + i), 'nps', score)),
      orderPlaced('o', day(1), 'A', 10_00),
      orderRefunded('r', day(20), 'A', 10_00),
    ]);

    it('then both are signalled, in a fixed order', () => {
      expect(churnSignals(state, day(25))).toEqual(['falling_satisfaction', 'recent_refund']);
    });

    it('then the refund stops counting after the configured window', () => {
      expect(churnSignals(state, day(51))).toEqual(['falling_satisfaction']);
      expect(churnSignals(state, day(51), { ...DEFAULT_CHURN_SIGNAL_CONFIG, refundWithinDays: 90 })).toEqual([
        'falling_satisfaction',
        'recent_refund',
      ]);
    });
  });
});
