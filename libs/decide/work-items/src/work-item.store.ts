import { runDdl } from '@hub/event-store';
import type { Pool } from 'pg';
import { WORK_ITEM_PRIORITIES, type WorkItemEvent, type WorkItemPriority, type WorkItemState } from '@hub/customer';

export const WORK_ITEM_STATUSES = ['open', 'claimed', 'resolved'] as const satisfies readonly WorkItemState['status'][];
export type WorkItemStatus = (typeof WORK_ITEM_STATUSES)[number];

/** One work item as the queue lists it (what `WorkItem*` events said, as of `streamRevision`). */
export interface WorkItemRow {
  tenantId: string;
  workItemId: string;
  customerId: string;
  decisionId: string;
  actionId: string;
  queue: string;
  priority: WorkItemPriority;
  status: WorkItemStatus;
  assignee: string | null;
  openedAt: string;
  dueAt: string;
  resolvedAt: string | null;
  resolution: string | null;
  /** The revision of the customer's stream the row is as of. */
  streamRevision: string;
}

export interface WorkItemFilter {
  queue?: string;
  status?: WorkItemStatus;
  assignee?: string;
  /** At most this many, most urgent first (priority, then due time). */
  limit: number;
}

/**
 * The work items of every customer of a tenant, for queues to be listed. Written by the nba-worker
 * from the customer events topic (`project`), read by the query API (`PostgresWorkItemReader`).
 * The customer's stream stays the record: a claim or resolution is decided on the folded stream,
 * this table only finds the item and lists the queue (eventually consistent with the stream).
 */
export interface WorkItemProjection {
  /** Apply one `WorkItem*` event at its stream revision, once: a redelivered or older event changes nothing and gives false. */
  project(tenantId: string, customerId: string, event: WorkItemEvent, streamRevision: bigint): Promise<boolean>;
  /** A customer's items go with their erasure (they hold no personal data, but nobody works an erased customer's case). */
  forgetCustomer(tenantId: string, customerId: string): Promise<void>;
}

export interface WorkItemQueries {
  list(tenantId: string, filter: WorkItemFilter): Promise<WorkItemRow[]>;
  find(tenantId: string, workItemId: string): Promise<WorkItemRow | undefined>;
}

/** `work_items`: one row per work item, owned by this lib (the nba-worker writes it). Version 1 of `WORK_ITEMS_SCHEMA`. */
export const WORK_ITEMS_DDL = `
create table if not exists work_items (
  tenant_id text not null,
  work_item_id text not null,
  customer_id text not null,
  decision_id text not null,
  action_id text not null,
  queue text not null,
  priority text not null,
  status text not null,
  assignee text,
  opened_at timestamptz not null,
  due_at timestamptz not null,
  resolved_at timestamptz,
  resolution text,
  stream_revision bigint not null,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, work_item_id)
);
create index if not exists work_items_queue on work_items (tenant_id, queue, status, due_at);
create index if not exists work_items_customer on work_items (tenant_id, customer_id);`;

const OPEN = `
insert into work_items (tenant_id, work_item_id, customer_id, decision_id, action_id, queue, priority, status, opened_at, due_at, stream_revision)
values ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10)
on conflict (tenant_id, work_item_id) do nothing`;

/** A later event of the item: applied only past the revision the row is as of (the idempotency guard). */
const CHANGE = `
update work_items set status = $3, assignee = coalesce($4, assignee), resolved_at = coalesce($5, resolved_at),
  resolution = coalesce($6, resolution), stream_revision = $7, updated_at = now()
where tenant_id = $1 and work_item_id = $2 and stream_revision < $7`;

const COLUMNS = `tenant_id, work_item_id, customer_id, decision_id, action_id, queue, priority, status, assignee,
  opened_at, due_at, resolved_at, resolution, stream_revision`;

interface Row {
  tenant_id: string;
  work_item_id: string;
  customer_id: string;
  decision_id: string;
  action_id: string;
  queue: string;
  priority: WorkItemPriority;
  status: WorkItemStatus;
  assignee: string | null;
  opened_at: Date;
  due_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
  stream_revision: string;
}

