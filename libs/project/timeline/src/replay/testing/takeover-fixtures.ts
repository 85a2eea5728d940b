import type { Pool } from 'pg';
import { qualified } from '../timeline-tables';

/**
 * Two recognisable versions of one tenant's read model, written set-based (tens of thousands of
 * rows in a second, where projecting them would take a minute), for the takeover specs: every
 * table carries the version — entry texts start with it, customers' `channels` are `{<version>}`,
 * identity values start with it, the erased row and the fact are named by it — and the merge
 * differs: in `old` f1 is merged into f0, in `new` f2 is. So a read sees one version or the other,
 * and a mix shows.
 */
export type Version = 'old' | 'new';

/** `customers` customers c0… plus f0, f1, f2, 10 entries each. */
export async function fillVersion(pool: Pool, schema: string, tenantId: string, version: Version, customers: number): Promise<void> {
  const t = (name: string) => qualified(schema, name);
  const all = `(select 'c' || g as c from generate_series(0, $3::int - 1) g union all select unnest(array['f0', 'f1', 'f2'])) x`;
  const params = [tenantId, version, customers];
  await pool.query(
    `insert into ${t('timeline_customers')} (tenant_id, customer_id, first_seen_at, last_seen_at, interactions, channels, merged_into)
     select $1, c, timestamptz '2025-01-01', timestamptz '2025-01-02', 10, array[$2::text],
            case when c = (case $2::text when 'old' then 'f1' else 'f2' end) then 'f0' end
       from ${all}`,
    params,
  );
  await pool.query(
    `insert into ${t('timeline_entries')} (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider)
     select md5($1 || ':' || c || ':' || n)::uuid, $1, c, n, timestamptz '2025-01-01' + n * interval '1 hour', timestamptz '2025-01-01' + n * interval '1 hour',
            'sms', 'inbound', 'message', $2::text || ' ' || c || ' ' || n, '[]', '{"name":"test","messageId":"m"}'
       from ${all}, generate_series(1, 10) n`,
    params,
  );
  await pool.query(
    `insert into ${t('timeline_identities')} (tenant_id, kind, namespace, value, customer_id) select $1, 'phone', '', $2::text || ':' || c, c from ${all}`,
    params,
  );
  await pool.query(`insert into ${t('timeline_erased')} (tenant_id, customer_id) values ($1, 'erased-' || $2::text)`, [tenantId, version]);
  await pool.query(
    `insert into ${t('timeline_facts')} (event_id, tenant_id, customer_id, stream_revision, type, occurred_at, event) values (md5($1 || $2::text)::uuid, $1, 'f0', 0, $2::text, timestamptz '2025-01-01', '{}')`,
    [tenantId, version],
  );
}

/**
 * Which version every table of `schema` holds for the tenant, read in one statement (one
 * snapshot): `old`, `new`, or `mixed` with what each table says.
 */
export async function versionIn(pool: Pool, schema: string, tenantId: string): Promise<Version | `mixed: ${string}`> {
  const t = (name: string) => qualified(schema, name);
  const r = await pool.query<Record<string, string[] | null>>(
    `select (select array_agg(distinct split_part(text, ' ', 1)) from ${t('timeline_entries')} where tenant_id = $1) as entries,
            (select array_agg(distinct channels[1]) from ${t('timeline_customers')} where tenant_id = $1) as customers,
            (select array_agg(case customer_id when 'f1' then 'old' when 'f2' then 'new' else customer_id end) from ${t('timeline_customers')} where tenant_id = $1 and merged_into is not null) as merged,
            (select array_agg(distinct split_part(value, ':', 1)) from ${t('timeline_identities')} where tenant_id = $1) as identities,
            (select array_agg(substr(customer_id, 8)) from ${t('timeline_erased')} where tenant_id = $1) as erased,
            (select array_agg(type) from ${t('timeline_facts')} where tenant_id = $1) as facts`,
    [tenantId],
  );
  const seen = new Set(Object.values(r.rows[0]!).flatMap((v) => v ?? ['none']));
  if (seen.size === 1 && (seen.has('old') || seen.has('new'))) return [...seen][0] as Version;
  return `mixed: ${JSON.stringify(r.rows[0])}`;
}

/** Entries per version: `(customers + 3) × 10`. */
export const entriesOf = (customers: number): number => (customers + 3) * 10;

/** `application_name` of the connections of `takeover-child.ts`. */
export const TAKEOVER_CHILD_APPLICATION = 'hub-takeover-child';
