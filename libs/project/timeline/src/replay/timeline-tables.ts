import { escapeIdentifier, type ClientBase, type Pool } from 'pg';
import { PostgresTimelineStore, TIMELINE_TABLES } from '../postgres.timeline.store';
import { ReplayError } from './replay.errors';

/** `<schema>.<table>`, both quoted. */
export const qualified = (schema: string, table: string): string => `${escapeIdentifier(schema)}.${escapeIdentifier(table)}`;

/** The schema the apps' unqualified `timeline_*` tables resolve to: the live read model. */
export async function liveSchema(pool: Pool): Promise<string> {
  const r = await pool.query<{ s: string }>('select current_schema() as s');
  return r.rows[0]!.s;
}

/**
 * Creates the live read model's tables when the database has none yet (a rebuild into a new
 * environment), or adds what this version's read model has and the live one lacks (an upgrade whose
 * projector has not started yet), so that a takeover finds every table it replaces. Runs no DDL when
 * the schema is up to date.
 */
export async function ensureLiveReadModel(pool: Pool): Promise<void> {
  await new PostgresTimelineStore(pool).ensureSchema();
}

/**
 * Columns of `table` in each schema: what both have, and what only one has; `generated`: columns
 * PostgreSQL computes (`generated always as … stored`, the search vector) in either, which an
 * `insert` must not name.
 */
export async function columnsOf(
  db: Pool | ClientBase,
  table: string,
  live: string,
  rebuilt: string,
): Promise<{ common: string[]; onlyLive: string[]; onlyRebuilt: string[]; generated: string[] }> {
  const r = await db.query<{ table_schema: string; column_name: string; is_generated: string }>(
    'select table_schema, column_name, is_generated from information_schema.columns where table_name = $1 and table_schema = any($2::text[]) order by ordinal_position',
    [table, [live, rebuilt]],
  );
  const l = r.rows.filter((c) => c.table_schema === live).map((c) => c.column_name);
  const b = new Set(r.rows.filter((c) => c.table_schema === rebuilt).map((c) => c.column_name));
  const generated = [...new Set(r.rows.filter((c) => c.is_generated === 'ALWAYS').map((c) => c.column_name))];
  return {
    common: l.filter((c) => b.has(c)),
    onlyLive: l.filter((c) => !b.has(c)),
    onlyRebuilt: [...b].filter((c) => !l.includes(c)),
    generated,
  };
}

/** The columns of each timeline table in `schema`, in order. */
export async function columnsByTable(db: Pool | ClientBase, schema: string): Promise<Record<string, string[]>> {
  const r = await db.query<{ table_name: string; columns: string[] }>(
    'select table_name, array_agg(column_name::text order by ordinal_position) as columns from information_schema.columns where table_schema = $1 and table_name = any($2::text[]) group by table_name',
    [schema, [...TIMELINE_TABLES]],
  );
  return Object.fromEntries(r.rows.map((row) => [row.table_name, row.columns]));
}

/**
 * Creates `rebuild`'s read-model tables as copies of the live ones — `create table … (like … including
 * all)`: the same columns in the same order, defaults, constraints, indexes (renamed to the live
 * indexes' names: LIKE generates its own), persistence, storage parameters and tablespace — then the
 * live owner and privileges (`alignPrivileges`). So that a takeover can swap the tables in place of
 * the live ones with nothing missing: the query side's indexes (`TimelineQueries.ensureSchema`)
 * included, and a column another component added to a live table too.
 */
export async function createTablesLike(pool: Pool, live: string, rebuild: string): Promise<void> {
  const tables = await pool.query<{ relname: string; relpersistence: string; reloptions: string[] | null; spcname: string | null }>(
    `select c.relname, c.relpersistence, c.reloptions, t.spcname
       from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_tablespace t on t.oid = c.reltablespace
      where n.nspname = $1 and c.relname = any($2::text[]) and c.relkind = 'r'`,
    [live, [...TIMELINE_TABLES]],
  );
  const missing = TIMELINE_TABLES.filter((t) => !tables.rows.some((r) => r.relname === t));
  if (missing.length) throw new ReplayError('REPLAY_TAKEOVER_REFUSED', `the live schema ${live} has no table ${missing.join(', ')}`);
  for (const t of tables.rows) {
    const unlogged = t.relpersistence === 'u' ? 'unlogged ' : '';
    const options = t.reloptions?.length ? ` with (${t.reloptions.join(', ')})` : '';
    const tablespace = t.spcname ? ` tablespace ${escapeIdentifier(t.spcname)}` : '';
    await pool.query(
      `create ${unlogged}table ${qualified(rebuild, t.relname)} (like ${qualified(live, t.relname)} including all)${options}${tablespace}`,
    );
  }
  await renameIndexesLike(pool, live, rebuild);
  await alignPrivileges(pool, live, rebuild);
}

