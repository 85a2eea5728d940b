import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { HubError, type OccurredAtSource } from '@hub/contracts';
import type { ChurnRiskLevel } from '@hub/customer';
import {
  customerSummaryOfRow,
  PostgresTimelineStore,
  type CustomerSummary,
  type CustomerSummaryRow,
  type SegmentQuadrant,
} from './postgres.timeline.store';
import type { EditHistory, InteractionDetails } from './timeline.projection';
import { SEARCH_COLUMN_DDL, SEARCH_INDEX_DDL, searchQuerySql } from './timeline.search';
import { churnLevelSql } from './timeline.churn';

/**
 * The read side of the timeline read model, for analysts and agents: filtered, cursor-paginated
 * timelines; conversations; customer search; exports read in keyset pages; entries newer than a
 * position in recorded order (live streams). It only reads the tables that `PostgresTimelineStore`
 * writes, plus the few columns and indexes `ensureSchema` adds.
 */
export const TIMELINE_QUERIES = Symbol('TIMELINE_QUERIES');

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
const EXPORT_PAGE_SIZE = 1_000;

/** One timeline entry as the query side returns it. `customerId` is the customer whose stream holds it. */
export interface TimelineItem {
  tenantId: string;
  customerId: string;
  eventId: string;
  streamRevision: string;
  occurredAt: string;
  /**
   * Where `occurredAt` came from: `provider` (the provider's own timestamp) or `received` (the
   * provider sent none: the time the hub received the webhook). Null for entries of interactions
   * recorded before adapters said — unknown, not either.
   */
  occurredAtSource: OccurredAtSource | null;
  recordedAt: string;
  channel: string;
  /** The interaction's thread; null is the channel's default conversation. */
  threadId: string | null;
  direction: string;
  kind: string;
  text: string | null;
  media: { url: string; contentType?: string }[];
  provider: { name: string; messageId: string };
  /** The interaction's facet (call, email, order, survey, delivery, reaction), consent, interactive; null for a plain message. */
  details: InteractionDetails | null;
  /**
   * For a message the customer edited (or unsent): what it said first and every edit, oldest first;
   * `text` and `media` are the latest version's. Null for a message never edited (absent where a
   * reader of another source, such as the CLI's store replay, does not know).
   */
  edited?: EditHistory | null;
}

/** An exported entry: also the customer whose timeline it belongs to (the survivor after a merge). */
export interface ExportedItem extends TimelineItem {
  timelineCustomerId: string;
}

/** An entry with its exact (microsecond) recorded position, for live streams. */
export interface RecordedItem {
  item: TimelineItem;
  position: Position;
}

export interface TimelineFilter {
  channels?: readonly string[];
  directions?: readonly string[];
  kinds?: readonly string[];
  /** occurred_at ≥ from (inclusive): when it happened, the window an analyst means. */
  from?: string;
  /** occurred_at < to (exclusive). */
  to?: string;
  /** recorded_at ≥ recordedFrom (inclusive): when the hub recorded it (ingestion time). */
  recordedFrom?: string;
  /** recorded_at < recordedTo (exclusive). */
  recordedTo?: string;
  /** Only entries recorded at or before this instant (inclusive: the timeline as the hub knew it then). */
  asOf?: string;
  /** Free text: entries whose text matches it (`websearch_to_tsquery` syntax; see timeline.search.ts). */
  q?: string;
}

export interface PageRequest {
  limit?: number;
  /** An opaque cursor from a previous page's `next`. */
  cursor?: string;
}

export interface TimelinePage {
  entries: TimelineItem[];
  /** Pass as `cursor` for the next page; null when this was the last one. */
  next: string | null;
}

export interface Conversation {
  channel: string;
  /** null: the channel's default conversation (entries without a thread). */
  threadId: string | null;
  firstAt: string;
  lastAt: string;
  count: number;
  inbound: number;
  outbound: number;
  lastEventId: string;
  lastDirection: string;
  lastText: string | null;
}

export interface CustomerSearch {
  /** An already normalised identity. */
  identity?: { kind: string; value: string; namespace?: string };
  /** Only this customer (the holder of an identity, as the event store's claim says). */
  customerId?: string;
  /** Channels the customer (or a customer merged into it) used: any of them. */
  channels?: readonly string[];
  /** Preferred channel: any of them. */
  preferredChannels?: readonly string[];
  /** Quadrants (`unknown`: neither value nor satisfaction known yet): any of them. */
  quadrants?: readonly SegmentQuadrant[];
  /**
   * A contact pattern: at least `minContacts` inbound entries on at least `minChannels` channels that
   * happened (occurred_at) in the `withinDays` days up to `now` — on the customer's whole timeline
   * (customers merged into it included). "3+ contacts on 2+ channels in 7 days".
   */
  contacts?: { minContacts: number; minChannels: number; withinDays: number; now: string };
  /** Free text: an entry of the customer's timeline (customers merged into it, at any depth, included) matches it. */
  q?: string;
  /** Churn risk levels as of the read's `now` (the stored level, one step up when gone silent): any of them. */
  churnRisks?: readonly ChurnRiskLevel[];
}

