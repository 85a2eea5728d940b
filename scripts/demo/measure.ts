import { Pool } from 'pg';
import { runChannelPipeline } from '@hub/channels-core/testing';
import { NBA_TRIGGER_TYPES } from '@hub/nba';
import { setupFor, signRequest } from './requests';
import type { Delivered } from './sender';
import type { CustomerListing } from './summary';

/**
 * What the hub made of the day, read where it keeps it: the event store and read model in
 * PostgreSQL, the query API, the ingestion apps' counters.
 */
export class DemoDatabase {
  readonly pool: Pool;

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 2 });
    this.pool.on('error', () => undefined);
  }

  /** Which of `ids` the event store holds (event ids are unique in it). */
  async stored(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const r = await this.pool
      .query<{ id: string }>('select event_id::text as id from hub_events where event_id = any($1::uuid[])', [[...ids]])
      .catch(() => ({ rows: [] }));
    return new Set(r.rows.map((row) => row.id));
  }

  /** Which of `ids` are on a timeline of `tenant`. */
  async onTimeline(tenant: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const r = await this.pool
      .query<{
        id: string;
      }>('select event_id::text as id from timeline_entries where tenant_id = $1 and event_id = any($2::uuid[])', [tenant, [...ids]])
      .catch(() => ({ rows: [] }));
    return new Set(r.rows.map((row) => row.id));
  }

  /** The customer each of `ids` is on the timeline of. */
  async customerOfEvents(tenant: string, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    // A customer merged into another counts as the survivor: that is who the person now is.
    const r = await this.pool.query<{ id: string; customer: string }>(
      `select e.event_id::text as id, coalesce(c.merged_into, e.customer_id) as customer
         from timeline_entries e left join timeline_customers c on c.tenant_id = e.tenant_id and c.customer_id = e.customer_id
        where e.tenant_id = $1 and e.event_id = any($2::uuid[])`,
      [tenant, [...ids]],
    );
    return new Map(r.rows.map((row) => [row.id, row.customer]));
  }

  /**
   * Customers of `tenant` whose latest triggering event (in stream order) has no decision yet: what
   * the demo used to ask the query API customer by customer, in one query.
   */
  async awaitingDecision(tenant: string): Promise<number> {
    const like = `customer-${tenant.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`;
    const r = await this.pool
      .query<{ n: number }>(
        // A survivor is decided on its whole history: its latest trigger may be in a customer merged into it.
        // Merges nest (a customer merged into one that is merged later), so membership is followed to any depth.
        `with recursive members(survivor, member) as (
           select stream_name, stream_name from hub_events where stream_name like $1 and event_type = 'CustomerRegistered'
           union
           select m.survivor, $3 || (s.data->>'mergedId')
             from members m
             join hub_events s on s.stream_name = m.member and s.event_type = 'CustomersMerged'
            where not exists (select 1 from hub_events u where u.stream_name = s.stream_name and u.event_type = 'CustomerUnmerged' and u.data->>'mergeId' = s.data->>'mergeId')),
         latest_trigger as (
           select distinct on (m.survivor) m.survivor as stream_name, e.global_position as position
             from members m
             join hub_events e on e.stream_name = m.member and e.event_type = any($2::text[])
            -- What calls for no decision (the worker's rule): what the company said, and the press of a decision's own button.
            where not (e.event_type = 'InteractionRecorded'
                       and (e.data->>'direction' = 'outbound' or coalesce(e.data->'interactive'->>'id', '') like 'nba:%'))
            order by m.survivor, e.global_position desc),
         latest_decision as (
           select distinct on (stream_name) stream_name, data->>'basedOnEventId' as based
             from hub_events where stream_name like $1 and event_type = 'NextBestActionDecided'
            order by stream_name, stream_revision desc),
         -- Where the event the decision answers is in the log: a decision answers every trigger up to it,
         -- and may be based on a later event than the latest that calls for one (an outbound one recorded meanwhile).
         answered as (
           select d.stream_name, b.global_position as position
             from latest_decision d
             join hub_events b on b.event_id = case when d.based ~ '^[0-9a-f-]{36}$' then d.based::uuid end)
         select count(*)::int as n from latest_trigger t left join answered a using (stream_name)
          where (a.position is null or a.position < t.position)
            -- a customer merged into another is decided for as the survivor
            and not exists (select 1 from hub_events m where m.stream_name = t.stream_name and m.event_type = 'CustomerMergedInto')`,
        [like, [...NBA_TRIGGER_TYPES], `customer-${tenant}.`],
      )
      .catch(() => ({ rows: [{ n: -1 }] }));
    return r.rows[0]?.n ?? -1;
  }

  /**
   * When the store wrote the first and the last of `ids` (its `created_at`, this machine's clock), and
   * its last decision for `tenant`: the pace the hub kept, measured where it keeps the record.
   */
  async pace(tenant: string, ids: readonly string[]): Promise<{ firstStored?: number; lastStored?: number; lastDecision?: number }> {
    const like = `customer-${tenant.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`;
    const r = await this.pool
      .query<{ first: Date | null; last: Date | null; decided: Date | null }>(
        `select (select min(created_at) from hub_events where event_id = any($1::uuid[])) as first,
                (select max(created_at) from hub_events where event_id = any($1::uuid[])) as last,
                (select max(created_at) from hub_events where stream_name like $2 and event_type = 'NextBestActionDecided') as decided`,
        [[...ids], like],
      )
      .catch(() => ({ rows: [] }));
    const row = r.rows[0];
    const ms = (d: Date | null | undefined) => (d ? d.getTime() : undefined);
    return { firstStored: ms(row?.first), lastStored: ms(row?.last), lastDecision: ms(row?.decided) };
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * The event ids a delivery was acknowledged with: the `eventIds` of a 202; for Firehose, which
 * must be answered `200 { requestId, timestamp }`, the ids its adapter derives (deterministically)
 * from the same request.
 */
export async function acknowledgedEventIds(delivered: readonly Delivered[], tenantId: string): Promise<Map<Delivered, string[]>> {
  const out = new Map<Delivered, string[]>();
  for (const d of delivered) {
    if (d.status < 200 || d.status >= 300) continue;
    const ids = (d.body as { eventIds?: unknown } | null)?.eventIds;
    if (Array.isArray(ids)) {
      out.set(d, ids.map(String));
      continue;
    }
    if (d.request.provider !== 'voice:amazon-connect') continue;
    const setup = setupFor(d.request.provider);
    const outcome = await runChannelPipeline(setup.definition.create(setup.config), signRequest(d.request), {
      tenantId,
      receivedAt: new Date().toISOString(),
    });
    if (outcome.kind === 'accepted')
      out.set(
        d,
        outcome.events.map((e) => e.metadata.eventId),
      );
  }
  return out;
}

/** Every customer of the tenant, page by page, as the query API lists them. */
export async function listCustomers(queryUrl: string, tenant: string, headers: Record<string, string>): Promise<CustomerListing[]> {
  const all: CustomerListing[] = [];
  let cursor: string | null = null;
  do {
    const url = `${queryUrl}/tenants/${tenant}/customers?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await (await fetch(url, { headers })).json()) as { customers: CustomerListing[]; next: string | null };
    all.push(...page.customers);
    cursor = page.next;
  } while (cursor);
  return all;
}

export async function ingestMetrics(url: string): Promise<Record<string, number>> {
  return (await (await fetch(`${url}/metrics?format=json`)).json()) as Record<string, number>;
}
