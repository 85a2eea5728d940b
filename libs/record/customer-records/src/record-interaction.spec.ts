import type { InteractionData, InteractionReceived } from '@hub/contracts';
import { foldCustomer, type CustomerEvent } from '@hub/customer';
import { TEXT_SIGNALS_VERSION } from '@hub/text-signals';
import { derivedFacts, interactionEvents } from './record-interaction';

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
  data: { direction: 'inbound', kind: 'message', identities: [{ kind: 'phone', value: '+14155550123' }], content: { media: [] }, provider: { name: 'test', messageId: 'm' }, ...data },
  metadata,
});
const recorded = (i: InteractionReceived): CustomerEvent[] => [
  { type: 'CustomerRegistered', data: { customerId: 'c1', tenantId: 'acme', identity: i.data.identities[0]! }, metadata },
  { type: 'InteractionRecorded', data: { ...i.data, channel: 'sms' }, metadata },
  ...derivedFacts(i, 'sms', metadata),
];

describe('derivedFacts: what an interaction records beside itself', () => {
  describe('given an inbound SMS stamped as an opt-out keyword', () => {
    const i = interaction({ content: { text: 'STOP', media: [] }, consent: { signal: 'opt_out', keyword: 'STOP' } });

    it('then a ConsentChanged (opted_out, source keyword) is recorded, caused by the interaction, at the same moment', () => {
      expect(derivedFacts(i, 'sms', metadata)).toEqual([
        { type: 'ConsentChanged', data: { channel: 'sms', consent: 'opted_out', source: 'keyword' }, metadata: expect.objectContaining({ causationId: metadata.eventId, occurredAt: AT }) },
      ]);
    });

    it('then the derived event id is stable (a redelivery derives the same id) and differs from the interaction’s', () => {
      const [a] = derivedFacts(i, 'sms', metadata);
      const [b] = derivedFacts(structuredClone(i), 'sms', metadata);
      expect(a!.metadata.eventId).toBe(b!.metadata.eventId);
      expect(a!.metadata.eventId).not.toBe(metadata.eventId);
    });

    it('then the folded state is opted out on SMS', () => {
      expect(foldCustomer(recorded(i)).consent).toEqual({ sms: 'opted_out' });
    });
  });

  it('given a HELP keyword, then no consent changes', () => {
    const i = interaction({ content: { text: 'HELP', media: [] }, consent: { signal: 'help', keyword: 'HELP' } });
    expect(derivedFacts(i, 'sms', metadata)).toEqual([]);
    expect(foldCustomer(recorded(i)).consent).toEqual({});
  });

  it('given a plain message, then nothing is derived', () => {
    expect(derivedFacts(interaction({ content: { text: 'Where is my order?', media: [] } }), 'sms', metadata)).toEqual([]);
  });

  describe('given a survey response', () => {
    const i = interaction({ kind: 'survey', survey: { surveyId: 'f1', kind: 'csat', score: 2, answers: [], conversationId: 'thread-9' } });

    it('then SurveyAnswered carries kind, score and the conversation', () => {
      expect(derivedFacts(i, 'sms', metadata)).toMatchObject([{ type: 'SurveyAnswered', data: { survey: 'csat', score: 2, conversationId: 'thread-9' } }]);
    });

    it('then the folded satisfaction reflects the score', () => {
      expect(JSON.stringify(foldCustomer(recorded(i)).satisfaction)).toContain('2');
    });
  });

  describe('given a survey response that answered both a CSAT and an NPS question', () => {
    const i = interaction({
      kind: 'survey',
      survey: { surveyId: 'f1', kind: 'csat', score: 2, scores: [{ kind: 'csat', score: 2, questionId: 'csat' }, { kind: 'nps', score: 9, questionId: 'nps' }], answers: [] },
    });

    it('then each score is its own SurveyAnswered, with its own id; the first keeps the id a single score has', () => {
      const facts = derivedFacts(i, 'sms', metadata);
      expect(facts).toMatchObject([
        { type: 'SurveyAnswered', data: { survey: 'csat', score: 2 } },
        { type: 'SurveyAnswered', data: { survey: 'nps', score: 9 } },
      ]);
      expect(facts[0]!.metadata.eventId).toBe(derivedFacts(interaction({ kind: 'survey', survey: { surveyId: 'f1', kind: 'csat', score: 2, answers: [] } }), 'sms', metadata)[0]!.metadata.eventId);
      expect(new Set(facts.map((f) => f.metadata.eventId)).size).toBe(2);
    });

    it('then the folded state holds the latest CSAT and the latest NPS', () => {
      const { satisfaction } = foldCustomer(recorded(i));
      expect(satisfaction.csat).toMatchObject({ survey: 'csat', score: 2 });
      expect(satisfaction.nps).toMatchObject({ survey: 'nps', score: 9 });
    });
  });

  describe('given an order created and then refunded', () => {
    const created = interaction({ kind: 'order', order: { orderId: 'o-1', action: 'created', amount: 12_000, currency: 'EUR' } });
    const refunded = { ...interaction({ kind: 'order', order: { orderId: 'o-1', action: 'refunded', amount: 2_000, currency: 'EUR', refundId: 'r-1' } }), metadata: { ...metadata, eventId: '7f1c2c4e-9f0a-5b1e-8d1a-2b3c4d5e6f71' } };

    it('then OrderPlaced and OrderRefunded are derived with the amounts', () => {
      expect(derivedFacts(created, 'sms', metadata)).toMatchObject([{ type: 'OrderPlaced', data: { orderId: 'o-1', amount: 12_000, currency: 'EUR' } }]);
      expect(derivedFacts(refunded, 'sms', refunded.metadata)).toMatchObject([{ type: 'OrderRefunded', data: { orderId: 'o-1', amount: 2_000 } }]);
    });

    it('then the customer’s value is net of the refund', () => {
      const events = [...recorded(created), { type: 'InteractionRecorded', data: { ...refunded.data, channel: 'sms' }, metadata: refunded.metadata } as CustomerEvent, ...derivedFacts(refunded, 'sms', refunded.metadata)];
      expect(JSON.stringify(foldCustomer(events).value)).toContain('10000');
    });
  });

  it('given a delivery status of a message we sent, then it is not the customer’s last interaction nor engagement', () => {
    const i = interaction({ direction: 'outbound', kind: 'delivery', delivery: { messageId: 'wamid.1', status: 'read' } });
    const state = foldCustomer(recorded(i));
    expect(state.recent).toEqual([]);
    expect(state.engagement.total).toBe(0);
  });
});

