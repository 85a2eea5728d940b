import type { CustomerEvent } from '@hub/customer';
import { inbound, outbound, registered } from '@hub/customer/testing';
import { nbaReplyId } from '@hub/nba';
import { decisionFoldOf, lastIsTrigger } from './decision-fold';

const at = (minute: number) => `2026-03-01T09:${String(minute).padStart(2, '0')}:00.000Z`;
const foldOf = (events: CustomerEvent[]) => decisionFoldOf(events.map((event, i) => ({ revision: BigInt(i), event })));
const pressed = (eventId: string, id: string): CustomerEvent => {
  const e = inbound(eventId, at(3), { channel: 'whatsapp', text: 'Upgrade' });
  return { ...e, data: { ...e.data, interactive: { type: 'button', id, title: 'Upgrade' } } };
};

describe('lastIsTrigger (the outbound scan waits while the real-time path has a trigger to answer)', () => {
  it('is true after the customer’s own message, and after a button of someone else’s', () => {
    expect(lastIsTrigger(foldOf([registered('c-1', at(1)), inbound('m1', at(2), { text: 'Do you have a bigger plan?' })]))).toBe(true);
    expect(lastIsTrigger(foldOf([registered('c-1', at(1)), pressed('b1', 'shop-button-7')]))).toBe(true);
  });

  it('is false after what the company said, and after the press of a decision’s own button (that decision’s answer)', () => {
    expect(lastIsTrigger(foldOf([registered('c-1', at(1)), outbound('o1', at(2), { text: 'Our plans' })]))).toBe(false);
    expect(lastIsTrigger(foldOf([registered('c-1', at(1)), pressed('b1', nbaReplyId('d-1', 'accept'))]))).toBe(false);
  });
});
