import type { InteractionData, InteractionReceived } from '@hub/contracts';
import type { CustomerEvent } from '../events/customer.events';
import { foldCustomer } from '../state/customer.evolve';
import { derivedFacts, mergeEvidenceSource, platformConsentChange } from './interaction-facts';

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
        {
          type: 'ConsentChanged',
          data: { channel: 'sms', consent: 'opted_out', source: 'keyword' },
          metadata: expect.objectContaining({ causationId: metadata.eventId, occurredAt: AT }),
        },
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
      expect(derivedFacts(i, 'sms', metadata)).toMatchObject([
        { type: 'SurveyAnswered', data: { survey: 'csat', score: 2, conversationId: 'thread-9' } },
      ]);
    });

    it('then the folded satisfaction reflects the score', () => {
      expect(JSON.stringify(foldCustomer(recorded(i)).satisfaction)).toContain('2');
    });
  });

  describe('given a survey response that answered both a CSAT and an NPS question', () => {
    const i = interaction({
      kind: 'survey',
      survey: {
        surveyId: 'f1',
        kind: 'csat',
        score: 2,
        scores: [
          { kind: 'csat', score: 2, questionId: 'csat' },
          { kind: 'nps', score: 9, questionId: 'nps' },
        ],
        answers: [],
      },
    });

    it('then each score is its own SurveyAnswered, with its own id; the first keeps the id a single score has', () => {
      const facts = derivedFacts(i, 'sms', metadata);
      expect(facts).toMatchObject([
        { type: 'SurveyAnswered', data: { survey: 'csat', score: 2 } },
        { type: 'SurveyAnswered', data: { survey: 'nps', score: 9 } },
      ]);
      expect(facts[0]!.metadata.eventId).toBe(
        derivedFacts(interaction({ kind: 'survey', survey: { surveyId: 'f1', kind: 'csat', score: 2, answers: [] } }), 'sms', metadata)[0]!
          .metadata.eventId,
      );
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
    const refunded = {
      ...interaction({ kind: 'order', order: { orderId: 'o-1', action: 'refunded', amount: 2_000, currency: 'EUR', refundId: 'r-1' } }),
      metadata: { ...metadata, eventId: '7f1c2c4e-9f0a-5b1e-8d1a-2b3c4d5e6f71' },
    };

    it('then OrderPlaced and OrderRefunded are derived with the amounts', () => {
      expect(derivedFacts(created, 'sms', metadata)).toMatchObject([
        { type: 'OrderPlaced', data: { orderId: 'o-1', amount: 12_000, currency: 'EUR' } },
      ]);
      expect(derivedFacts(refunded, 'sms', refunded.metadata)).toMatchObject([
        { type: 'OrderRefunded', data: { orderId: 'o-1', amount: 2_000 } },
      ]);
    });

    it('then the customer’s value is net of the refund', () => {
      const events = [
        ...recorded(created),
        { type: 'InteractionRecorded', data: { ...refunded.data, channel: 'sms' }, metadata: refunded.metadata } as CustomerEvent,
        ...derivedFacts(refunded, 'sms', refunded.metadata),
      ];
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

describe('platformConsentChange: a platform subscribe or unsubscribe', () => {
  it('given an unsubscribe, then it is ConsentChanged (opted_out, source platform) under the interaction’s own id', () => {
    const i = interaction({ kind: 'subscription', subscription: { status: 'unsubscribed' } });
    expect(platformConsentChange(i, 'sms', metadata)).toEqual({
      type: 'ConsentChanged',
      data: { channel: 'sms', consent: 'opted_out', source: 'platform' },
      metadata,
    });
  });

  it('given a subscribe, then it is opted_in', () => {
    expect(
      platformConsentChange(interaction({ kind: 'subscription', subscription: { status: 'subscribed' } }), 'sms', metadata)?.data.consent,
    ).toBe('opted_in');
  });

  it('given any other kind, even a message with a STOP keyword, then it is none (that is derivedFacts’ keyword consent)', () => {
    expect(
      platformConsentChange(
        interaction({ content: { text: 'STOP', media: [] }, consent: { signal: 'opt_out', keyword: 'STOP' } }),
        'sms',
        metadata,
      ),
    ).toBeUndefined();
  });
});

describe('mergeEvidenceSource: what identities of two customers on one interaction prove', () => {
  it('given a paid order, then paid_order (the shop vouches for its customer account), whatever else it says', () => {
    expect(
      mergeEvidenceSource(
        interaction({
          kind: 'order',
          order: { orderId: 'o', action: 'created', amount: 1, currency: 'EUR' },
          mergeEvidence: 'chat_typed_detail',
        }),
      ),
    ).toBe('paid_order');
  });

  it('given an interaction whose channel says the customer typed its details, then chat_typed_detail, on any channel', () => {
    expect(mergeEvidenceSource(interaction({ mergeEvidence: 'chat_typed_detail' }))).toBe('chat_typed_detail');
  });

  it('given anything else, then its channel and kind, which the default policy only proposes', () => {
    expect(mergeEvidenceSource(interaction({}))).toBe('sms_message');
    expect(
      mergeEvidenceSource(interaction({ kind: 'order', order: { orderId: 'o', action: 'refunded', amount: 1, currency: 'EUR' } })),
    ).toBe('sms_order');
  });
});
