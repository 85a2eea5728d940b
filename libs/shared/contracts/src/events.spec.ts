import { InteractionReceivedDto, type InteractionData, type InteractionReceived } from './events';
import { validateAs } from './validation';

const base = (data: Partial<InteractionData>): InteractionReceived => ({
  type: 'InteractionReceived',
  data: {
    direction: 'inbound',
    kind: 'message',
    identities: [{ kind: 'phone', value: '+14155550123' }],
    content: { media: [] },
    provider: { name: 'test', messageId: 'm-1' },
    ...data,
  },
  metadata: {
    eventId: '0b7e7dd0-5f5e-5b6a-9a36-0d7c1b2e4f10',
    correlationId: 'c',
    causationId: 'c',
    occurredAt: '2025-01-15T09:30:00.000Z',
    recordedAt: '2025-01-15T09:30:00.000Z',
    schemaVersion: 1,
    tenantId: 'acme',
    channel: 'sms',
  },
});

const fields = (e: InteractionReceived): string[] => {
  const r = validateAs(InteractionReceivedDto, JSON.parse(JSON.stringify(e)));
  return r.ok ? [] : [...new Set(r.errors.map((x) => x.field))].sort();
};

describe('the canonical InteractionReceived facets', () => {
  it('given a plain message, then it is valid without any facet', () => {
    expect(fields(base({}))).toEqual([]);
  });

  it.each([
    ['call', { call: { status: 'completed', durationSeconds: 60, queue: 'billing', agent: 'ana' } }],
    [
      'email',
      {
        email: {
          messageId: '<a@b>',
          references: [],
          from: 'a@b.example',
          to: ['c@d.example'],
          cc: [],
          textFromHtml: false,
          attachments: [{ name: 'x.pdf', contentType: 'application/pdf', sizeBytes: 10 }],
        },
      },
    ],
    ['reaction', { reaction: { toMessageId: 'wamid.1', emoji: '👍' } }],
    ['delivery', { direction: 'outbound', delivery: { messageId: 'wamid.1', status: 'read' } }],
    ['survey', { survey: { surveyId: 'f', kind: 'nps', score: 0, answers: [{ questionId: 'q', value: 0 }] } }],
    ['order', { order: { orderId: 'o-1', action: 'created', amount: 1999, currency: 'EUR' } }],
    ['subscription', { subscription: { status: 'unsubscribed' } }],
  ] as const)('given kind %s with its facet, then it is valid', (kind, facet) => {
    expect(fields(base({ kind, ...(facet as Partial<InteractionData>) }))).toEqual([]);
  });

  it.each(['call', 'email', 'reaction', 'delivery', 'survey', 'order', 'subscription'] as const)(
    'given kind %s without its facet, then the facet is named as missing',
    (kind) => {
      expect(fields(base({ kind }))).toEqual([`data.${kind}`]);
    },
  );

  it('given a facet that does not match the kind, then it is refused, naming the facet', () => {
    expect(fields(base({ kind: 'message', order: { orderId: 'o', action: 'created', amount: 1, currency: 'EUR' } }))).toEqual([
      'data.order',
    ]);
  });

  it('given a subscription whose status is not subscribed or unsubscribed, or one on a message, then it is refused, naming the field', () => {
    expect(fields(base({ kind: 'subscription', subscription: { status: 'blocked' as never } }))).toEqual(['data.subscription.status']);
    expect(fields(base({ kind: 'message', subscription: { status: 'unsubscribed' } }))).toEqual(['data.subscription']);
  });

  it('given the merge evidence a channel names, then only a weak one is taken: chat_typed_detail, not paid_order', () => {
    expect(fields(base({ mergeEvidence: 'chat_typed_detail' }))).toEqual([]);
    expect(fields(base({ mergeEvidence: 'paid_order' as never }))).toEqual(['data.mergeEvidence']);
  });

  it('given a CSAT score outside 1–5, then the score is refused; the same score is a valid NPS', () => {
    const survey = (kind: 'csat' | 'nps', score: number) => base({ kind: 'survey', survey: { surveyId: 'f', kind, score, answers: [] } });
    expect(fields(survey('csat', 9))).toEqual(['data.survey.score']);
    expect(fields(survey('csat', 0))).toEqual(['data.survey.score']);
    expect(fields(survey('nps', 9))).toEqual([]);
  });

  it('given an order with a fractional amount or a lower-case currency, then both fields are named', () => {
    expect(fields(base({ kind: 'order', order: { orderId: 'o', action: 'refunded', amount: 19.99, currency: 'eur' } }))).toEqual([
      'data.order.amount',
      'data.order.currency',
    ]);
  });

  it('given a nested facet error, then its dotted path is named', () => {
    expect(fields(base({ kind: 'call', call: { status: 'exploded' as never, recordingUrl: 'not a url' } }))).toEqual([
      'data.call.recordingUrl',
      'data.call.status',
    ]);
  });
});
