import type { Pool } from 'pg';
import type { OccurredAtSource } from '@hub/contracts';
import type { InteractionDetails, TimelineItem } from '@hub/timeline';
import { CliFailure } from '../cli.errors';

/**
 * Rows of the live timeline read model (`timeline_entries`, in the connection's default schema),
 * as the CLI prints and exports them. `customerId` is the customer whose stream holds the entry;
 * `timelineCustomerId` the customer whose timeline shows it (the survivor once merged).
 */
export interface TimelineRow extends TimelineItem {
  /** The customer whose timeline shows the entry (the survivor once merged). */
  timelineCustomerId: string;
}

export interface EntryRecord {
  tenant_id: string;
  customer_id: string;
  timeline_customer_id: string;
  event_id: string;
  stream_revision: string;
  occurred_at: Date;
  /** `occurred_at` as PostgreSQL prints it: exact to the microsecond, for keyset cursors. */
  occurred_key: string;
  occurred_at_source: OccurredAtSource | null;
  recorded_at: Date;
  channel: string;
  thread_id: string | null;
  direction: string;
  kind: string;
  text: string | null;
  media: TimelineRow['media'];
  provider: TimelineRow['provider'];
  details: InteractionDetails | null;
}

export const ENTRY_COLUMNS = `e.tenant_id, e.customer_id, coalesce(c.merged_into, e.customer_id) as timeline_customer_id, e.event_id,
  e.stream_revision::text as stream_revision, e.occurred_at, e.occurred_at::text as occurred_key, e.occurred_at_source, e.recorded_at, e.channel, e.thread_id,
  e.direction, e.kind, e.text, e.media, e.provider, e.details`;

export const ENTRY_FROM =
  'timeline_entries e left join timeline_customers c on c.tenant_id = e.tenant_id and c.customer_id = e.customer_id';

export function toTimelineRow(r: EntryRecord): TimelineRow {
  return {
    tenantId: r.tenant_id,
    customerId: r.customer_id,
    timelineCustomerId: r.timeline_customer_id,
    eventId: r.event_id,
    streamRevision: r.stream_revision,
    occurredAt: r.occurred_at.toISOString(),
    occurredAtSource: r.occurred_at_source,
    recordedAt: r.recorded_at.toISOString(),
    channel: r.channel,
    threadId: r.thread_id,
    direction: r.direction,
    kind: r.kind,
    text: r.text,
    media: r.media,
    provider: { name: r.provider.name, messageId: r.provider.messageId },
    details: r.details,
  };
}

/** Fails readably when the database has no timeline read model (the projector never ran there). */
export async function requireReadModel(pool: Pool, where = 'this database'): Promise<void> {
  const r = await pool.query<{ entries: string | null; customers: string | null }>(
    "select to_regclass('timeline_entries')::text as entries, to_regclass('timeline_customers')::text as customers",
  );
  if (!r.rows[0]?.entries || !r.rows[0].customers)
    throw new CliFailure(
      'CLI_NO_READ_MODEL',
      `${where} has no timeline read model (timeline_entries): has the timeline projector ever run against it?`,
    );
}

/**
 * The customer and those whose `merged_into` leads to it at any depth (their entries show in its
 * timeline), as the query API does.
 */
export async function timelineMembers(pool: Pool, tenantId: string, customerIds: readonly string[]): Promise<string[]> {
  const r = await pool.query<{ customer_id: string }>(
    `with recursive members(customer_id) as (
       select c.customer_id from timeline_customers c where c.tenant_id = $1 and c.merged_into = any($2::text[])
       union
       select c.customer_id from timeline_customers c join members m on c.tenant_id = $1 and c.merged_into = m.customer_id)
     select customer_id from members`,
    [tenantId, customerIds],
  );
  return [...new Set([...customerIds, ...r.rows.map((row) => row.customer_id)])];
}

/**
 * The rows with `timeline_customer_id` the customer each one's `merged_into` chain ends at (the top
 * survivor, whose timeline shows it), not only the first step of it (`ENTRY_COLUMNS`).
 */
export async function withTopSurvivors(pool: Pool, tenantId: string, rows: EntryRecord[]): Promise<EntryRecord[]> {
  const merged = [...new Set(rows.filter((r) => r.timeline_customer_id !== r.customer_id).map((r) => r.timeline_customer_id))];
  if (merged.length === 0) return rows;
  const r = await pool.query<{ customer_id: string; top: string }>(
    `with recursive up(customer_id, current, next) as (
       select c.customer_id, c.customer_id, c.merged_into from timeline_customers c where c.tenant_id = $1 and c.customer_id = any($2::text[])
       union
       select u.customer_id, c.customer_id, c.merged_into from up u join timeline_customers c on c.tenant_id = $1 and c.customer_id = u.next)
     select customer_id, current as top from up where next is null`,
    [tenantId, merged],
  );
  const top = new Map(r.rows.map((row) => [row.customer_id, row.top]));
  return rows.map((row) => ({ ...row, timeline_customer_id: top.get(row.timeline_customer_id) ?? row.timeline_customer_id }));
}
