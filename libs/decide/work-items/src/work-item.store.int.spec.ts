import { Pool } from 'pg';
import { freshDatabase, freshId, testInfra } from '@hub/testing';
import type { EventMetadata } from '@hub/contracts';
import type { WorkItemEvent, WorkItemPriority } from '@hub/customer';
import { PostgresWorkItemReader, PostgresWorkItemStore } from './work-item.store';

let pool: Pool;
let store: PostgresWorkItemStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 8 });
  // Two workers booting at once both ensure the table.
  [store] = await Promise.all([PostgresWorkItemStore.create(pool), PostgresWorkItemStore.create(pool)]);
});
afterAll(() => pool.end());

const meta = (tenantId: string, occurredAt: string): EventMetadata => ({
  eventId: freshId('ev'),
  correlationId: 'c',
  causationId: 'c',
  occurredAt,
  recordedAt: occurredAt,
  schemaVersion: 1,
  tenantId,
  channel: 'system',
});

const opened = (tenantId: string, o: { queue?: string; priority?: WorkItemPriority; dueAt?: string } = {}): WorkItemEvent => ({
  type: 'WorkItemOpened',
  data: {
    workItemId: freshId('wi'),
    decisionId: freshId('d'),
    actionId: 'escalate_specialist',
    queue: o.queue ?? 'specialists',
    priority: o.priority ?? 'normal',
    dueAt: o.dueAt ?? '2026-12-07T12:00:00.000Z',
  },
  metadata: meta(tenantId, '2026-12-07T10:00:00.000Z'),
});

describe('PostgresWorkItemStore', () => {
  describe('when an item is opened, claimed and resolved, and the events are redelivered', () => {
    it('lists it as the latest event says, whatever arrives again', async () => {
      const tenantId = freshId('tn');
      const open = opened(tenantId);
      const id = open.data.workItemId;
      const claimed: WorkItemEvent = {
        type: 'WorkItemClaimed',
        data: { workItemId: id, agent: 'ann' },
        metadata: meta(tenantId, '2026-12-07T10:05:00.000Z'),
      };
      const resolved: WorkItemEvent = {
        type: 'WorkItemResolved',
        data: { workItemId: id, resolution: 'solved', by: 'ann' },
        metadata: meta(tenantId, '2026-12-07T10:30:00.000Z'),
      };
      expect(await store.project(tenantId, 'cust-1', open, 3n)).toBe(true);
      expect(await store.project(tenantId, 'cust-1', claimed, 4n)).toBe(true);
      expect(await store.project(tenantId, 'cust-1', resolved, 6n)).toBe(true);
      // Redelivered from an earlier offset: nothing moves back.
      expect(await store.project(tenantId, 'cust-1', open, 3n)).toBe(false);
      expect(await store.project(tenantId, 'cust-1', claimed, 4n)).toBe(false);
      expect(await store.find(tenantId, id)).toEqual({
        tenantId,
        workItemId: id,
        customerId: 'cust-1',
        decisionId: open.type === 'WorkItemOpened' ? open.data.decisionId : '',
        actionId: 'escalate_specialist',
        queue: 'specialists',
        priority: 'normal',
        status: 'resolved',
        assignee: 'ann',
        openedAt: '2026-12-07T10:00:00.000Z',
        dueAt: '2026-12-07T12:00:00.000Z',
        resolvedAt: '2026-12-07T10:30:00.000Z',
        resolution: 'solved',
        streamRevision: '6',
      });
    });
  });

  describe('when a queue is listed', () => {
    it('gives the tenant’s items of that queue and status, most urgent first, then by due time', async () => {
      const [tenantId, other] = [freshId('tn'), freshId('tn')];
      const low = opened(tenantId, { priority: 'low', dueAt: '2026-12-07T09:00:00.000Z' });
      const urgentLater = opened(tenantId, { priority: 'urgent', dueAt: '2026-12-07T15:00:00.000Z' });
      const urgentSooner = opened(tenantId, { priority: 'urgent', dueAt: '2026-12-07T11:00:00.000Z' });
      const elsewhere = opened(tenantId, { queue: 'managers', priority: 'urgent' });
      const othersTenant = opened(other, { priority: 'urgent' });
      for (const [n, e] of [low, urgentLater, urgentSooner, elsewhere].entries()) await store.project(tenantId, `c-${n}`, e, 1n);
      await store.project(other, 'c-x', othersTenant, 1n);
      const ids = (rows: { workItemId: string }[]) => rows.map((r) => r.workItemId);
      const idOf = (e: WorkItemEvent) => e.data.workItemId;

      expect(ids(await store.list(tenantId, { queue: 'specialists', limit: 10 }))).toEqual([urgentSooner, urgentLater, low].map(idOf));
      expect(ids(await store.list(tenantId, { queue: 'specialists', limit: 2 }))).toEqual([urgentSooner, urgentLater].map(idOf));
      await store.project(
        tenantId,
        'c-0',
        { type: 'WorkItemClaimed', data: { workItemId: idOf(low), agent: 'bob' }, metadata: meta(tenantId, '2026-12-07T10:01:00.000Z') },
        2n,
      );
      expect(ids(await store.list(tenantId, { status: 'claimed', limit: 10 }))).toEqual([idOf(low)]);
      expect(ids(await store.list(tenantId, { assignee: 'bob', limit: 10 }))).toEqual([idOf(low)]);
      expect(await store.find(other, idOf(low))).toBeUndefined();
    });
  });

  describe('when the customer is erased', () => {
    it('drops their items from the queues', async () => {
      const tenantId = freshId('tn');
      const open = opened(tenantId);
      await store.project(tenantId, 'gone', open, 1n);
      await store.forgetCustomer(tenantId, 'gone');
      expect(await store.find(tenantId, open.data.workItemId)).toBeUndefined();
    });
  });
});

describe('PostgresWorkItemReader', () => {
  it('given a database where no worker created the table yet, then every queue is empty and no item is found', async () => {
    const database = await freshDatabase('wi_empty');
    const empty = new Pool({ connectionString: database.url, max: 1 });
    try {
      const reader = new PostgresWorkItemReader(empty);
      expect(await reader.list('t', { limit: 10 })).toEqual([]);
      expect(await reader.find('t', 'x')).toBeUndefined();
    } finally {
      await empty.end();
      await database.drop();
    }
  });
});
