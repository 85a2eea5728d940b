import type { Pool } from 'pg';
import { HubError } from '@hub/contracts';

export const SAVED_QUERIES = Symbol('SAVED_QUERIES');

/** The listings a saved query can be run against. */
export const SAVED_QUERY_PATHS = ['customers', 'timeline', 'exports', 'stats'] as const;
export type SavedQueryPath = (typeof SAVED_QUERY_PATHS)[number];

/** A tenant's saved query: a name, the listing it runs against and its parameters as a query string holds them. */
export interface SavedQuery {
  id: string;
  name: string;
  path: SavedQueryPath;
  params: Record<string, string>;
  /** Who saved it: the id of the API key (the prefix of its digest the logs show, never the key). */
  savedBy: { keyId: string };
  savedAt: string;
}

/** Another saved query of the tenant has this name. */
export class SavedQueryNameTakenError extends HubError {
  readonly code = 'SAVED_QUERY_NAME_TAKEN';
  readonly retryable = false;
  constructor(readonly savedName: string) {
    super(`a saved query named ${JSON.stringify(savedName)} exists already`);
  }
}

/** The table's DDL (idempotent), without transaction control: `ensureSchema` and version 1 of the migrations. */
export const SAVED_QUERIES_DDL = `
select pg_advisory_xact_lock(hashtext('hub.saved_queries.schema'));
create table if not exists saved_queries (
  tenant_id text not null,
  id uuid not null,
  name text not null,
  path text not null,
  params jsonb not null,
  saved_by text not null,
  saved_at timestamptz not null,
  primary key (tenant_id, id),
  unique (tenant_id, name)
);
`;

// Under an advisory lock: two instances booting together must not both create it.
const DDL = `begin;\n${SAVED_QUERIES_DDL}\ncommit;`;

type Row = { id: string; name: string; path: SavedQueryPath; params: Record<string, string>; saved_by: string; saved_at: Date };
const toSaved = (r: Row): SavedQuery => ({
  id: r.id,
  name: r.name,
  path: r.path,
  params: r.params,
  savedBy: { keyId: r.saved_by },
  savedAt: r.saved_at.toISOString(),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Saved queries in PostgreSQL (`saved_queries`), per tenant; every read and write names the tenant. */
export class PostgresSavedQueries {
  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    const present = await this.pool.query(
      "select 1 from information_schema.tables where table_schema = current_schema() and table_name = 'saved_queries'",
    );
    if ((present.rowCount ?? 0) === 0) await this.pool.query(DDL);
  }

  async save(tenantId: string, query: SavedQuery): Promise<SavedQuery> {
    try {
      const r = await this.pool.query<Row>(
        `insert into saved_queries (tenant_id, id, name, path, params, saved_by, saved_at) values ($1, $2, $3, $4, $5, $6, $7)
         returning id, name, path, params, saved_by, saved_at`,
        [tenantId, query.id, query.name, query.path, JSON.stringify(query.params), query.savedBy.keyId, query.savedAt],
      );
      return toSaved(r.rows[0]!);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new SavedQueryNameTakenError(query.name);
      throw err;
    }
  }

  async list(tenantId: string): Promise<SavedQuery[]> {
    const r = await this.pool.query<Row>(
      'select id, name, path, params, saved_by, saved_at from saved_queries where tenant_id = $1 order by name, id',
      [tenantId],
    );
    return r.rows.map(toSaved);
  }

  async get(tenantId: string, id: string): Promise<SavedQuery | undefined> {
    if (!UUID.test(id)) return undefined;
    const r = await this.pool.query<Row>(
      'select id, name, path, params, saved_by, saved_at from saved_queries where tenant_id = $1 and id = $2',
      [tenantId, id],
    );
    return r.rows[0] && toSaved(r.rows[0]);
  }

  /** True when it was there. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const r = await this.pool.query('delete from saved_queries where tenant_id = $1 and id = $2', [tenantId, id]);
    return (r.rowCount ?? 0) > 0;
  }
}
