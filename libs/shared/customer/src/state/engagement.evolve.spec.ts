import { day, EMAIL_CHANNEL, inbound, outbound, registered, SMS, WHATSAPP } from '../testing/customer-events.fixtures';
import { foldCustomer } from './customer.evolve';
import { INBOUND_WINDOW_LIMIT } from './engagement.evolve';

const reg = registered('c-1', day(0, 8));

describe('preferred channel', () => {
  describe('given a customer who has only been written to', () => {
    it('then there is no preferred channel', () => {
      expect(foldCustomer([reg, outbound('o1', day(1))]).preferredChannel).toBeUndefined();
    });
  });

  describe('when the customer writes most on one channel in the last 90 days', () => {
    const state = foldCustomer([
      reg,
      inbound('s1', day(10), { channel: SMS }),
      inbound('w1', day(11), { channel: WHATSAPP }),
      inbound('w2', day(12), { channel: WHATSAPP }),
      inbound('s2', day(13), { channel: SMS }),
      inbound('w3', day(14), { channel: WHATSAPP }),
    ]);

    it('then that channel is preferred', () => {
      expect(state.preferredChannel).toBe(WHATSAPP);
    });
  });

  describe('when two channels tie', () => {
    const state = foldCustomer([
      reg,
      inbound('s1', day(10), { channel: SMS }),
      inbound('w1', day(11), { channel: WHATSAPP }),
      inbound('s2', day(12), { channel: SMS }),
      inbound('w2', day(13), { channel: WHATSAPP }),
    ]);

    it('then the one used most recently is preferred', () => {
      expect(state.preferredChannel).toBe(WHATSAPP);
    });
  });

  describe('when most contacts on a channel are older than 90 days before the latest event', () => {
    const state = foldCustomer([
      reg,
      inbound('e1', day(1), { channel: EMAIL_CHANNEL }),
      inbound('e2', day(2), { channel: EMAIL_CHANNEL }),
      inbound('e3', day(3), { channel: EMAIL_CHANNEL }),
      inbound('s1', day(100), { channel: SMS }),
    ]);

    it('then only the last 90 days count', () => {
      expect(state.preferredChannel).toBe(SMS);
      expect(state.inboundWindow.map((c) => c.at)).toEqual([day(100)]);
    });

    it('then they still count in the lifetime engagement', () => {
      expect(state.engagement.byChannel[EMAIL_CHANNEL]?.count).toBe(3);
    });
  });

  describe('when the latest contact is outbound', () => {
    const state = foldCustomer([reg, inbound('w1', day(1), { channel: WHATSAPP }), outbound('s1', day(120), { channel: SMS })]);

    it('then the window is still measured from it, and an old inbound contact no longer counts', () => {
      expect(state.preferredChannel).toBeUndefined();
    });
  });

  describe('when the same contacts arrive in another order', () => {
    const events = [
      inbound('e1', day(1), { channel: EMAIL_CHANNEL }),
      inbound('w1', day(50), { channel: WHATSAPP }),
      inbound('s1', day(95), { channel: SMS }),
      inbound('s2', day(96), { channel: SMS }),
      inbound('w2', day(97), { channel: WHATSAPP }),
    ];

    it('then the window and the preferred channel are the same', () => {
      const inOrder = foldCustomer([reg, ...events]);
      const shuffled = foldCustomer([reg, events[4]!, events[0]!, events[2]!, events[1]!, events[3]!]);
      expect(shuffled.inboundWindow).toEqual(inOrder.inboundWindow);
      expect(shuffled.preferredChannel).toBe(inOrder.preferredChannel);
      expect(inOrder.preferredChannel).toBe(WHATSAPP);
    });
  });

  describe('when a customer writes more than the window holds', () => {
    const events = Array.from({ length: INBOUND_WINDOW_LIMIT + 20 }, (_, i) =>
      inbound(`m${i}`, new Date(Date.parse(day(10)) + i * 60_000).toISOString()),
    );
    const state = foldCustomer([reg, ...events]);

    it('then the window keeps the latest ones only', () => {
      expect(state.inboundWindow).toHaveLength(INBOUND_WINDOW_LIMIT);
      expect(state.inboundWindow.at(-1)?.at).toBe(events.at(-1)?.metadata.occurredAt);
      expect(state.engagement.inbound).toBe(INBOUND_WINDOW_LIMIT + 20);
    });
  });
});
