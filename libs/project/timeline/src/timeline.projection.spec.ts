import { randomUUID } from 'node:crypto';
import type { EventMetadata, InteractionData } from '@hub/contracts';
import type { CustomerEvent, InteractionRecorded } from '@hub/customer';
import { TIMELINE_HANDLED_TYPES, timelineChangeFor } from './timeline.projection';

const meta = (): EventMetadata => {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: '2025-03-01T10:00:00.000Z',
    recordedAt: '2025-03-01T10:00:01.000Z',
    schemaVersion: 1,
    tenantId: 'acme',
    channel: 'sms',
  };
};
const recorded = (data: Partial<InteractionData>): InteractionRecorded => ({
  type: 'InteractionRecorded',
  data: {
    channel: 'sms',
    direction: 'inbound',
    kind: 'message',
    identities: [{ kind: 'phone', value: '+14155550100' }],
    content: { media: [] },
    provider: { name: 'p', messageId: 'm1' },
    ...data,
  },
  metadata: meta(),
});

describe('the timeline projection', () => {
  describe('when an interaction carries a facet', () => {
    it('then its entry keeps the facet as details, with consent and interactive when present', () => {
      const order = { orderId: 'o-1', action: 'created' as const, amount: 4_990, currency: 'EUR', itemCount: 2 };
      const change = timelineChangeFor('acme', 'c1', 3n, recorded({ kind: 'order', order, interactive: { type: 'button', id: 'b1' } }));
      expect(change).toEqual(
        expect.objectContaining({
          kind: 'entry',
          entry: expect.objectContaining({
            kind: 'order',
            streamRevision: '3',
            details: { order, interactive: { type: 'button', id: 'b1' } },
          }),
        }),
      );

      const survey = { surveyId: 's1', kind: 'nps' as const, score: 9, answers: [{ questionId: 'q1', value: 9 }] };
      const surveyChange = timelineChangeFor('acme', 'c1', 4n, recorded({ kind: 'survey', survey }));
      expect(surveyChange?.kind === 'entry' && surveyChange.entry.details).toEqual({ survey });
    });

    it('then a platform’s own attributes are among its details, as sent (issue #16)', () => {
      const attributes = { region: 'eu', priority: 2 };
      const change = timelineChangeFor('acme', 'c1', 5n, recorded({ attributes }));
      expect(change?.kind === 'entry' && change.entry.details).toEqual({ attributes });
    });
  });

  describe('when an interaction edits an earlier message (its `edits` names the message)', () => {
    it('then it is an edit of the entry with that provider message id, not an entry of its own', () => {
      const event = recorded({
        content: { text: 'Where is my order #1234?', media: [] },
        provider: { name: 'telegram', messageId: '123456789:42' },
        edits: '123456789:42',
      });
      expect(timelineChangeFor('acme', 'c1', 5n, event)).toEqual({
        kind: 'edit',
        edit: {
          tenantId: 'acme',
          customerId: 'c1',
          eventId: event.metadata.eventId,
          streamRevision: '5',
          occurredAt: event.metadata.occurredAt,
          recordedAt: event.metadata.recordedAt,
          channel: 'sms',
          provider: { name: 'telegram', messageId: '123456789:42' },
          text: 'Where is my order #1234?',
          media: [],
        },
      });
    });
  });

  describe('when an interaction says where its occurredAt came from', () => {
    it.each(['provider', 'received'] as const)('then its entry keeps occurredAtSource %s', (source) => {
      const event = recorded({});
      event.metadata.occurredAtSource = source;
      const change = timelineChangeFor('acme', 'c1', 0n, event);
      expect(change?.kind === 'entry' && change.entry.occurredAtSource).toBe(source);
    });

    it('then an interaction recorded before adapters said has none (unknown, not guessed)', () => {
      const change = timelineChangeFor('acme', 'c1', 0n, recorded({}));
      expect(change?.kind === 'entry' && 'occurredAtSource' in change.entry).toBe(false);
    });
  });

  describe('when an interaction is a plain message', () => {
    it('then its entry has no details', () => {
      const change = timelineChangeFor('acme', 'c1', 0n, recorded({ content: { text: 'hi', media: [] } }));
      expect(change?.kind === 'entry' && 'details' in change.entry).toBe(false);
    });
  });

  describe('when an order, a refund or a survey answer is recorded as its own event', () => {
    it('then it is a fact of the customer’s summary, at its stream revision', () => {
      const events: CustomerEvent[] = [
        { type: 'OrderPlaced', data: { orderId: 'o-1', amount: 100, currency: 'EUR' }, metadata: meta() },
        { type: 'OrderRefunded', data: { orderId: 'o-1', amount: 50, currency: 'EUR' }, metadata: meta() },
        { type: 'SurveyAnswered', data: { survey: 'csat', score: 4 }, metadata: meta() },
      ];
      for (const [n, e] of events.entries()) {
        expect(timelineChangeFor('acme', 'c1', BigInt(n + 7), e)).toEqual({
          kind: 'fact',
          tenantId: 'acme',
          customerId: 'c1',
          streamRevision: String(n + 7),
          fact: e,
        });
      }
      expect(TIMELINE_HANDLED_TYPES).toEqual(expect.arrayContaining(['OrderPlaced', 'OrderRefunded', 'SurveyAnswered']));
    });
  });
});
