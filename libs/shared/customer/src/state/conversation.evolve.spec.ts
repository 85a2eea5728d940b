import { conversationResolved, inbound, outbound, registered, SMS, WHATSAPP } from '../testing/customer-events.fixtures';
import { openConversations } from '../insights/customer.insights';
import { evolve, foldCustomer } from './customer.evolve';
import { conversationKey } from './customer.state';

const reg = registered('c-1', '2025-01-15T08:00:00.000Z');
const SMS_THREAD = conversationKey(SMS);

describe('conversations', () => {
  describe('given a customer who has not written', () => {
    it('then there is no conversation, even after an outbound message', () => {
      expect(foldCustomer([reg, outbound('o1', '2025-01-15T09:00:00.000Z', { text: 'Your order shipped' })]).conversations).toEqual({});
    });
  });

  describe('when the customer writes', () => {
    const state = foldCustomer([reg, inbound('i1', '2025-01-15T09:00:00.000Z', { text: 'Where is my order?' })]);

    it('then a conversation is open on that channel', () => {
      expect(state.conversations).toEqual({
        [SMS_THREAD]: {
          channel: 'sms',
          status: 'open',
          openedAt: '2025-01-15T09:00:00.000Z',
          lastInboundAt: '2025-01-15T09:00:00.000Z',
          inboundSinceOpened: 1,
        },
      });
      expect(openConversations(state)).toHaveLength(1);
    });
  });

  describe('when the customer has an open conversation', () => {
    const open = foldCustomer([reg, inbound('i1', '2025-01-15T09:00:00.000Z'), inbound('i2', '2025-01-15T09:05:00.000Z')]);

    describe('and an agent replies', () => {
      const state = evolve(open, outbound('o1', '2025-01-15T09:10:00.000Z'));

      it('then it stays open, with the reply time noted', () => {
        expect(state.conversations[SMS_THREAD]).toMatchObject({
          status: 'open',
          lastOutboundAt: '2025-01-15T09:10:00.000Z',
          inboundSinceOpened: 2,
        });
      });
    });

    describe('and it is resolved', () => {
      const state = evolve(open, conversationResolved('r1', '2025-01-15T09:30:00.000Z'));

      it('then it is resolved, and none is open', () => {
        expect(state.conversations[SMS_THREAD]).toMatchObject({ status: 'resolved', resolvedAt: '2025-01-15T09:30:00.000Z' });
        expect(openConversations(state)).toEqual([]);
      });

      describe('and then the customer writes again', () => {
        const reopened = evolve(state, inbound('i3', '2025-01-15T10:00:00.000Z'));

        it('then it is open again, opened by the new message', () => {
          expect(reopened.conversations[SMS_THREAD]).toMatchObject({
            status: 'open',
            openedAt: '2025-01-15T10:00:00.000Z',
            inboundSinceOpened: 1,
          });
        });
      });

      describe('and then a message written before the resolution arrives late', () => {
        const late = evolve(state, inbound('i0', '2025-01-15T09:20:00.000Z'));

        it('then it stays resolved', () => {
          expect(late.conversations[SMS_THREAD]?.status).toBe('resolved');
        });
      });
    });

    describe('and a resolution that happened before the latest message arrives late', () => {
      const state = evolve(open, conversationResolved('r0', '2025-01-15T09:02:00.000Z'));

      it('then it stays open: the customer wrote after it', () => {
        expect(state.conversations[SMS_THREAD]?.status).toBe('open');
      });
    });
  });

  describe('when the customer writes in two threads and on two channels', () => {
    const state = foldCustomer([
      reg,
      inbound('a', '2025-01-15T09:00:00.000Z', { channel: WHATSAPP }),
      inbound('b', '2025-01-15T09:01:00.000Z', { threadId: 'T-1' }),
      inbound('c', '2025-01-15T09:02:00.000Z', { threadId: 'T-2' }),
      conversationResolved('r', '2025-01-15T09:03:00.000Z', { threadId: 'T-1' }),
    ]);

    it('then each thread is its own conversation, resolved on its own', () => {
      expect(Object.keys(state.conversations).sort()).toEqual(
        [conversationKey(SMS, 'T-1'), conversationKey(SMS, 'T-2'), conversationKey(WHATSAPP)].sort(),
      );
      expect(
        openConversations(state)
          .map((c) => `${c.channel}/${c.threadId ?? '-'}`)
          .sort(),
      ).toEqual(['sms/T-2', 'whatsapp/-']);
    });
  });

  describe('when the events arrive in any order', () => {
    const events = [
      inbound('i1', '2025-01-15T09:00:00.000Z'),
      conversationResolved('r1', '2025-01-15T09:30:00.000Z'),
      inbound('i2', '2025-01-15T10:00:00.000Z'),
      conversationResolved('r2', '2025-01-15T10:30:00.000Z'),
    ];

    it('then it is resolved whenever the latest resolution is later than the latest message', () => {
      for (const order of [events, [...events].reverse(), [events[2]!, events[0]!, events[3]!, events[1]!]]) {
        expect(foldCustomer([reg, ...order]).conversations[SMS_THREAD]?.status).toBe('resolved');
      }
    });

    it('then it is open whenever the latest message is later than the latest resolution', () => {
      const [i1, r1, i2] = events;
      for (const order of [
        [i1!, r1!, i2!],
        [i2!, r1!, i1!],
        [r1!, i2!, i1!],
      ]) {
        expect(foldCustomer([reg, ...order]).conversations[SMS_THREAD]?.status).toBe('open');
      }
    });
  });
});