/** Index of a timeline table, as compared across schemas: the definition after `USING`, with its kind. */
interface IndexRow {
  table: string;
  name: string;
  key: string;
}

async function indexesOf(db: Pool | ClientBase, schema: string): Promise<IndexRow[]> {
  const r = await db.query<IndexRow>(
    `select c.relname as table, i.relname as name,
            concat_ws(' ', case when x.indisprimary then 'primary' when x.indisunique then 'unique' end, regexp_replace(pg_get_indexdef(x.indexrelid), '^.*? USING ', 'USING ')) as key
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = any($2::text[])
      order by c.relname, i.relname`,
    [schema, [...TIMELINE_TABLES]],
  );
  return r.rows;
}

/**
 * Gives the rebuild's indexes the names of the live indexes with the same definition (index names
 * are per schema, and `ensureSchema` looks indexes up by name: after a swap they must be the same).
 * In two steps, through temporary names, so that no rename collides with a name still to be freed.
 */
async function renameIndexesLike(pool: Pool, live: string, rebuild: string): Promise<void> {
  const wanted = await indexesOf(pool, live);
  const unmatched = await indexesOf(pool, rebuild);
  const renames: { from: string; to: string }[] = [];
  for (const w of wanted) {
    const i = unmatched.findIndex((u) => u.table === w.table && u.key === w.key);
    if (i < 0) continue; // left for the shape check to report
    const [match] = unmatched.splice(i, 1);
    if (match!.name !== w.name) renames.push({ from: match!.name, to: w.name });
  }
  const temporary = (n: number) => `hub_swap_index_${n}`;
  for (const [n, r] of renames.entries())
    await pool.query(`alter index ${qualified(rebuild, r.from)} rename to ${escapeIdentifier(temporary(n))}`);
  for (const [n, r] of renames.entries())
    await pool.query(`alter index ${qualified(rebuild, temporary(n))} rename to ${escapeIdentifier(r.to)}`);
}

/**
 * Gives the rebuild's tables the live tables' owner (when this role may) and privileges: what a
 * grant made on the live tables (a reporting role's `select`) must still allow after a swap.
 * `acldefault` stands for a table on which nothing was ever granted.
 */
export async function alignPrivileges(db: Pool | ClientBase, live: string, rebuild: string): Promise<void> {
  const r = await db.query<{
    relname: string;
    schema: string;
    owner: string;
    grantee: string | null;
    privilege: string;
    grantable: boolean;
    is_owner: boolean;
  }>(
    `select c.relname, n.nspname as schema, pg_get_userbyid(c.relowner) as owner,
            case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end as grantee, a.privilege_type as privilege, a.is_grantable as grantable,
            a.grantee = c.relowner as is_owner
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       cross join lateral aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
      where n.nspname = any($1::text[]) and c.relname = any($2::text[])`,
    [[live, rebuild], [...TIMELINE_TABLES]],
  );
  const role = (name: string | null) => (name === null ? 'public' : escapeIdentifier(name));
  for (const table of TIMELINE_TABLES) {
    const liveRows = r.rows.filter((x) => x.schema === live && x.relname === table);
    const rebuiltRows = r.rows.filter((x) => x.schema === rebuild && x.relname === table);
    if (!liveRows.length || !rebuiltRows.length) continue;
    const target = qualified(rebuild, table);
    const liveOwner = liveRows[0]!.owner;
    if (rebuiltRows[0]!.owner !== liveOwner) {
      // Not a member of the owning role: left as it is, and the shape check then refuses the swap.
      await db.query(`alter table ${target} owner to ${escapeIdentifier(liveOwner)}`).catch(() => undefined);
    }
    const entry = (x: { grantee: string | null; privilege: string; grantable: boolean }) =>
      `${x.grantee ?? ''}\u0000${x.privilege}\u0000${x.grantable}`;
    const want = new Set(liveRows.filter((x) => !x.is_owner).map(entry));
    const have = new Set(rebuiltRows.filter((x) => !x.is_owner).map(entry));
    if (want.size === have.size && [...want].every((e) => have.has(e))) continue;
    for (const grantee of new Set(rebuiltRows.filter((x) => !x.is_owner).map((x) => x.grantee)))
      await db.query(`revoke all on ${target} from ${role(grantee)}`);
    for (const x of liveRows.filter((y) => !y.is_owner))
      await db.query(`grant ${x.privilege} on ${target} to ${role(x.grantee)}${x.grantable ? ' with grant option' : ''}`);
  }
}

