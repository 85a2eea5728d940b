import { latest } from '../time/instant';
import type { CurrencyTotals, ValueState } from './customer.state';
import { own } from './own';

const validAmount = (amount: number): boolean => Number.isInteger(amount) && amount >= 0;
const ZERO: CurrencyTotals = { gross: 0, refunded: 0, net: 0 };

/** An order counts once, however many times it is reported; an invalid amount is ignored. */
export function valueAfterOrder(value: ValueState, order: { orderId: string; amount: number; currency: string }, at: string): ValueState {
  if (!validAmount(order.amount) || value.orderIds.includes(order.orderId)) return value;
  const currency = order.currency.toUpperCase();
  const t = own(value.revenue, currency) ?? ZERO;
  return {
    ...value,
    orders: value.orders + 1,
    orderIds: [...value.orderIds, order.orderId],
    revenue: { ...value.revenue, [currency]: { gross: t.gross + order.amount, refunded: t.refunded, net: t.net + order.amount } },
    lastOrderAt: latest(value.lastOrderAt, at),
  };
}

/** Refunds add up (partial refunds of one order are separate events); net may go negative. */
export function valueAfterRefund(value: ValueState, refund: { amount: number; currency: string }, at: string): ValueState {
  if (!validAmount(refund.amount)) return value;
  const currency = refund.currency.toUpperCase();
  const t = own(value.revenue, currency) ?? ZERO;
  return {
    ...value,
    revenue: { ...value.revenue, [currency]: { gross: t.gross, refunded: t.refunded + refund.amount, net: t.net - refund.amount } },
    lastRefundAt: latest(value.lastRefundAt, at),
  };
}
