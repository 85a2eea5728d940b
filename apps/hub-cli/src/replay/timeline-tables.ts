import { escapeIdentifier, type ClientBase, type Pool } from 'pg';
import { PostgresTimelineStore } from '@hub/timeline';

/**
 * The tables `PostgresTimelineStore` writes (its DDL in libs/timeline): what a rebuild produces and
 * a takeover replaces. Every one has a `tenant_id` column. Keep in step with the library.
 */
export const TIMELINE_TABLES = ['timeline_entries', 'timeline_customers', 'timeline_identities', 'timeline_erased'] as const;
export type TimelineTable = (typeof TIMELINE_TABLES)[number];

/**
 * The processor id the timeline projector keeps its checkpoint under: `TIMELINE_PROJECTION_ID` in
 * apps/timeline-projector/src/projector.module.ts, duplicated because an app cannot import another
 * app (it belongs in @hub/timeline). `hub replay --projection-id` overrides it.
 */
export const LIVE_TIMELINE_PROJECTION_ID = 'timeline.v1';

/** `<schema>.<table>`, both quoted. */
export const qualified = (schema: string, table: string): string => `${escapeIdentifier(schema)}.${escapeIdentifier(table)}`;

/** The schema the apps' unqualified `timeline_*` tables resolve to: the live read model. */
export async function liveSchema(pool: Pool): Promise<string> {
  const r = await pool.query<{ s: string }>('select current_schema() as s');
  return r.rows[0]!.s;
}

/** Creates the live read model's tables when the database has none yet (a rebuild into a new environment). */
export async function ensureLiveReadModel(pool: Pool): Promise<void> {
  const r = await pool.query<{ t: string | null }>("select to_regclass('timeline_entries')::text as t");
  if (!r.rows[0]?.t) await new PostgresTimelineStore(pool).ensureSchema();
}

/** Columns of `table` in each schema: what both have, and what only one has. */
export async function columnsOf(db: Pool | ClientBase, table: string, live: string, rebuilt: string): Promise<{ common: string[]; onlyLive: string[]; onlyRebuilt: string[] }> {
  const r = await db.query<{ table_schema: string; column_name: string }>(
    'select table_schema, column_name from information_schema.columns where table_name = $1 and table_schema = any($2::text[]) order by ordinal_position',
    [table, [live, rebuilt]],
  );
  const l = r.rows.filter((c) => c.table_schema === live).map((c) => c.column_name);
  const b = new Set(r.rows.filter((c) => c.table_schema === rebuilt).map((c) => c.column_name));
  return { common: l.filter((c) => b.has(c)), onlyLive: l.filter((c) => !b.has(c)), onlyRebuilt: [...b].filter((c) => !l.includes(c)) };
}
