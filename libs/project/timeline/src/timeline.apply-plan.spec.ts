import { planApply, unionOfCustomers } from './timeline.apply-plan';
import type { TimelineChange, TimelineEntry } from './timeline.projection';

const T = 'acme';
const entryOf = (
  customerId: string,
  eventId: string,
  identities: { kind: string; value: string; namespace?: string }[] = [],
  tenantId = T,
): TimelineChange => ({
  kind: 'entry',
  identities,
  entry: {
    tenantId,
    customerId,
    eventId,
    streamRevision: '1',
    occurredAt: '2025-03-01T10:00:00.000Z',
    recordedAt: '2025-03-01T10:00:00.000Z',
    channel: 'sms',
    direction: 'inbound',
    kind: 'message',
    text: 'hi',
    media: [],
    provider: { name: 'twilio', messageId: eventId },
  } satisfies TimelineEntry,
});
const registration = (customerId: string, value: string): TimelineChange => ({
  kind: 'customer',
  tenantId: T,
  customerId,
  identity: { kind: 'phone', value },
  at: '2025-03-01T09:00:00.000Z',
});
const fact = (customerId: string, eventId: string): TimelineChange => ({
  kind: 'fact',
  tenantId: T,
  customerId,
  streamRevision: '2',
  fact: {
    type: 'OrderPlaced',
    data: { orderId: 'o1', amount: 100, currency: 'EUR' },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2025-03-01T10:00:00.000Z',
      recordedAt: '2025-03-01T10:00:00.000Z',
      schemaVersion: 1,
      tenantId: T,
      channel: 'system',
    },
  },
});

describe('planApply', () => {
  describe('when a batch holds only entries, registrations and facts', () => {
    it('then they make one run of rows, identities in write order, and each customer is refreshed and notified once', () => {
      const plan = planApply([
        registration('a', '+1'),
        entryOf('a', 'e1', [{ kind: 'phone', value: '+1' }]),
        entryOf('b', 'e2', [
          { kind: 'phone', value: '+1' },
          { kind: 'external', namespace: 'shop', value: '7' },
        ]),
        fact('a', 'f1'),
        entryOf('a', 'e3'),
      ]);

      expect(plan.steps).toHaveLength(1);
      const step = plan.steps[0]!;
      expect(step.kind === 'rows' && step.run.entries.map((e) => e.eventId)).toEqual(['e1', 'e2', 'e3']);
      expect(step.kind === 'rows' && step.run.identities.map((i) => [i.customerId, i.kind, i.namespace, i.value])).toEqual([
        ['a', 'phone', '', '+1'],
        ['a', 'phone', '', '+1'],
        ['b', 'phone', '', '+1'],
        ['b', 'external', 'shop', '7'],
      ]);
      expect(step.kind === 'rows' && [step.run.registrations.length, step.run.facts.length]).toEqual([1, 1]);
      expect(plan.refreshCounters).toEqual([
        { tenantId: T, customerId: 'a' },
        { tenantId: T, customerId: 'b' },
      ]);
      expect(plan.refreshFacts).toEqual([{ tenantId: T, customerId: 'a' }]);
      expect(plan.notify).toEqual(['acme:a', 'acme:b']);
    });
  });

  describe('when a purge, a merge and an unmerge sit between entries', () => {
    it('then each ends the run before it and keeps its place; a merge notifies the survivor', () => {
      const plan = planApply([
        entryOf('a', 'e1'),
        { kind: 'purge', tenantId: T, customerId: 'a' },
        entryOf('a', 'e1'),
        { kind: 'merge', tenantId: T, customerId: 'b', survivorId: 'c' },
        { kind: 'unmerge', tenantId: T, customerId: 'b', identitiesReturned: [] },
        fact('b', 'f1'),
      ]);

      expect(plan.steps.map((s) => (s.kind === 'rows' ? `rows:${s.run.entries.length + s.run.facts.length}` : s.change.kind))).toEqual([
        'rows:1',
        'purge',
        'rows:1',
        'merge',
        'unmerge',
        'rows:1',
      ]);
      expect(plan.notify).toEqual(['acme:a', 'acme:c', 'acme:b']);
      expect(plan.refreshCounters).toEqual([{ tenantId: T, customerId: 'a' }]);
      expect(plan.refreshFacts).toEqual([{ tenantId: T, customerId: 'b' }]);
    });
  });

  describe('when the batch is empty', () => {
    it('then there is nothing to do', () => {
      expect(planApply([])).toEqual({ steps: [], refreshCounters: [], refreshFacts: [], notify: [] });
    });
  });

  describe('when tenant and customer ids contain the separator of the notification', () => {
    it('then customers are still told apart', () => {
      const plan = planApply([entryOf('b:c', 'e1'), entryOf('c', 'e2', [], 'acme:b')]);
      expect(plan.refreshCounters).toHaveLength(2);
      expect(unionOfCustomers(plan.refreshCounters, [{ tenantId: 'acme', customerId: 'b:c' }])).toHaveLength(2);
    });
  });
});
