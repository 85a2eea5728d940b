import { orderPlaced, orderRefunded, registered } from '../testing/customer-events.fixtures';
import { lifetimeValue } from '../insights/customer.insights';
import { foldCustomer } from './customer.evolve';

const reg = registered('c-1', '2025-01-15T08:00:00.000Z');

describe('value', () => {
  describe('given no orders', () => {
    it('then there is no revenue', () => {
      const state = foldCustomer([reg]);
      expect(state.value).toEqual({ orders: 0, orderIds: [], revenue: {} });
      expect(lifetimeValue(state)).toEqual({});
    });
  });

  describe('when the customer places orders in two currencies', () => {
    const state = foldCustomer([
      reg,
      orderPlaced('o1', '2025-02-01T09:00:00.000Z', 'A-1', 12_50, 'EUR'),
      orderPlaced('o2', '2025-02-03T09:00:00.000Z', 'A-2', 40_00, 'eur'),
      orderPlaced('o3', '2025-02-02T09:00:00.000Z', 'A-3', 99_99, 'USD'),
    ]);

    it('then orders are counted and revenue is kept per currency, in minor units', () => {
      expect(state.value.orders).toBe(3);
      expect(state.value.revenue).toEqual({
        EUR: { gross: 52_50, refunded: 0, net: 52_50 },
        USD: { gross: 99_99, refunded: 0, net: 99_99 },
      });
      expect(state.value.lastOrderAt).toBe('2025-02-03T09:00:00.000Z');
    });

    describe('and part of an order is refunded', () => {
      const refunded = foldCustomer([orderRefunded('r1', '2025-02-04T09:00:00.000Z', 'A-2', 10_00, 'EUR')], state);

      it('then net revenue and lifetime value drop by the refund, gross does not', () => {
        expect(refunded.value.revenue['EUR']).toEqual({ gross: 52_50, refunded: 10_00, net: 42_50 });
        expect(lifetimeValue(refunded)).toEqual({ EUR: 42_50, USD: 99_99 });
        expect(refunded.value.lastRefundAt).toBe('2025-02-04T09:00:00.000Z');
      });

      it('then the order count is unchanged', () => {
        expect(refunded.value.orders).toBe(3);
      });
    });
  });

  describe('when the same order is reported twice', () => {
    const state = foldCustomer([
      reg,
      orderPlaced('o1', '2025-02-01T09:00:00.000Z', 'A-1', 10_00),
      orderPlaced('o1-again', '2025-02-01T09:00:05.000Z', 'A-1', 10_00),
    ]);

    it('then it counts once', () => {
      expect(state.value.orders).toBe(1);
      expect(state.value.revenue['EUR']?.net).toBe(10_00);
    });
  });

  describe('when an amount is not a whole non-negative number of minor units', () => {
    const state = foldCustomer([
      reg,
      orderPlaced('o1', '2025-02-01T09:00:00.000Z', 'A-1', 12.5),
      orderRefunded('r1', '2025-02-01T10:00:00.000Z', 'A-1', -5),
    ]);

    it('then it is ignored', () => {
      expect(state.value).toEqual({ orders: 0, orderIds: [], revenue: {} });
    });
  });
});
