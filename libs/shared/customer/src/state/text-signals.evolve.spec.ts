import { foldCustomer } from './customer.evolve';
import { inbound, march, outbound, registered } from '../testing/customer-events.fixtures';
import type { InteractionRecorded } from '../events/customer.events';

describe('text signals in the customer state', () => {
  describe('given inbound messages whose words carried signals', () => {
    const events = [
      registered('c1', march(1)),
      inbound('m1', march(2), { text: 'this is my third message', signals: ['repeat_contact'] }),
      inbound('m2', march(3), { text: 'أريد استرداد المبلغ، خدمة سيئة', signals: ['complaint', 'refund_cancel'], threadId: 't9' }),
      inbound('m3', march(4), { text: 'still nothing, refund me', signals: ['refund_cancel', 'repeat_contact'] }),
    ];

    it('then each signal is counted with when it was first and last seen, and where', () => {
      expect(foldCustomer(events).textSignals).toEqual({
        repeat_contact: { count: 2, firstAt: march(2), lastAt: march(4), lastEventId: 'm3', lastConversation: 'sms:' },
        complaint: { count: 1, firstAt: march(3), lastAt: march(3), lastEventId: 'm2', lastConversation: 'sms:t9' },
        refund_cancel: { count: 2, firstAt: march(3), lastAt: march(4), lastEventId: 'm3', lastConversation: 'sms:' },
      });
    });

    it('when a message that happened earlier arrives last, then it is counted but "last seen" stays the latest', () => {
      const late = inbound('m0', march(1, 8), { signals: ['repeat_contact'] });
      expect(foldCustomer([...events, late]).textSignals.repeat_contact).toEqual({
        count: 3,
        firstAt: march(1, 8),
        lastAt: march(4),
        lastEventId: 'm3',
        lastConversation: 'sms:',
      });
    });

    it('when the texts are erased (crypto-shredded), then the state is the same: it reads the recorded signals, never the text', () => {
      const erased = events.map((e) =>
        e.type === 'InteractionRecorded'
          ? ({ ...e, data: { ...e.data, content: { ...e.data.content, text: '[erased]' } } } satisfies InteractionRecorded)
          : e,
      );
      expect(foldCustomer(erased).textSignals).toEqual(foldCustomer(events).textSignals);
    });
  });

  it('given messages recorded before detection existed (no textSignals), then no signal is invented from their text', () => {
    expect(
      foldCustomer([registered('c1', march(1)), inbound('m1', march(2), { text: 'I want a refund, this is terrible' })]).textSignals,
    ).toEqual({});
  });

  it('given an outbound message with signals (our own words), then they are not the customer’s', () => {
    expect(
      foldCustomer([
        registered('c1', march(1)),
        outbound('o1', march(2), { text: 'Sorry, your refund is on its way', signals: ['refund_cancel'] }),
      ]).textSignals,
    ).toEqual({});
  });

  it('given a signal name this build does not know (a newer detector’s), then it is skipped', () => {
    const e = inbound('m1', march(2), { signals: ['complaint'] });
    const newer = {
      ...e,
      data: { ...e.data, textSignals: { found: ['complaint', 'sarcasm'], version: 'lexicon-2099' } },
    } as unknown as InteractionRecorded;
    expect(Object.keys(foldCustomer([registered('c1', march(1)), newer]).textSignals)).toEqual(['complaint']);
  });
});