describe('interactionEvents: the text signals of the customer’s words are recorded on the interaction', () => {
  const recordedOf = (i: InteractionReceived) => interactionEvents(i, 'sms', 'c1', false, metadata).find((e) => e.type === 'InteractionRecorded');

  it('given an Arabic message that complains, asks for a refund and says it is the third, then the signals are recorded in clear beside the text', () => {
    const e = recordedOf(interaction({ content: { text: 'هذه رسالتي الثالثة، أريد استرداد المبلغ، خدمة سيئة', media: [] } }));
    expect(e?.type === 'InteractionRecorded' && e.data.textSignals).toEqual({ found: ['complaint', 'refund_cancel', 'repeat_contact'], version: TEXT_SIGNALS_VERSION });
  });

  it('given an inbound message that says nothing of the kind, then an empty list records that it was read', () => {
    const e = recordedOf(interaction({ content: { text: 'Where is my order?', media: [] } }));
    expect(e?.type === 'InteractionRecorded' && e.data.textSignals).toEqual({ found: [], version: TEXT_SIGNALS_VERSION });
  });

  it('given an email, then its subject is read with its body', () => {
    const e = recordedOf(
      interaction({ kind: 'email', email: { messageId: '<m1@example.com>', references: [], from: 'a@example.com', to: ['help@example.com'], cc: [], textFromHtml: false, subject: 'URGENT: refund', attachments: [] }, content: { text: 'See order 5.', media: [] } }),
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
  const unsubscribed = interaction({ kind: 'subscription', subscription: { status: 'unsubscribed' }, provider: { name: 'viber', messageId: '5741311803571721087' } });

  describe('when a known customer unsubscribes on the platform', () => {
    const events = interactionEvents(unsubscribed, 'sms', 'c1', false, metadata);

    it('then only a ConsentChanged (opted_out, source platform) is recorded, under the event id of what was received', () => {
      expect(events).toEqual([{ type: 'ConsentChanged', data: { channel: 'sms', consent: 'opted_out', source: 'platform' }, metadata }]);
    });

    it('then the folded customer is opted out on the channel, by the platform, and has no contact: no engagement, no recent message, no reply window', () => {
      const before: CustomerEvent[] = [{ type: 'CustomerRegistered', data: { customerId: 'c1', tenantId: 'acme', identity: unsubscribed.data.identities[0]! }, metadata }];
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
      expect(interactionEvents(subscribed, 'sms', 'c1', true, metadata).map((e) => [e.type, e.type === 'ConsentChanged' ? e.data : undefined])).toEqual([
        ['CustomerRegistered', undefined],
        ['ConsentChanged', { channel: 'sms', consent: 'opted_in', source: 'platform' }],
      ]);
    });
  });
});
