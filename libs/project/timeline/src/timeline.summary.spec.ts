import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@hub/contracts';
import {
  DEFAULT_QUADRANT_THRESHOLDS,
  foldCustomer,
  quadrantOf,
  type CustomerEvent,
  type OrderPlaced,
  type OrderRefunded,
  type SurveyAnswered,
} from '@hub/customer';
import { summaryOfFacts } from './timeline.summary';

const meta = (occurredAt: string): EventMetadata => {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    tenantId: 'acme',
    channel: 'system',
  };
};
const day = (d: number) => `2025-03-${String(d).padStart(2, '0')}T10:00:00.000Z`;
const order = (orderId: string, amount: number, d: number, currency = 'EUR'): OrderPlaced => ({
  type: 'OrderPlaced',
  data: { orderId, amount, currency },
  metadata: meta(day(d)),
});
const refund = (orderId: string, amount: number, d: number, currency = 'EUR'): OrderRefunded => ({
  type: 'OrderRefunded',
  data: { orderId, amount, currency },
  metadata: meta(day(d)),
});
const survey = (kind: 'csat' | 'nps', score: number, d: number): SurveyAnswered => ({
  type: 'SurveyAnswered',
  data: { survey: kind, score },
  metadata: meta(day(d)),
});

describe('the summary of a customer’s facts', () => {
  describe('when the customer has no order, refund or survey answer', () => {
    it('then value, satisfaction and quadrant are unknown (null), not the empty history’s quadrant', () => {
      expect(summaryOfFacts([])).toEqual({ value: null, satisfaction: null, quadrant: null });
    });
  });

  describe('when a high-value customer answers well', () => {
    it('then the value is net revenue per currency and the customer is a champion', () => {
      const s = summaryOfFacts([order('o1', 40_000, 1), order('o2', 30_000, 2), refund('o2', 5_000, 3), survey('csat', 5, 4)]);
      expect(s.value).toEqual({
        orders: 2,
        revenue: { EUR: { gross: 70_000, refunded: 5_000, net: 65_000 } },
        lastOrderAt: day(2),
        lastRefundAt: day(3),
      });
      expect(s.satisfaction).toEqual(
        expect.objectContaining({ csat: expect.objectContaining({ score: 5, at: day(4) }), trend: 'unknown' }),
      );
      expect(s.quadrant).toBe('champion');
    });
  });

  describe('when the same order is reported twice (the interaction and a later correction)', () => {
    it('then it counts once', () => {
      const s = summaryOfFacts([order('o1', 60_000, 1), order('o1', 60_000, 2)]);
      expect(s.value).toEqual(expect.objectContaining({ orders: 1, revenue: { EUR: { gross: 60_000, refunded: 0, net: 60_000 } } }));
    });
  });

  describe('when a high-value customer answers poorly', () => {
    it('then the customer is at risk', () => {
      expect(summaryOfFacts([order('o1', 90_000, 1), survey('nps', 3, 2)]).quadrant).toBe('at_risk');
    });
  });

  describe('when the customer only answered surveys', () => {
    it('then value stays unknown and the quadrant is a low-value one, by the answer', () => {
      const happy = summaryOfFacts([survey('nps', 9, 1)]);
      expect(happy).toEqual(expect.objectContaining({ value: null, quadrant: 'low_value_happy' }));
      expect(summaryOfFacts([survey('csat', 1, 1)]).quadrant).toBe('low_value_unhappy');
    });
  });

  describe('when the customer only ordered', () => {
    it('then satisfaction stays unknown and experience is taken as the thresholds say (good)', () => {
      const s = summaryOfFacts([order('o1', 100, 1)]);
      expect(s).toEqual(expect.objectContaining({ satisfaction: null, quadrant: 'low_value_happy' }));
    });
  });

  describe('whatever else the stream holds', () => {
    it('then the quadrant is the one the customer domain computes from the whole folded state', () => {
      const facts = [
        order('o1', 45_000, 1),
        survey('csat', 5, 2),
        survey('csat', 5, 3),
        survey('csat', 4, 4),
        survey('csat', 2, 5),
        survey('csat', 1, 6),
        survey('csat', 2, 7),
        refund('o1', 1_000, 8),
        order('o2', 20_000, 9),
      ];
      const registered: CustomerEvent = {
        type: 'CustomerRegistered',
        data: { customerId: 'c1', tenantId: 'acme', identity: { kind: 'phone', value: '+14155550100' } },
        metadata: meta(day(1)),
      };
      const state = foldCustomer([registered, ...facts]);
      expect(summaryOfFacts(facts).quadrant).toBe(quadrantOf(state, DEFAULT_QUADRANT_THRESHOLDS));
      expect(summaryOfFacts(facts).quadrant).toBe('at_risk'); // high value, satisfaction falling
    });
  });
});