/** What `TimelineQueries.stats` groups by. */
export const STATS_DIMENSIONS = ['channel', 'day', 'direction', 'kind', 'quadrant', 'preferredChannel', 'churnRisk'] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

export interface StatsRow {
  /** The channel, the UTC day (`2025-03-01`), the direction, the kind, or the timeline customer's quadrant / preferred channel / churn risk level as of now (`unknown` when none). */
  key: string;
  /** Entries that happened (occurred_at) in the window. */
  entries: number;
  /** Distinct customers (timelines: a merged-away customer counts as its survivor) with such entries. */
  customers: number;
}

/** A customer as listings show it: the read model's summary (`PostgresTimelineStore`). */
export type CustomerListing = CustomerSummary;

export interface CustomerPage {
  customers: CustomerListing[];
  next: string | null;
}

export interface ExportFilter extends TimelineFilter {
  /** Only these customers' timelines (each with the customers merged into it); all of the tenant's when absent. */
  customerIds?: readonly string[];
  /** A segment instead of a list: timelines of the customers (survivors) in any of these quadrants … */
  quadrants?: readonly SegmentQuadrant[];
  /** … and preferring any of these channels … */
  preferredChannels?: readonly string[];
  /** … and at any of these churn risk levels as of the read's `now`. */
  churnRisks?: readonly ChurnRiskLevel[];
}

/** `alias.quadrant` is any of these (`unknown`: null, neither value nor satisfaction known yet). */
function quadrantCondition(p: Params, alias: string, quadrants: readonly SegmentQuadrant[]): string {
  const known = quadrants.filter((q) => q !== 'unknown');
  const unknown = quadrants.includes('unknown');
  return `(${[...(known.length ? [`${alias}.quadrant = any(${p.add(known)}::text[])`] : []), ...(unknown ? [`${alias}.quadrant is null`] : [])].join(' or ')})`;
}

/** `alias`'s churn level as of `now` is any of these. */
function churnCondition(p: Params, alias: string, levels: readonly ChurnRiskLevel[], now: string): string {
  return `${churnLevelSql(alias, `${p.add(now)}::timestamptz`)} = any(${p.add([...levels])}::text[])`;
}

/** A position in an ordering: a timestamp with microseconds (`…T10:00:00.123456Z`) and a tie-breaking id. */
export interface Position {
  at: string;
  id: string;
}

/** A cursor that is not one of ours, or not for this listing. The caller answers 400. */
export class InvalidCursorError extends HubError {
  readonly code = 'INVALID_CURSOR';
  readonly retryable = false;
  constructor(reason: string) {
    super(`cursor is not valid: ${reason}`);
    this.name = 'InvalidCursorError';
  }
}

/** What a cursor pages through: a cursor of one listing is refused by another. */
export type CursorScope = 'timeline' | 'customers';

const SCOPE_TAG: Record<CursorScope, string> = { timeline: 't', customers: 'c' };
const MICROS_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CURSOR_LENGTH = 512;

/**
 * What a page was read for (tenant, customer, filters), as a short digest: a cursor carries it, and a
 * cursor handed to another query — another customer, other filters — is refused instead of paging
 * that query from a position that means nothing to it.
 */
