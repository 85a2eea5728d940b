import type { Pool } from 'pg';
import { PostgresCheckpointStore, type EventStore } from '@hub/event-store';
import { rebuildStreamPrefix } from './timeline-rebuild';
import { columnsOf, qualified } from './timeline-tables';

/** How many positions of later events are asked of the store at once. */
const LATER_EVENTS_PAGE = 5000;

export interface CustomerDifference {
  tenantId: string;
  customerId: string;
  /** Entries the rebuild has and the live read model lacks. */
  missing: string[];
  /** Entries the live read model has and the rebuild does not. */
  extra: string[];
  /** Entries in both whose columns differ, and which columns. */
  changed: { eventId: string; columns: string[] }[];
}

export interface TimelineDiff {
  /** Entries of events after this global position are left out on both sides (see `diffTimelines`). */
  comparedUpTo: bigint;
  liveCheckpoint: bigint | null;
  rebuiltUpTo: bigint;
  compared: { live: number; rebuilt: number };
  /** Customers with at least one difference, and the differences by kind. */
  customers: number;
  missing: number;
  extra: number;
  changed: number;
  /** Columns one side has and the other not: left out of the comparison. */
  columnsOnlyLive: string[];
  columnsOnlyRebuilt: string[];
  /** The first `limit` differing customers (by tenant, customer id), with what differs. */
  first: CustomerDifference[];
  /** How long the comparison took. */
  seconds: number;
}

/**
 * Compares `timeline_entries` of the live read model and a rebuild, per (tenant, customer): the
 * set of (event_id, hash of the row's columns) on each side — an md5 of the row as jsonb over the
 * columns both tables have (jsonb orders keys, so column order does not matter).
 *
 * Both read models are moving targets: the live projector keeps projecting, the rebuild stopped at
 * `rebuiltUpTo`. So only entries whose event is at or before `comparedUpTo` = min(live checkpoint,
 * rebuiltUpTo) are compared: the events of the followed streams after `comparedUpTo` (up to the head
 * of the log once the snapshot is taken) are asked of the store (`EventStore.readPositions`, ids
 * only) and their entries left out; an entry whose event is not in the log at all is always
 * compared — it can only be wrong. The live rows and the live checkpoint are read in one
 * REPEATABLE READ snapshot, and the projector commits both together, so the cut is exact even
 * while it runs (and the rebuild has stopped: its rows come from events up to that head).
 */
