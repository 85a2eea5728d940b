import type { InteractionData, InteractionReceived } from '@hub/contracts';
import { foldCustomer, type CustomerEvent } from '@hub/customer';
import { TEXT_SIGNALS_VERSION } from '@hub/text-signals';
import { interactionEvents } from './record-interaction';

const AT = '2025-03-01T10:00:00.000Z';
const metadata = {
  eventId: '6f1c2c4e-9f0a-5b1e-8d1a-2b3c4d5e6f70',
  correlationId: 'corr',
  causationId: 'corr',
  occurredAt: AT,
  recordedAt: AT,
  schemaVersion: 1,
  tenantId: 'acme',
  channel: 'sms' as const,
};
const interaction = (data: Partial<InteractionData>): InteractionReceived => ({
  type: 'InteractionReceived',
  data: {
    direction: 'inbound',
    kind: 'message',
    identities: [{ kind: 'phone', value: '+14155550123' }],
    content: { media: [] },
    provider: { name: 'test', messageId: 'm' },
    ...data,
  },
  metadata,
});

describe('interactionEvents: the text signals of the customer’s words are recorded on the interaction', () => {
  const recordedOf = (i: InteractionReceived) =>
    interactionEvents(i, 'sms', 'c1', false, metadata).find((e) => e.type === 'InteractionRecorded');

  it('given an Arabic message that complains, asks for a refund and says it is the third, then the signals are recorded in clear beside the text', () => {
    const e = recordedOf(interaction({ content: { text: 'هذه رسالتي الثالثة، أريد استرداد المبلغ، خدمة سيئة', media: [] } }));
    expect(e?.type === 'InteractionRecorded' && e.data.textSignals).toEqual({
      found: ['complaint', 'refund_cancel', 'repeat_contact'],
      version: TEXT_SIGNALS_VERSION,
    });
  });

  it('given an inbound message that says nothing of the kind, then an empty list records that it was read', () => {
    const e = recordedOf(interaction({ content: { text: 'Where is my order?', media: [] } }));
    expect(e?.type === 'InteractionRecorded' && e.data.textSignals).toEqual({ found: [], version: TEXT_SIGNALS_VERSION });
  });

  it('given an email, then its subject is read with its body', () => {
    const e = recordedOf(
      interaction({
        kind: 'email',
        email: {
          messageId: '<m1@example.com>',
          references: [],
          from: 'a@example.com',
          to: ['help@example.com'],
          cc: [],
          textFromHtml: false,
          subject: 'URGENT: refund',
          attachments: [],
        },
        content: { text: 'See order 5.', media: [] },
      }),
    );
    expect(e?.type === 'InteractionRecorded' && e.data.textSignals?.found).toEqual(['refund_cancel', 'urgency']);
  });

  it('given a bare "CANCEL" SMS stamped as a consent keyword, then it is an opt-out, not a cancellation', () => {
    const e = recordedOf(interaction({ content: { text: 'CANCEL', media: [] }, consent: { signal: 'opt_out', keyword: 'CANCEL' } }));
    expect(e?.type === 'InteractionRecorded' && 'textSignals' in e.data).toBe(false);
  });

  it('given an outbound message, then our own words are not read', () => {
    const e = recordedOf(interaction({ direction: 'outbound', content: { text: 'Your refund is on its way', media: [] } }));
    expect(e?.type === 'InteractionRecorded' && 'textSignals' in e.data).toBe(false);
  });

  it('given a sender that put textSignals in the canonical data, then only what the recorder found is kept', () => {
    const forged = interaction({ content: { text: 'Thanks!', media: [] } });
    (forged.data as unknown as Record<string, unknown>)['textSignals'] = { found: ['complaint'], version: 'mine' };
    const e = recordedOf(forged);
    expect(e?.type === 'InteractionRecorded' && e.data.textSignals).toEqual({ found: [], version: TEXT_SIGNALS_VERSION });
  });

  it('then the folded state counts them', () => {
    const i = interaction({ content: { text: 'This is my third message, please call me asap', media: [] } });
    expect(Object.keys(foldCustomer(interactionEvents(i, 'sms', 'c1', true, metadata)).textSignals)).toEqual(['repeat_contact', 'urgency']);
  });
});

describe('interactionEvents: a platform subscribe or unsubscribe is a consent change, not an interaction', () => {
  const unsubscribed = interaction({
    kind: 'subscription',
    subscription: { status: 'unsubscribed' },
    provider: { name: 'viber', messageId: '5741311803571721087' },
  });

  describe('when a known customer unsubscribes on the platform', () => {
    const events = interactionEvents(unsubscribed, 'sms', 'c1', false, metadata);

    it('then only a ConsentChanged (opted_out, source platform) is recorded, under the event id of what was received', () => {
      expect(events).toEqual([{ type: 'ConsentChanged', data: { channel: 'sms', consent: 'opted_out', source: 'platform' }, metadata }]);
    });

    it('then the folded customer is opted out on the channel, by the platform, and has no contact: no engagement, no recent message, no reply window', () => {
      const before: CustomerEvent[] = [
        { type: 'CustomerRegistered', data: { customerId: 'c1', tenantId: 'acme', identity: unsubscribed.data.identities[0]! }, metadata },
      ];
      const state = foldCustomer([...before, ...events]);
      expect(state.consent).toEqual({ sms: 'opted_out' });
      expect(state.consents.sms).toMatchObject({ status: 'opted_out', source: 'platform', eventId: metadata.eventId });
      expect(state.engagement.total).toBe(0);
      expect(state.recent).toEqual([]);
      expect(state.inboundWindow).toEqual(foldCustomer(before).inboundWindow);
    });
  });

  describe('when someone the hub has never seen subscribes', () => {
    it('then the customer is registered, then opted in by the platform', () => {
      const subscribed = interaction({ kind: 'subscription', subscription: { status: 'subscribed' } });
      expect(
        interactionEvents(subscribed, 'sms', 'c1', true, metadata).map((e) => [e.type, e.type === 'ConsentChanged' ? e.data : undefined]),
      ).toEqual([
        ['CustomerRegistered', undefined],
        ['ConsentChanged', { channel: 'sms', consent: 'opted_in', source: 'platform' }],
      ]);
    });
  });
});
