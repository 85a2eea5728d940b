import type { CustomerEvent, HistoryEvent } from '@hub/customer';
import { foldWholeHistory } from '@hub/customer';
import type { RecordedEvent } from '@hub/event-store';
import { subjectAccessHead, subjectAccessJsonChunks, subjectEvent, SUBJECT_ACCESS_FORMAT, type SubjectAccess } from './subject-access';

const T = 'acme';
const meta = (eventId: string, at: string) => ({
  eventId,
  correlationId: eventId,
  causationId: eventId,
  occurredAt: at,
  recordedAt: at,
  schemaVersion: 1,
  tenantId: T,
  channel: 'sms' as const,
});

const stored = (customerId: string, revision: number, position: number, event: CustomerEvent): RecordedEvent => ({
  streamName: `customer-${T}.${customerId}`,
  eventId: event.metadata.eventId,
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata },
  revision: BigInt(revision),
  globalPosition: BigInt(position),
  createdAt: new Date(event.metadata.recordedAt),
});

function given(events: CustomerEvent[]) {
  const recorded = events.map((e, n) => stored('c1', n, 10 + n, e));
  const history: HistoryEvent[] = recorded.map((r, n) => ({
    customerId: 'c1',
    revision: r.revision,
    position: r.globalPosition,
    event: events[n]!,
  }));
  const state = foldWholeHistory('c1', history);
  return { recorded, history, state };
}

const registered: CustomerEvent = {
  type: 'CustomerRegistered',
  data: { customerId: 'c1', tenantId: T, identity: { kind: 'phone', value: '[erased]' } },
  metadata: meta('e0', '2026-01-01T00:00:00.000Z'),
};
const erased: CustomerEvent = {
  type: 'CustomerErased',
  data: { customerId: 'c1', reason: 'gdpr-art17', requestedBy: 'dpo' },
  metadata: { ...meta('e1', '2026-02-01T00:00:00.000Z'), channel: 'system' },
};

async function text(access: SubjectAccess): Promise<string> {
  let out = '';
  for await (const chunk of subjectAccessJsonChunks(access)) out += chunk;
  return out;
}

describe('the subject access document', () => {
  describe('when the customer was erased', () => {
    it('then the head states the erasure, when, why and by whom, and that personal fields are unreadable', () => {
      const { recorded, history, state } = given([registered, erased]);
      const head = subjectAccessHead({
        request: { tenantId: T, customerId: 'c1', now: '2026-03-01T00:00:00.000Z' },
        members: ['c1'],
        streams: new Map([['c1', recorded]]),
        history,
        state,
        holders: new Map(),
        timelineRead: true,
      });
      expect(head).toMatchObject({
        format: SUBJECT_ACCESS_FORMAT,
        status: 'erased',
        erasure: {
          customerId: 'c1',
          erasedAt: '2026-02-01T00:00:00.000Z',
          reason: 'gdpr-art17',
          requestedBy: 'dpo',
          eventId: 'e1',
          // A CustomerErased recorded before cascadeOf existed reads as erased by its own id.
          cascadeOf: null,
          personalFieldsReadable: false,
          marker: '[erased]',
          mergedInNotErased: [],
        },
        records: [{ customerId: 'c1', role: 'subject', events: 2, erasure: { reason: 'gdpr-art17' } }],
        state: { revision: '1' },
      });
    });
  });

  describe('when it is written out', () => {
    it('then it is one JSON document: the head, every event, the timeline page after page, and the counts', async () => {
      const { recorded, history, state } = given([registered]);
      const head = subjectAccessHead({
        request: { tenantId: T, customerId: 'c1', now: '2026-03-01T00:00:00.000Z' },
        members: ['c1'],
        streams: new Map([['c1', recorded]]),
        history,
        state,
        holders: new Map(),
        timelineRead: true,
      });
      async function* pages() {
        yield [{ eventId: 'a' }, { eventId: 'b' }];
        yield [];
        yield [{ eventId: 'c' }];
      }
      const doc = JSON.parse(await text({ head, events: recorded.map((r) => subjectEvent('c1', r)), timeline: pages() })) as Record<
        string,
        unknown
      >;
      expect(Object.keys(doc)).toEqual([...Object.keys(head), 'events', 'timeline', 'counts']);
      expect(doc['events']).toEqual([expect.objectContaining({ eventId: 'e0', revision: '0', globalPosition: '10', customerId: 'c1' })]);
      expect(doc['timeline']).toEqual([{ eventId: 'a' }, { eventId: 'b' }, { eventId: 'c' }]);
      expect(doc['counts']).toEqual({ records: 1, events: 1, timelineEntries: 3, decisions: 0, outcomes: 0 });

      const none = JSON.parse(await text({ head, events: [], timeline: undefined })) as Record<string, unknown>;
      expect(none).toMatchObject({ events: [], timeline: null, counts: { events: 0, timelineEntries: null } });
    });
  });
});