export async function diffTimelines(
  pool: Pool,
  store: Pick<EventStore, 'headPosition' | 'readPositions'>,
  o: {
    liveSchema: string;
    rebuildSchema: string;
    tenantId?: string;
    rebuiltUpTo: bigint;
    projectionId: string;
    limit: number;
    notProjected?: readonly string[];
  },
): Promise<TimelineDiff> {
  const started = Date.now();
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read');
    const liveCheckpoint = (await new PostgresCheckpointStore(pool).load(o.projectionId, client)) ?? null;
    const comparedUpTo = liveCheckpoint !== null && liveCheckpoint < o.rebuiltUpTo ? liveCheckpoint : o.rebuiltUpTo;
    await client.query('create temp table hub_replay_timeline_later (event_id uuid primary key) on commit drop');
    const head = await store.headPosition();
    const followed = { streamPrefixes: [rebuildStreamPrefix(o.tenantId)] };
    for (let after = comparedUpTo; after < head; ) {
      const page = await store.readPositions({ after, upTo: head, filter: followed, maxCount: LATER_EVENTS_PAGE });
      if (page.length === 0) break;
      await client.query('insert into hub_replay_timeline_later select unnest($1::uuid[]) on conflict do nothing', [
        page.map((p) => p.eventId),
      ]);
      after = page.at(-1)!.globalPosition;
    }
    const both = await columnsOf(client, 'timeline_entries', o.liveSchema, o.rebuildSchema);
    // A column the rebuild has but does not project (copied from the live table) counts as live-only.
    const skipped = (o.notProjected ?? []).filter((c) => both.common.includes(c));
    const columns = { onlyLive: [...both.onlyLive, ...skipped], onlyRebuilt: both.onlyRebuilt };
    // Left out of each side's row hash (and of the changed columns); generated columns too (the search
    // vector): they follow the columns they are computed from, whose difference is the one to report.
    const hashedWithout = { live: [...columns.onlyLive, ...both.generated], rebuilt: [...both.onlyRebuilt, ...skipped, ...both.generated] };
    const liveTable = qualified(o.liveSchema, 'timeline_entries');
    const rebuiltTable = qualified(o.rebuildSchema, 'timeline_entries');
    const side = (table: string, excluded: string) => `
      select e.tenant_id, e.customer_id, e.event_id, md5((to_jsonb(e) - ${excluded}::text[])::text) as h
        from ${table} e
       where ($1::text is null or e.tenant_id = $1) and not exists (select 1 from hub_replay_timeline_later x where x.event_id = e.event_id)`;
    // Only the differences are kept (a few rows when the read models agree, whatever their size).
    await client.query(
      'create temp table hub_replay_timeline_diff (tenant_id text, customer_id text, event_id uuid, kind text) on commit drop',
    );
    const compared = await client.query<{ live: string; rebuilt: string }>(
      `with live as (${side(liveTable, '$2')}), rebuilt as (${side(rebuiltTable, '$3')}),
       compared as (
         select coalesce(l.tenant_id, r.tenant_id) as tenant_id, coalesce(l.customer_id, r.customer_id) as customer_id,
                coalesce(l.event_id, r.event_id) as event_id, l.event_id is not null as in_live, r.event_id is not null as in_rebuilt,
                case when l.event_id is null then 'missing' when r.event_id is null then 'extra' when l.h <> r.h then 'changed' end as kind
           from live l full join rebuilt r on l.tenant_id = r.tenant_id and l.customer_id = r.customer_id and l.event_id = r.event_id
       ),
       saved as (insert into hub_replay_timeline_diff select tenant_id, customer_id, event_id, kind from compared where kind is not null returning 1)
       select count(*) filter (where in_live) as live, count(*) filter (where in_rebuilt) as rebuilt, (select count(*) from saved) as saved from compared`,
      [o.tenantId ?? null, hashedWithout.live, hashedWithout.rebuilt],
    );
    const totals = await client.query<{ customers: string; missing: string; extra: string; changed: string }>(
      `select count(distinct (tenant_id, customer_id)) as customers, count(*) filter (where kind = 'missing') as missing,
              count(*) filter (where kind = 'extra') as extra, count(*) filter (where kind = 'changed') as changed
         from hub_replay_timeline_diff`,
    );
    const details = await client.query<{
      tenant_id: string;
      customer_id: string;
      event_id: string;
      kind: 'missing' | 'extra' | 'changed';
      columns: string[] | null;
    }>(
      `with firsts as (select distinct tenant_id, customer_id from hub_replay_timeline_diff order by tenant_id, customer_id limit $1),
       shown as (
         select d.*, to_jsonb(l) - $2::text[] as lj, to_jsonb(r) - $3::text[] as rj
           from hub_replay_timeline_diff d join firsts f using (tenant_id, customer_id)
           left join ${liveTable} l on d.kind = 'changed' and l.event_id = d.event_id
           left join ${rebuiltTable} r on d.kind = 'changed' and r.event_id = d.event_id
       )
       select tenant_id, customer_id, event_id, kind,
              case when kind = 'changed' then array(
                select k from (select jsonb_object_keys(lj) as k union select jsonb_object_keys(rj)) keys where lj -> k is distinct from rj -> k order by k) end as columns
         from shown
        order by tenant_id, customer_id, kind, event_id`,
      [o.limit, hashedWithout.live, hashedWithout.rebuilt],
    );
    await client.query('commit');
    const byCustomer = new Map<string, CustomerDifference>();
    for (const row of details.rows) {
      const key = `${row.tenant_id}\u0000${row.customer_id}`;
      let c = byCustomer.get(key);
      if (!c) byCustomer.set(key, (c = { tenantId: row.tenant_id, customerId: row.customer_id, missing: [], extra: [], changed: [] }));
      if (row.kind === 'changed') c.changed.push({ eventId: row.event_id, columns: row.columns ?? [] });
      else c[row.kind].push(row.event_id);
    }
    const t = totals.rows[0]!;
    return {
      comparedUpTo,
      liveCheckpoint,
      rebuiltUpTo: o.rebuiltUpTo,
      compared: { live: Number(compared.rows[0]!.live), rebuilt: Number(compared.rows[0]!.rebuilt) },
      customers: Number(t.customers),
      missing: Number(t.missing),
      extra: Number(t.extra),
      changed: Number(t.changed),
      columnsOnlyLive: columns.onlyLive,
      columnsOnlyRebuilt: columns.onlyRebuilt,
      first: [...byCustomer.values()],
      seconds: (Date.now() - started) / 1000,
    };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