/** What must be the same for the rebuilt table to stand in for the live one, as comparable text. */
async function shapesOf(db: Pool | ClientBase, schema: string): Promise<Map<string, string>> {
  const r = await db.query<{ relname: string; shape: unknown }>(
    `select c.relname, json_build_object(
       'kind', c.relkind, 'persistence', c.relpersistence, 'options', coalesce(c.reloptions, '{}'), 'owner', pg_get_userbyid(c.relowner),
       'privileges', array(select x::text from unnest(coalesce(c.relacl, acldefault('r', c.relowner))) x order by 1),
       'columns', (select json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                                                    a.attidentity, a.attgenerated, a.attcollation, a.attacl::text[]) order by a.attnum)
                     from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
       'constraints', (select json_agg(json_build_array(k.conname, k.contype, pg_get_constraintdef(k.oid)) order by k.conname) from pg_constraint k where k.conrelid = c.oid)
     ) as shape
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = any($2::text[])`,
    [schema, [...TIMELINE_TABLES]],
  );
  const indexes = await indexesOf(db, schema);
  return new Map(
    r.rows.map((row) => [
      row.relname,
      JSON.stringify({ ...(row.shape as object), indexes: indexes.filter((i) => i.table === row.relname).map((i) => [i.name, i.key]) }),
    ]),
  );
}

/**
 * Objects that would follow a live table out if it were renamed away, or that a rebuilt table
 * lacks: anything recorded in `pg_depend` as depending on it — views, materialized views, rules,
 * triggers, policies, foreign keys (either way), publications, extended statistics, owned
 * sequences (serial and identity columns), SQL-standard function bodies — other than its own
 * indexes, its own primary key / unique / check / exclusion constraints and its own column
 * defaults; plus inheritance, partitioning and row-level security. PostgreSQL binds those to the
 * table's oid, not its name: after a swap they would point at the replaced table (and be dropped
 * with it). Described with `pg_describe_object`.
 */
export async function swapBlockers(db: Pool | ClientBase, live: string): Promise<string[]> {
  const r = await db.query<{ what: string }>(
    `with t as (select c.oid, c.relname, c.relkind, c.relrowsecurity, c.relispartition from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = $1 and c.relname = any($2::text[]))
     select t.relname || ': ' || pg_describe_object(d.classid, d.objid, d.objsubid) as what
       from t join pg_depend d on d.refclassid = 'pg_class'::regclass and d.refobjid = t.oid
      where d.deptype in ('n', 'a')
        and not (d.classid = 'pg_class'::regclass and exists (select 1 from pg_index x where x.indexrelid = d.objid and x.indrelid = t.oid))
        and not (d.classid = 'pg_constraint'::regclass and exists (select 1 from pg_constraint k where k.oid = d.objid and k.conrelid = t.oid and k.contype in ('p', 'u', 'c', 'x')))
        and not (d.classid = 'pg_attrdef'::regclass and exists (select 1 from pg_attrdef a where a.oid = d.objid and a.adrelid = t.oid))
     union all
     select t.relname || ': ' || case when t.relrowsecurity then 'row-level security' else 'inheritance or partitioning' end from t
      where t.relrowsecurity or t.relkind <> 'r' or t.relispartition or exists (select 1 from pg_inherits h where h.inhrelid = t.oid or h.inhparent = t.oid)
     order by 1`,
    [live, [...TIMELINE_TABLES]],
  );
  return [...new Set(r.rows.map((row) => row.what))];
}

/**
 * Why the rebuilt tables cannot simply be renamed into the live tables' place, or undefined when
 * they can: something depends on a live table (`swapBlockers`), or a table differs in shape —
 * columns, defaults, constraints, indexes and their names, persistence, storage parameters,
 * owner, privileges.
 */
export async function swapRefusedBecause(db: Pool | ClientBase, live: string, rebuild: string): Promise<string | undefined> {
  const blockers = await swapBlockers(db, live);
  if (blockers.length) return `objects depend on the live tables (${blockers.slice(0, 5).join('; ')}${blockers.length > 5 ? '; …' : ''})`;
  const [l, b] = [await shapesOf(db, live), await shapesOf(db, rebuild)];
  const differ = TIMELINE_TABLES.filter((t) => l.get(t) === undefined || l.get(t) !== b.get(t));
  if (differ.length)
    return `the rebuilt ${differ.join(', ')} differ from the live ones (columns, indexes, constraints, storage, owner or privileges)`;
  return undefined;
}