export function cursorQuery(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

/**
 * Opaque to clients: base64url of `{ v, s, at, id, q }`. The position is exact (microseconds), so no
 * row is skipped or repeated at a page boundary; `q` is the `cursorQuery` digest of the query it pages.
 */
export function encodeCursor(scope: CursorScope, position: Position, query?: string): string {
  return Buffer.from(
    JSON.stringify({ v: 1, s: SCOPE_TAG[scope], at: position.at, id: position.id, ...(query !== undefined ? { q: query } : {}) }),
    'utf8',
  ).toString('base64url');
}

export function decodeCursor(scope: CursorScope, cursor: string, query?: string): Position {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw new InvalidCursorError('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidCursorError('not a cursor');
  const { v, s, at, id, q } = parsed as Record<string, unknown>;
  if (v !== 1) throw new InvalidCursorError('unknown version');
  if (s !== SCOPE_TAG[scope]) throw new InvalidCursorError(`not a ${scope} cursor`);
  if (typeof at !== 'string' || !MICROS_AT.test(at) || Number.isNaN(Date.parse(at))) throw new InvalidCursorError('bad position');
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new InvalidCursorError('bad position');
  if (scope === 'timeline' && !UUID.test(id)) throw new InvalidCursorError('bad position');
  if (query !== undefined && q !== query)
    throw new InvalidCursorError(
      'it pages another query (another customer or other filters): repeat the query that returned it, unchanged',
    );
  return { at, id };
}

/** The page size asked for, or the default; the caller validates the range (1…MAX_PAGE_SIZE) and answers 400 outside it. */
function pageSize(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new RangeError(`limit must be 1…${MAX_PAGE_SIZE}`);
  return n;
}

/** Exact text of a timestamptz (UTC, microseconds) for cursors: a JS Date would drop the microseconds. */
const micros = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const ENTRY_COLUMNS = `e.customer_id, e.event_id, e.stream_revision, e.occurred_at, e.occurred_at_source, e.recorded_at, e.channel, e.thread_id, e.direction, e.kind,
  e.text, e.media, e.provider, e.details, e.edit_history, ${micros('e.occurred_at')} as occurred_key, ${micros('e.recorded_at')} as recorded_key`;

interface EntryRow {
  customer_id: string;
  event_id: string;
  stream_revision: string;
  occurred_at: Date;
  occurred_at_source: OccurredAtSource | null;
  recorded_at: Date;
  channel: string;
  thread_id: string | null;
  direction: string;
  kind: string;
  text: string | null;
  media: TimelineItem['media'];
  provider: TimelineItem['provider'];
  details: InteractionDetails | null;
  edit_history: EditHistory | null;
  occurred_key: string;
  recorded_key: string;
}

function toItem(tenantId: string, row: EntryRow): TimelineItem {
  return {
    tenantId,
    customerId: row.customer_id,
    eventId: row.event_id,
    streamRevision: row.stream_revision,
    occurredAt: row.occurred_at.toISOString(),
    occurredAtSource: row.occurred_at_source,
    recordedAt: row.recorded_at.toISOString(),
    channel: row.channel,
    threadId: row.thread_id,
    direction: row.direction,
    kind: row.kind,
    text: row.text,
    media: row.media,
    provider: row.provider,
    details: row.details,
    edited: row.edit_history,
  };
}

/** Collects positional parameters: `p.add(value)` returns its `$n`. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `where` terms for whose entries: one customer (the usual case) is a plain equality, so the
 * (tenant, customer, occurred_at, event_id) index also gives the order. */
function customerCondition(p: Params, customerIds: readonly string[]): string {
  return customerIds.length === 1 ? `e.customer_id = ${p.add(customerIds[0])}` : `e.customer_id = any(${p.add(customerIds)}::text[])`;
}

/** `where` terms for the filters every entry listing shares. */
function filterConditions(p: Params, filter: TimelineFilter): string[] {
  const where: string[] = [];
  if (filter.channels?.length) where.push(`e.channel = any(${p.add(filter.channels)}::text[])`);
  if (filter.directions?.length) where.push(`e.direction = any(${p.add(filter.directions)}::text[])`);
  if (filter.kinds?.length) where.push(`e.kind = any(${p.add(filter.kinds)}::text[])`);
  if (filter.from) where.push(`e.occurred_at >= ${p.add(filter.from)}::timestamptz`);
  if (filter.to) where.push(`e.occurred_at < ${p.add(filter.to)}::timestamptz`);
  if (filter.recordedFrom) where.push(`e.recorded_at >= ${p.add(filter.recordedFrom)}::timestamptz`);
  if (filter.recordedTo) where.push(`e.recorded_at < ${p.add(filter.recordedTo)}::timestamptz`);
  if (filter.asOf) where.push(`e.recorded_at <= ${p.add(filter.asOf)}::timestamptz`);
  if (filter.q !== undefined) where.push(`e.search @@ ${searchQuerySql(p.add(filter.q))}`);
  return where;
}

function entryConditions(p: Params, tenantId: string, customerIds: readonly string[], filter: TimelineFilter): string[] {
  return [`e.tenant_id = ${p.add(tenantId)}`, customerCondition(p, customerIds), ...filterConditions(p, filter)];
}

/** Columns and indexes the query side needs; the projector fills them (the same DDL as `PostgresTimelineStore`'s). */
const QUERY_COLUMNS: readonly { table: string; column: string; ddl: string }[] = [
  { table: 'timeline_entries', column: 'thread_id', ddl: 'alter table timeline_entries add column if not exists thread_id text' },
  { table: 'timeline_entries', column: 'details', ddl: 'alter table timeline_entries add column if not exists details jsonb' },
  { table: 'timeline_entries', column: 'edit_history', ddl: 'alter table timeline_entries add column if not exists edit_history jsonb' },
  {
    table: 'timeline_customers',
    column: 'preferred_channel',
    ddl: 'alter table timeline_customers add column if not exists preferred_channel text',
  },
  { table: 'timeline_customers', column: 'quadrant', ddl: 'alter table timeline_customers add column if not exists quadrant text' },
  { table: 'timeline_customers', column: 'value', ddl: 'alter table timeline_customers add column if not exists value jsonb' },
  {
    table: 'timeline_customers',
    column: 'satisfaction',
    ddl: 'alter table timeline_customers add column if not exists satisfaction jsonb',
  },
  {
    table: 'timeline_customers',
    column: 'inbound_contacts',
    ddl: 'alter table timeline_customers add column if not exists inbound_contacts integer not null default 0',
  },
  ...['first_inbound_at', 'last_inbound_at', 'last_complaint_at', 'last_cancellation_at', 'last_repeat_contact_at'].map((column) => ({
    table: 'timeline_customers',
    column,
    ddl: `alter table timeline_customers add column if not exists ${column} timestamptz`,
  })),
  { table: 'timeline_customers', column: 'churn_level', ddl: 'alter table timeline_customers add column if not exists churn_level text' },
  {
    table: 'timeline_customers',
    column: 'churn_reasons',
    ddl: 'alter table timeline_customers add column if not exists churn_reasons text[]',
  },
  { table: 'timeline_entries', column: 'search', ddl: SEARCH_COLUMN_DDL },
  {
    table: 'timeline_entries',
    column: 'occurred_at_source',
    ddl: 'alter table timeline_entries add column if not exists occurred_at_source text',
  },
];
const QUERY_INDEXES: readonly { name: string; ddl: string }[] = [
  // Customer search pages oldest first.
  {
    name: 'timeline_customers_first_seen',
    ddl: 'create index if not exists timeline_customers_first_seen on timeline_customers (tenant_id, first_seen_at, customer_id)',
  },
  // Every timeline read looks up the customers merged into this one.
  {
    name: 'timeline_customers_merged',
    ddl: 'create index if not exists timeline_customers_merged on timeline_customers (tenant_id, merged_into) where merged_into is not null',
  },
  { name: 'timeline_entries_search', ddl: SEARCH_INDEX_DDL },
];

/** The query side's columns and indexes as one script (idempotent): part of the timeline's version 1. */
export const TIMELINE_QUERY_DDL = [...QUERY_COLUMNS.map((c) => c.ddl), ...QUERY_INDEXES.map((i) => i.ddl)].join(';\n');

export class TimelineQueries {
  constructor(private readonly pool: Pool) {}

  /**
   * Makes sure the read model can be queried: creates the store's tables only if they are missing,
   * then adds the query side's columns and indexes. When the tables exist, their migrations are the
   * projector's: its DDL (several `alter table`s in one transaction) takes table locks that deadlock
   * with the projector's own writes if a reader runs it meanwhile. Each statement here locks one
   * table, and only when something is missing; the catalog is checked first.
   */
  async ensureSchema(): Promise<void> {
    const missing = await this.pool.query<{ missing: boolean }>(
      `select bool_or(to_regclass(t) is null) as missing from unnest(array['timeline_entries', 'timeline_customers', 'timeline_identities', 'timeline_erased']) as t`,
    );
    if (missing.rows[0]?.missing) await new PostgresTimelineStore(this.pool).ensureSchema();
    const client = await this.pool.connect();
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', ['hub.timeline.schema']);
      const columns = await client.query<{ table_name: string; column_name: string }>(
        `select table_name, column_name from information_schema.columns where table_schema = current_schema() and table_name = any($1::text[])`,
        [[...new Set(QUERY_COLUMNS.map((c) => c.table))]],
      );
      const have = new Set(columns.rows.map((r) => `${r.table_name}.${r.column_name}`));
      for (const c of QUERY_COLUMNS) if (!have.has(`${c.table}.${c.column}`)) await client.query(c.ddl);
      for (const i of QUERY_INDEXES) {
        const exists = await client.query<{ present: boolean }>('select to_regclass($1) is not null as present', [i.name]);
        if (!exists.rows[0]?.present) await client.query(i.ddl);
      }
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', ['hub.timeline.schema']).catch(() => undefined);
      client.release();
    }
  }

  /**
   * Does this database hold a timeline read model (entries and customers)? False where the projector
   * never ran: an operator's tool says so instead of failing on a missing table. Creates nothing.
   */
  async hasReadModel(): Promise<boolean> {
    const r = await this.pool.query<{ present: boolean }>(
      "select to_regclass('timeline_entries') is not null and to_regclass('timeline_customers') is not null as present",
    );
    return r.rows[0]?.present === true;
  }

  /**
   * A customer's whole timeline, for an operator's tool (`hub timeline`): its entries and those of the
   * customers merged into it at any depth, by `(occurred_at, event_id)`, each with the timeline it
   * shows in (the top survivor of its customer's merge chain), recorded at or before `asOf` when
   * given. Undefined when the read model knows nothing of the customer (no summary, no entry). Not
   * paged: one customer's history at a time.
   */
  async wholeTimeline(
    tenantId: string,
    customerId: string,
    filter: Pick<TimelineFilter, 'asOf'> = {},
  ): Promise<ExportedItem[] | undefined> {
    const known = await this.pool.query(
      'select 1 from timeline_customers where tenant_id = $1 and customer_id = $2 union all select 1 from timeline_entries where tenant_id = $1 and customer_id = $2 limit 1',
      [tenantId, customerId],
    );
    if (known.rowCount === 0) return undefined;
    const members = await this.timelineMembers(tenantId, customerId);
    const p = new Params();
    const where = entryConditions(p, tenantId, members, filter.asOf === undefined ? {} : { asOf: filter.asOf });
    const r = await this.pool.query<EntryRow>(
      `select ${ENTRY_COLUMNS} from timeline_entries e where ${where.join(' and ')} order by e.occurred_at, e.event_id`,
      p.values,
    );
    const top = await this.timelineCustomers(tenantId, [...new Set(r.rows.map((row) => row.customer_id))]);
    return r.rows.map((row) => ({ ...toItem(tenantId, row), timelineCustomerId: top.get(row.customer_id) ?? row.customer_id }));
  }

  /** Is there a timeline summary for this customer in this tenant (merged-away customers included)? */
  async customerExists(tenantId: string, customerId: string): Promise<boolean> {
    const r = await this.pool.query('select 1 from timeline_customers where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Which of `customerIds` have no timeline in this tenant. */
  async unknownCustomers(tenantId: string, customerIds: readonly string[]): Promise<string[]> {
    if (customerIds.length === 0) return [];
    const r = await this.pool.query<{ customer_id: string }>(
      'select customer_id from timeline_customers where tenant_id = $1 and customer_id = any($2::text[])',
      [tenantId, [...customerIds]],
    );
    const known = new Set(r.rows.map((row) => row.customer_id));
    return [...new Set(customerIds)].filter((id) => !known.has(id));
  }

  /**
   * The customers whose entries make up this customer's timeline: itself, then those whose
   * `merged_into` leads to it, at any depth (one merged into a customer later merged into this one),
   * as the summary (`PostgresTimelineStore.getCustomer`) counts them.
   */
  async timelineMembers(tenantId: string, customerId: string): Promise<string[]> {
    return this.withMerged(tenantId, [customerId]);
  }

  private async withMerged(tenantId: string, customerIds: readonly string[]): Promise<string[]> {
    const r = await this.pool.query<{ customer_id: string }>(
      `with recursive members(customer_id) as (
         select c.customer_id from timeline_customers c where c.tenant_id = $1 and c.merged_into = any($2::text[])
         union
         select c.customer_id from timeline_customers c join members m on c.tenant_id = $1 and c.merged_into = m.customer_id)
       select customer_id from members order by customer_id`,
      [tenantId, [...customerIds]],
    );
    return [...new Set([...customerIds, ...r.rows.map((row) => row.customer_id)])];
  }

  /**
   * The timeline each customer's entries show in: the customer its `merged_into` chain ends at (itself
   * when not merged). One query for a page's customers.
   */
  private async timelineCustomers(tenantId: string, customerIds: readonly string[]): Promise<Map<string, string>> {
    const r = await this.pool.query<{ customer_id: string; top: string }>(
      `with recursive up(customer_id, current, next) as (
         select c.customer_id, c.customer_id, c.merged_into from timeline_customers c where c.tenant_id = $1 and c.customer_id = any($2::text[])
         union
         select u.customer_id, c.customer_id, c.merged_into from up u join timeline_customers c on c.tenant_id = $1 and c.customer_id = u.next)
       select customer_id, current as top from up where next is null`,
      [tenantId, [...new Set(customerIds)]],
    );
    return new Map(r.rows.map((row) => [row.customer_id, row.top]));
  }

  /**
   * A customer's timeline in the order things happened, `(occurred_at, event_id)`, one page at a time.
   * The cursor is a position, not an offset: an entry that arrives late, before the position, does not
   * shift later pages (it shows when the timeline is read again from the start).
   */
  async timeline(tenantId: string, customerId: string, filter: TimelineFilter = {}, page: PageRequest = {}): Promise<TimelinePage> {
    const limit = pageSize(page.limit);
    const query = cursorQuery('timeline', tenantId, customerId, filter);
    const after = page.cursor === undefined ? undefined : decodeCursor('timeline', page.cursor, query);
    const members = await this.timelineMembers(tenantId, customerId);
    const p = new Params();
    const where = entryConditions(p, tenantId, members, filter);
    if (after) where.push(`(e.occurred_at, e.event_id) > (${p.add(after.at)}::timestamptz, ${p.add(after.id)}::uuid)`);
    const r = await this.pool.query<EntryRow>(
      `select ${ENTRY_COLUMNS} from timeline_entries e where ${where.join(' and ')} order by e.occurred_at, e.event_id limit ${p.add(limit + 1)}`,
      p.values,
    );
    const rows = r.rows.slice(0, limit);
    const last = rows.at(-1);
    return {
      entries: rows.map((row) => toItem(tenantId, row)),
      next: r.rows.length > limit && last ? encodeCursor('timeline', { at: last.occurred_key, id: last.event_id }, query) : null,
    };
  }

  /**
   * The timeline grouped into conversations: one per channel thread (entries without a thread form the
   * channel's default conversation), most recently active first.
   */
  async conversations(
    tenantId: string,
    customerId: string,
    filter: Pick<TimelineFilter, 'channels' | 'asOf'> = {},
  ): Promise<Conversation[]> {
    const members = await this.timelineMembers(tenantId, customerId);
    const p = new Params();
    const where = entryConditions(p, tenantId, members, filter);
    const latest = (column: string) => `(array_agg(${column} order by e.occurred_at desc, e.event_id desc))[1]`;
    const r = await this.pool.query<{
      channel: string;
      thread_id: string | null;
      first_at: Date;
      last_at: Date;
      count: number;
      inbound: number;
      outbound: number;
      last_event_id: string;
      last_direction: string;
      last_text: string | null;
    }>(
      `select e.channel, e.thread_id, min(e.occurred_at) as first_at, max(e.occurred_at) as last_at, count(*)::int as count,
              (count(*) filter (where e.direction = 'inbound'))::int as inbound, (count(*) filter (where e.direction = 'outbound'))::int as outbound,
              ${latest('e.event_id')} as last_event_id, ${latest('e.direction')} as last_direction, ${latest('e.text')} as last_text
         from timeline_entries e
        where ${where.join(' and ')}
        group by e.channel, e.thread_id
        order by max(e.occurred_at) desc, e.channel, e.thread_id nulls first`,
      p.values,
    );
    return r.rows.map((row) => ({
      channel: row.channel,
      threadId: row.thread_id,
      firstAt: row.first_at.toISOString(),
      lastAt: row.last_at.toISOString(),
      count: row.count,
      inbound: row.inbound,
      outbound: row.outbound,
      lastEventId: row.last_event_id,
      lastDirection: row.last_direction,
      lastText: row.last_text,
    }));
  }

  /**
   * Customers (not merged into another), oldest first, filtered by whichever criteria are given.
   * A customer whose first-seen time moves earlier (a late first event) may be missed by a walk that
   * is already past that time.
   */
  async searchCustomers(
    tenantId: string,
    search: CustomerSearch = {},
    page: PageRequest = {},
    { now = new Date().toISOString() }: { now?: string } = {},
  ): Promise<CustomerPage> {
    const limit = pageSize(page.limit);
    // `contacts.now` moves with every request: the pattern, not the moment, is what the cursor pages.
    const query = cursorQuery(
      'customers',
      tenantId,
      search.contacts ? { ...search, contacts: { ...search.contacts, now: undefined } } : search,
    );
    const after = page.cursor === undefined ? undefined : decodeCursor('customers', page.cursor, query);
    const p = new Params();
    const t = p.add(tenantId);
    const where = [`c.tenant_id = ${t}`, 'c.merged_into is null'];
    if (search.identity) {
      const i = search.identity;
      where.push(
        `c.customer_id in (select customer_id from timeline_identities where tenant_id = ${t} and kind = ${p.add(i.kind)} and namespace = ${p.add(i.namespace ?? '')} and value = ${p.add(i.value)})`,
      );
    }
    if (search.customerId !== undefined) where.push(`c.customer_id = ${p.add(search.customerId)}`);
    if (search.channels?.length) {
      const ch = p.add([...search.channels]);
      where.push(
        `(c.channels && ${ch}::text[] or exists (select 1 from timeline_customers m where m.tenant_id = c.tenant_id and m.merged_into = c.customer_id and m.channels && ${ch}::text[]))`,
      );
    }
    if (search.preferredChannels?.length) where.push(`c.preferred_channel = any(${p.add([...search.preferredChannels])}::text[])`);
    if (search.quadrants?.length) where.push(quadrantCondition(p, 'c', search.quadrants));
    if (search.churnRisks?.length) where.push(churnCondition(p, 'c', search.churnRisks, now));
    if (search.contacts) {
      const k = search.contacts;
      where.push(
        `exists (select 1 from timeline_entries x
                  where x.tenant_id = c.tenant_id and x.direction = 'inbound'
                    and x.customer_id in (select c.customer_id union all select m.customer_id from timeline_customers m where m.tenant_id = c.tenant_id and m.merged_into = c.customer_id)
                    and x.occurred_at > ${p.add(k.now)}::timestamptz - make_interval(days => ${p.add(k.withinDays)}::int)
                    and x.occurred_at <= ${p.add(k.now)}::timestamptz
                  having count(*) >= ${p.add(k.minContacts)}::int and count(distinct x.channel) >= ${p.add(k.minChannels)}::int)`,
      );
    }
    if (search.q !== undefined) {
      // From the matching entries (the GIN index) up each one's merge chain to its timeline's customer.
      where.push(
        `c.customer_id in (
           with recursive hits as (select distinct x.customer_id from timeline_entries x where x.tenant_id = ${t} and x.search @@ ${searchQuerySql(p.add(search.q))}),
           up(customer_id, merged_into) as (
             select m.customer_id, m.merged_into from timeline_customers m join hits h on m.tenant_id = ${t} and m.customer_id = h.customer_id
             union
             select m.customer_id, m.merged_into from timeline_customers m join up u on m.tenant_id = ${t} and m.customer_id = u.merged_into)
           select customer_id from up where merged_into is null)`,
      );
    }
    if (after) where.push(`(c.first_seen_at, c.customer_id) > (${p.add(after.at)}::timestamptz, ${p.add(after.id)})`);
    const r = await this.pool.query<CustomerSummaryRow & { customer_id: string; first_key: string }>(
      `select c.customer_id, c.first_seen_at, c.last_seen_at, c.interactions, c.channels, c.preferred_channel, c.value, c.satisfaction, c.quadrant,
              c.churn_level, c.churn_reasons, c.inbound_contacts, c.first_inbound_at, c.last_inbound_at,
              ${micros('c.first_seen_at')} as first_key
         from timeline_customers c
        where ${where.join(' and ')}
        order by c.first_seen_at, c.customer_id limit ${p.add(limit + 1)}`,
      p.values,
    );
    const rows = r.rows.slice(0, limit);
    const identities = await this.identitiesOf(
      tenantId,
      rows.map((row) => row.customer_id),
    );
    const last = rows.at(-1);
    return {
      customers: rows.map((row) => customerSummaryOfRow(tenantId, row.customer_id, row, identities.get(row.customer_id) ?? [], now)),
      next: r.rows.length > limit && last ? encodeCursor('customers', { at: last.first_key, id: last.customer_id }, query) : null,
    };
  }

  private async identitiesOf(tenantId: string, customerIds: readonly string[]): Promise<Map<string, CustomerListing['identities']>> {
    const out = new Map<string, CustomerListing['identities']>();
    if (customerIds.length === 0) return out;
    const r = await this.pool.query<{ customer_id: string; kind: string; namespace: string; value: string }>(
      'select customer_id, kind, namespace, value from timeline_identities where tenant_id = $1 and customer_id = any($2::text[]) order by customer_id, kind, value',
      [tenantId, [...customerIds]],
    );
    for (const row of r.rows) {
      const list = out.get(row.customer_id) ?? [];
      list.push(row.namespace ? { kind: row.kind, namespace: row.namespace, value: row.value } : { kind: row.kind, value: row.value });
      out.set(row.customer_id, list);
    }
    return out;
  }

  /**
   * Every entry of the selection, customer by customer and in time order within each, read in keyset pages
   * (no long transaction, no client held between pages). Each page is one yielded array; stop iterating
   * to stop reading.
   */
  async *exportEntries(
    tenantId: string,
    filter: ExportFilter = {},
    { pageSize: size = EXPORT_PAGE_SIZE, now = new Date().toISOString() }: { pageSize?: number; now?: string } = {},
  ): AsyncGenerator<ExportedItem[]> {
    const members = filter.customerIds ? await this.withMerged(tenantId, filter.customerIds) : undefined;
    if (members?.length === 0) return;
    let after: { customerId: string; at: string; id: string } | undefined;
    for (;;) {
      const p = new Params();
      const where = [`e.tenant_id = ${p.add(tenantId)}`];
      if (members) where.push(customerCondition(p, members));
      if (filter.quadrants?.length || filter.preferredChannels?.length || filter.churnRisks?.length) {
        // The segment is of timelines: a merged-away customer's entries go with its survivor's segment.
        const segment = [`s.tenant_id = e.tenant_id`, 's.merged_into is null'];
        if (filter.quadrants?.length) segment.push(quadrantCondition(p, 's', filter.quadrants));
        if (filter.preferredChannels?.length) segment.push(`s.preferred_channel = any(${p.add([...filter.preferredChannels])}::text[])`);
        if (filter.churnRisks?.length) segment.push(churnCondition(p, 's', filter.churnRisks, now));
        where.push(
          `coalesce(c.merged_into, e.customer_id) in (select s.customer_id from timeline_customers s where ${segment.join(' and ')})`,
        );
      }
      where.push(...filterConditions(p, filter));
      if (after)
        where.push(
          `(e.customer_id, e.occurred_at, e.event_id) > (${p.add(after.customerId)}, ${p.add(after.at)}::timestamptz, ${p.add(after.id)}::uuid)`,
        );
      const r = await this.pool.query<EntryRow & { timeline_customer_id: string }>(
        `select ${ENTRY_COLUMNS}, coalesce(c.merged_into, e.customer_id) as timeline_customer_id
           from timeline_entries e
           left join timeline_customers c on c.tenant_id = e.tenant_id and c.customer_id = e.customer_id
          where ${where.join(' and ')}
          order by e.customer_id, e.occurred_at, e.event_id limit ${p.add(size)}`,
        p.values,
      );
      if (r.rows.length > 0) {
        // A customer merged into one later merged away shows in the top survivor's timeline.
        const merged = r.rows.filter((row) => row.timeline_customer_id !== row.customer_id).map((row) => row.timeline_customer_id);
        const top = merged.length > 0 ? await this.timelineCustomers(tenantId, merged) : new Map<string, string>();
        yield r.rows.map((row) => ({
          ...toItem(tenantId, row),
          timelineCustomerId: top.get(row.timeline_customer_id) ?? row.timeline_customer_id,
        }));
      }
      const last = r.rows.at(-1);
      if (!last || r.rows.length < size) return;
      after = { customerId: last.customer_id, at: last.occurred_key, id: last.event_id };
    }
  }

  /**
   * Counts for charts: entries that happened in the window (and match the filters), and the distinct
   * customers behind them, grouped by one dimension. Customer dimensions (quadrant, preferred channel,
   * churn risk) are the timeline customer's — the survivor's for a merged-away customer's entries; the
   * churn risk is as of `now` (when read), not as of the window.
   */
  async stats(
    tenantId: string,
    by: StatsDimension,
    filter: TimelineFilter = {},
    { now = new Date().toISOString() }: { now?: string } = {},
  ): Promise<StatsRow[]> {
    const p = new Params();
    const where = [`e.tenant_id = ${p.add(tenantId)}`, ...filterConditions(p, filter)];
    const key: Record<StatsDimension, string> = {
      channel: 'e.channel',
      day: `to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD')`,
      direction: 'e.direction',
      kind: 'e.kind',
      quadrant: `coalesce(t.quadrant, 'unknown')`,
      preferredChannel: `coalesce(t.preferred_channel, 'unknown')`,
      churnRisk: by === 'churnRisk' ? churnLevelSql('t', `${p.add(now)}::timestamptz`) : '',
    };
    const r = await this.pool.query<{ key: string; entries: string; customers: string }>(
      `select ${key[by]} as key, count(*) as entries, count(distinct coalesce(c.merged_into, e.customer_id)) as customers
         from timeline_entries e
         left join timeline_customers c on c.tenant_id = e.tenant_id and c.customer_id = e.customer_id
         left join timeline_customers t on t.tenant_id = e.tenant_id and t.customer_id = coalesce(c.merged_into, e.customer_id)
        where ${where.join(' and ')}
        group by 1 order by 1`,
      p.values,
    );
    return r.rows.map((row) => ({ key: row.key, entries: Number(row.entries), customers: Number(row.customers) }));
  }

  /** The exact recorded position of an entry of this tenant (to resume a live stream after it). */
  async recordedPosition(tenantId: string, eventId: string): Promise<Position | undefined> {
    if (!UUID.test(eventId)) return undefined;
    const r = await this.pool.query<{ recorded_key: string }>(
      `select ${micros('recorded_at')} as recorded_key from timeline_entries where tenant_id = $1 and event_id = $2`,
      [tenantId, eventId],
    );
    const row = r.rows[0];
    return row ? { at: row.recorded_key, id: eventId } : undefined;
  }

  /** Entries of these customers recorded after `after`, in recorded order `(recorded_at, event_id)`. */
  async entriesRecordedAfter(
    tenantId: string,
    customerIds: readonly string[],
    after: Position,
    limit = MAX_PAGE_SIZE,
  ): Promise<RecordedItem[]> {
    if (customerIds.length === 0) return [];
    const p = new Params();
    const where = entryConditions(p, tenantId, customerIds, {});
    where.push(`(e.recorded_at, e.event_id) > (${p.add(after.at)}::timestamptz, ${p.add(after.id)}::uuid)`);
    const r = await this.pool.query<EntryRow>(
      `select ${ENTRY_COLUMNS} from timeline_entries e where ${where.join(' and ')} order by e.recorded_at, e.event_id limit ${p.add(limit)}`,
      p.values,
    );
    return r.rows.map((row) => ({ item: toItem(tenantId, row), position: { at: row.recorded_key, id: row.event_id } }));
  }
}