const rowOf = (r: Row): WorkItemRow => ({
  tenantId: r.tenant_id,
  workItemId: r.work_item_id,
  customerId: r.customer_id,
  decisionId: r.decision_id,
  actionId: r.action_id,
  queue: r.queue,
  priority: r.priority,
  status: r.status,
  assignee: r.assignee,
  openedAt: r.opened_at.toISOString(),
  dueAt: r.due_at.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  resolution: r.resolution,
  streamRevision: String(r.stream_revision),
});

export class PostgresWorkItemStore implements WorkItemProjection, WorkItemQueries {
  private readonly reader: PostgresWorkItemReader;

  constructor(private readonly pool: Pool) {
    this.reader = new PostgresWorkItemReader(pool);
  }

  static async create(pool: Pool): Promise<PostgresWorkItemStore> {
    await runDdl(pool, WORK_ITEMS_DDL);
    return new PostgresWorkItemStore(pool);
  }

  async project(tenantId: string, customerId: string, event: WorkItemEvent, streamRevision: bigint): Promise<boolean> {
    const revision = streamRevision.toString();
    const at = event.metadata.occurredAt;
    let r;
    switch (event.type) {
      case 'WorkItemOpened': {
        const d = event.data;
        r = await this.pool.query(OPEN, [
          tenantId,
          d.workItemId,
          customerId,
          d.decisionId,
          d.actionId,
          d.queue,
          d.priority,
          at,
          d.dueAt,
          revision,
        ]);
        break;
      }
      case 'WorkItemClaimed':
        r = await this.pool.query(CHANGE, [tenantId, event.data.workItemId, 'claimed', event.data.agent, null, null, revision]);
        break;
      case 'WorkItemReassigned':
        r = await this.pool.query(CHANGE, [tenantId, event.data.workItemId, 'claimed', event.data.to, null, null, revision]);
        break;
      case 'WorkItemResolved':
        r = await this.pool.query(CHANGE, [tenantId, event.data.workItemId, 'resolved', null, at, event.data.resolution, revision]);
        break;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
    return (r.rowCount ?? 0) > 0;
  }

  async forgetCustomer(tenantId: string, customerId: string): Promise<void> {
    await this.pool.query('delete from work_items where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
  }

  list(tenantId: string, filter: WorkItemFilter): Promise<WorkItemRow[]> {
    return this.reader.list(tenantId, filter);
  }

  find(tenantId: string, workItemId: string): Promise<WorkItemRow | undefined> {
    return this.reader.find(tenantId, workItemId);
  }
}

/** DI token of the read-only queries (`PostgresWorkItemReader`). */
export const WORK_ITEM_QUERIES = Symbol('WORK_ITEM_QUERIES');

const isUndefinedTable = (err: unknown): boolean => (err as { code?: string }).code === '42P01';

/**
 * The queues, read-only, for a component that does not project them (the query API). Creates
 * nothing: before the worker has created the table no work item was opened, and every queue is empty.
 */
export class PostgresWorkItemReader implements WorkItemQueries {
  constructor(private readonly pool: Pool) {}

  async list(tenantId: string, filter: WorkItemFilter): Promise<WorkItemRow[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    };
    add('queue', filter.queue);
    add('status', filter.status);
    add('assignee', filter.assignee);
    params.push([...WORK_ITEM_PRIORITIES]);
    const priorities = `$${params.length}::text[]`;
    params.push(filter.limit);
    try {
      const r = await this.pool.query<Row>(
        `select ${COLUMNS} from work_items where ${where.join(' and ')}
         order by array_position(${priorities}, priority), due_at, work_item_id limit $${params.length}`,
        params,
      );
      return r.rows.map(rowOf);
    } catch (err) {
      if (isUndefinedTable(err)) return [];
      throw err;
    }
  }

  async find(tenantId: string, workItemId: string): Promise<WorkItemRow | undefined> {
    try {
      const r = await this.pool.query<Row>(`select ${COLUMNS} from work_items where tenant_id = $1 and work_item_id = $2`, [
        tenantId,
        workItemId,
      ]);
      return r.rows[0] ? rowOf(r.rows[0]) : undefined;
    } catch (err) {
      if (isUndefinedTable(err)) return undefined;
      throw err;
    }
  }
}
