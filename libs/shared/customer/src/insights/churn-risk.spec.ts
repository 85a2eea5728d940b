import {
  CHURN_LEVEL_WITH_SILENCE,
  CHURN_RISK_REASONS,
  churnRiskAt,
  churnRiskLevel,
  DEFAULT_CHURN_RISK_RULE,
  isGoneSilent,
  storedChurnRisk,
  type ChurnRiskInputs,
  type ChurnRiskReason,
} from './churn-risk';

const day = (n: number, hour = 10): string => new Date(Date.UTC(2026, 0, 1 + n, hour)).toISOString();

/** A customer who wrote in every 7 days, days 0–28, and said nothing worrying. */
const regular: ChurnRiskInputs = {
  satisfaction: null,
  value: null,
  inbound: { count: 5, firstAt: day(0), lastAt: day(28) },
  said: { complaint: null, refund_cancel: null, repeat_contact: null },
};
const answer = (survey: 'nps' | 'csat', score: number, at: string) => ({ survey, score, at, eventId: `e-${at}` });
const with_ = (patch: Partial<ChurnRiskInputs>): ChurnRiskInputs => ({ ...regular, ...patch });

describe('churn risk', () => {
  describe('given a customer known by nothing: no inbound contact, no order, no survey answer', () => {
    it('then the level is unknown, with no reason, now or later', () => {
      const nothing: ChurnRiskInputs = { ...regular, inbound: { count: 0, firstAt: null, lastAt: null } };
      expect(storedChurnRisk(nothing)).toEqual({ level: 'unknown', reasons: [] });
      expect(churnRiskAt(nothing, day(400))).toEqual({ level: 'unknown', reasons: [] });
    });
  });

  describe('given a customer in regular contact who said nothing worrying', () => {
    it('then the level is low, with no reason', () => {
      expect(churnRiskAt(regular, day(30))).toEqual({ level: 'low', reasons: [] });
    });
  });

  describe('detractor: the latest survey answer', () => {
    it('then an NPS of 6 or less is a detractor, 7 is not', () => {
      expect(storedChurnRisk(with_({ satisfaction: { answers: [answer('nps', 6, day(1))], trend: 'unknown' } }))).toEqual({
        level: 'medium',
        reasons: ['detractor'],
      });
      expect(storedChurnRisk(with_({ satisfaction: { answers: [answer('nps', 7, day(1))], trend: 'unknown' } }))).toEqual({
        level: 'low',
        reasons: [],
      });
    });

    it('then a CSAT of 2 or less is a detractor, 3 is not', () => {
      expect(storedChurnRisk(with_({ satisfaction: { answers: [answer('csat', 2, day(1))], trend: 'unknown' } })).reasons).toEqual([
        'detractor',
      ]);
      expect(storedChurnRisk(with_({ satisfaction: { answers: [answer('csat', 3, day(1))], trend: 'unknown' } })).reasons).toEqual([]);
    });

    it('then only the latest answer counts: a good answer after a bad one clears it', () => {
      const answers = [answer('nps', 2, day(1)), answer('csat', 5, day(2))];
      expect(storedChurnRisk(with_({ satisfaction: { answers, trend: 'unknown' } })).reasons).toEqual([]);
    });
  });

  describe('satisfaction_falling: the folded trend', () => {
    it('then a falling trend is a reason, a stable one is not', () => {
      const answers = [answer('csat', 5, day(1))];
      expect(storedChurnRisk(with_({ satisfaction: { answers, trend: 'falling' } })).reasons).toEqual(['satisfaction_falling']);
      expect(storedChurnRisk(with_({ satisfaction: { answers, trend: 'stable' } })).reasons).toEqual([]);
    });
  });

  describe('refunded: a refund at or after the latest order', () => {
    it('then a refund since the last order is a reason; an order after the refund clears it', () => {
      expect(storedChurnRisk(with_({ value: { lastOrderAt: day(1), lastRefundAt: day(3) } })).reasons).toEqual(['refunded']);
      expect(storedChurnRisk(with_({ value: { lastOrderAt: day(5), lastRefundAt: day(3) } })).reasons).toEqual([]);
      expect(storedChurnRisk(with_({ value: { lastOrderAt: day(5) } })).reasons).toEqual([]);
    });

    it('then a customer known only by a refund is known, and at risk', () => {
      const onlyRefund: ChurnRiskInputs = {
        ...regular,
        inbound: { count: 0, firstAt: null, lastAt: null },
        value: { lastRefundAt: day(3) },
      };
      expect(storedChurnRisk(onlyRefund)).toEqual({ level: 'medium', reasons: ['refunded'] });
    });
  });

  describe.each([
    ['complaint', 'stated_complaint', 'medium'],
    ['repeat_contact', 'stated_repeat_contact', 'medium'],
    ['refund_cancel', 'stated_cancellation', 'high'],
  ] as const)("the customer's words: %s", (signal, reason, level) => {
    it(`then said within 30 days before the latest inbound contact it is ${reason}, and the level ${level}`, () => {
      expect(storedChurnRisk(with_({ said: { ...regular.said, [signal]: day(0) } }))).toEqual({ level, reasons: [reason] });
      expect(storedChurnRisk(with_({ said: { ...regular.said, [signal]: day(28) } }))).toEqual({ level, reasons: [reason] });
    });

    it('then said longer ago than that, the customer has written since and it no longer counts', () => {
      const longAgo = with_({ inbound: { count: 10, firstAt: day(0), lastAt: day(60) }, said: { ...regular.said, [signal]: day(29, 9) } });
      expect(storedChurnRisk(longAgo)).toEqual({ level: 'low', reasons: [] });
    });
  });

  describe('gone_silent: no inbound contact for much longer than the usual gap', () => {
    // 5 contacts over 28 days: a usual gap of 7 days; silent after 3 × 7 = 21 days (at least 14).
    it('then after three usual gaps without contact it is gone_silent, and the level one step up', () => {
      expect(isGoneSilent(regular.inbound, day(28 + 21))).toBe(false);
      expect(isGoneSilent(regular.inbound, day(28 + 21, 11))).toBe(true);
      expect(churnRiskAt(regular, day(60))).toEqual({ level: 'medium', reasons: ['gone_silent'] });
    });

    it('then a short usual gap still waits at least 14 days', () => {
      const daily = { count: 15, firstAt: day(0), lastAt: day(14) };
      expect(isGoneSilent(daily, day(14 + 13))).toBe(false);
      expect(isGoneSilent(daily, day(14 + 15))).toBe(true);
    });

    it('then contact that was never regular — fewer than 3 contacts, or one burst shorter than 14 days — never goes silent', () => {
      expect(isGoneSilent({ count: 2, firstAt: day(0), lastAt: day(30) }, day(400))).toBe(false);
      expect(isGoneSilent({ count: 6, firstAt: day(0), lastAt: day(2) }, day(400))).toBe(false);
    });

    it('then silence with another reason is high', () => {
      expect(churnRiskAt(with_({ satisfaction: { answers: [answer('nps', 3, day(20))], trend: 'unknown' } }), day(90))).toEqual({
        level: 'high',
        reasons: ['detractor', 'gone_silent'],
      });
    });

    it('then a time that is not ISO 8601 is refused', () => {
      expect(() => isGoneSilent(regular.inbound, 'yesterday')).toThrow(RangeError);
    });
  });

  describe('the level', () => {
    it('then two reasons or more are high, one medium, none low', () => {
      expect(churnRiskLevel(['detractor', 'refunded'], true)).toBe('high');
      expect(churnRiskLevel(['stated_complaint'], true)).toBe('medium');
      expect(churnRiskLevel([], true)).toBe('low');
      expect(churnRiskLevel([], false)).toBe('unknown');
    });

    it('then silence raises any set of the other reasons exactly as adding it as a reason does (what the queries rely on)', () => {
      const others = CHURN_RISK_REASONS.filter((r) => r !== 'gone_silent');
      for (let mask = 0; mask < 1 << others.length; mask++) {
        const reasons: ChurnRiskReason[] = others.filter((_, i) => mask & (1 << i));
        expect({ reasons, level: CHURN_LEVEL_WITH_SILENCE[churnRiskLevel(reasons, true)] }).toEqual({
          reasons,
          level: churnRiskLevel([...reasons, 'gone_silent'], true),
        });
      }
    });

    it('then reasons come in CHURN_RISK_REASONS order', () => {
      const all = with_({
        satisfaction: { answers: [answer('csat', 1, day(27))], trend: 'falling' },
        value: { lastOrderAt: day(1), lastRefundAt: day(2) },
        said: { complaint: day(27), refund_cancel: day(26), repeat_contact: day(25) },
      });
      expect(churnRiskAt(all, day(200), DEFAULT_CHURN_RISK_RULE)).toEqual({ level: 'high', reasons: [...CHURN_RISK_REASONS] });
    });
  });
});
