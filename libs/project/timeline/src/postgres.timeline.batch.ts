import type { PoolClient } from 'pg';
import { editedMessageKeys, type CustomerKey, type EditedMessageKey, type RowRun } from './timeline.apply-plan';
import type { SummaryFact, TimelineEntry } from './timeline.projection';
import { summaryOfFacts } from './timeline.summary';
import { churnInputColumns, deltaOf, storedChurnRiskOfRow, type ChurnDelta, type ChurnInputRow } from './timeline.churn';

/*
 * The set-based statements of `PostgresTimelineStore.applyInTransaction`: each writes the rows of
 * many changes at once and has the effect of the one-by-one statements of `applyOne`,
 * `refreshCustomer` and `refreshFacts` it replaces (see there). Rows travel as one array per column
 * (`unnest($1::text[], …) with ordinality`, the ordinal being the change order).
 */

/** Rows of customers erased (`timeline_erased`) are never written again: the one-by-one `isErased` guard. */
const NOT_ERASED = (x: string) =>
  `not exists (select 1 from timeline_erased r where r.tenant_id = ${x}.tenant_id and r.customer_id = ${x}.customer_id)`;

const column = <T>(rows: readonly T[], f: (row: T) => unknown): unknown[] => rows.map(f);

/**
 * A run of entry, registration and fact changes (no erasure between them): one statement per table.
 * Returns the entries it inserted (not those already there: a redelivery), for the churn inputs.
 */
export async function insertRowRun(client: PoolClient, run: RowRun): Promise<TimelineEntry[]> {
  const { entries, identities, registrations, facts, edits } = run;
  let inserted: TimelineEntry[] = [];
  if (entries.length > 0) {
    // `distinct on` keeps the first of the same event id, as `on conflict do nothing` one by one.
    // Text signals travel as one comma-separated text each (arrays of arrays must be rectangular).
    const r = await client.query<{ event_id: string }>(
      `insert into timeline_entries (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider, thread_id, details, occurred_at_source, text_signals)
       select distinct on (x.event_id) x.event_id, x.tenant_id, x.customer_id, x.stream_revision, x.occurred_at, x.recorded_at, x.channel, x.direction, x.kind, x.text, x.media, x.provider, x.thread_id, x.details, x.occurred_at_source,
              string_to_array(x.text_signals, ',')
         from unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], $13::text[], $14::jsonb[], $15::text[], $16::text[])
              with ordinality x(event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider, thread_id, details, occurred_at_source, text_signals, n)
        where ${NOT_ERASED('x')}
        order by x.event_id, x.n
       on conflict (event_id) do nothing
       returning event_id`,
      [
        column(entries, (e) => e.eventId),
        column(entries, (e) => e.tenantId),
        column(entries, (e) => e.customerId),
        column(entries, (e) => e.streamRevision),
        column(entries, (e) => e.occurredAt),
        column(entries, (e) => e.recordedAt),
        column(entries, (e) => e.channel),
        column(entries, (e) => e.direction),
        column(entries, (e) => e.kind),
        column(entries, (e) => e.text),
        column(entries, (e) => JSON.stringify(e.media)),
        column(entries, (e) => JSON.stringify(e.provider)),
        column(entries, (e) => e.threadId ?? null),
        column(entries, (e) => (e.details ? JSON.stringify(e.details) : null)),
        column(entries, (e) => e.occurredAtSource ?? null),
        column(entries, (e) => (e.textSignals?.length ? e.textSignals.join(',') : null)),
      ],
    );
    // The first of each event id, as inserted.
    const ids = new Set(r.rows.map((row) => row.event_id));
    inserted = entries.filter((e) => ids.delete(e.eventId.toLowerCase()));
  }
  if (edits.length > 0) {
    await client.query(
      `insert into timeline_edits (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, provider_name, message_id, text, media)
       select distinct on (x.event_id) x.event_id, x.tenant_id, x.customer_id, x.stream_revision, x.occurred_at, x.recorded_at, x.channel, x.provider_name, x.message_id, x.text, x.media
         from unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[])
              with ordinality x(event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, provider_name, message_id, text, media, n)
        where ${NOT_ERASED('x')}
        order by x.event_id, x.n
       on conflict (event_id) do nothing`,
      [
        column(edits, (e) => e.eventId),
        column(edits, (e) => e.tenantId),
        column(edits, (e) => e.customerId),
        column(edits, (e) => e.streamRevision),
        column(edits, (e) => e.occurredAt),
        column(edits, (e) => e.recordedAt),
        column(edits, (e) => e.channel),
        column(edits, (e) => e.provider.name),
        column(edits, (e) => e.provider.messageId),
        column(edits, (e) => e.text),
        column(edits, (e) => JSON.stringify(e.media)),
      ],
    );
  }
  // After both: an edit projected before its original waits in timeline_edits for the entry.
  await refreshEditedEntries(client, editedMessageKeys(run));
  if (registrations.length > 0) {
    // `least` of every registration's time, as the one-by-one upserts leave it.
    await client.query(
      `insert into timeline_customers (tenant_id, customer_id, first_seen_at)
       select x.tenant_id, x.customer_id, min(x.at) from unnest($1::text[], $2::text[], $3::timestamptz[]) x(tenant_id, customer_id, at)
        where ${NOT_ERASED('x')}
        group by x.tenant_id, x.customer_id
       on conflict (tenant_id, customer_id) do update set first_seen_at = least(timeline_customers.first_seen_at, excluded.first_seen_at)`,
      [column(registrations, (r) => r.tenantId), column(registrations, (r) => r.customerId), column(registrations, (r) => r.at)],
    );
  }
  // Registrations first, the last of a key winning; then interactions' identities, the first of a
  // key filling a row nobody has: as `upsertIdentity` one by one. Among the writes of customers not
  // erased; unchanged rows are not rewritten (fewer dead tuples).
  for (const claim of [true, false]) {
    const rows = identities.filter((i) => i.claim === claim);
    if (rows.length === 0) continue;
    await client.query(
      `insert into timeline_identities (tenant_id, kind, namespace, value, customer_id)
       select distinct on (x.tenant_id, x.kind, x.namespace, x.value) x.tenant_id, x.kind, x.namespace, x.value, x.customer_id
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) with ordinality x(tenant_id, kind, namespace, value, customer_id, n)
        where ${NOT_ERASED('x')}
        order by x.tenant_id, x.kind, x.namespace, x.value, x.n ${claim ? 'desc' : 'asc'}
       on conflict (tenant_id, kind, namespace, value) do ${claim ? 'update set customer_id = excluded.customer_id where timeline_identities.customer_id is distinct from excluded.customer_id' : 'nothing'}`,
      [
        column(rows, (i) => i.tenantId),
        column(rows, (i) => i.kind),
        column(rows, (i) => i.namespace),
        column(rows, (i) => i.value),
        column(rows, (i) => i.customerId),
      ],
    );
  }
  if (facts.length > 0) {
    await client.query(
      `insert into timeline_facts (event_id, tenant_id, customer_id, stream_revision, type, occurred_at, event)
       select distinct on (x.event_id) x.event_id, x.tenant_id, x.customer_id, x.stream_revision, x.type, x.occurred_at, x.event
         from unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::jsonb[])
              with ordinality x(event_id, tenant_id, customer_id, stream_revision, type, occurred_at, event, n)
        where ${NOT_ERASED('x')}
        order by x.event_id, x.n
       on conflict (event_id) do nothing`,
      [
        column(facts, (f) => f.fact.metadata.eventId),
        column(facts, (f) => f.tenantId),
        column(facts, (f) => f.customerId),
        column(facts, (f) => f.streamRevision),
        column(facts, (f) => f.fact.type),
        column(facts, (f) => f.fact.metadata.occurredAt),
        column(facts, (f) => JSON.stringify(f.fact)),
      ],
    );
  }
  return inserted;
}

/**
 * Counters (first and last seen, interactions, channels) and preferred channel of these customers,
 * recomputed from their entries: one statement for all of them. Erased customers are left alone.
 * Preferred channel, from behaviour: the channel of most inbound contacts in the 90 days before the
 * customer's latest entry (ties: the most recent; the same rule as the customer state's) — a
 * subquery per customer in the same upsert (it was an update of its own: 14 % of a rebuild's handler).
 * The churn inputs of inbound contacts are not recomputed: the batch's new entries' `deltas` are
 * added to them (sum, least, greatest) in the same statement.
 * Returns the customers whose row this created (their value and satisfaction are still to fill).
 */
export async function refreshCustomerCounters(
  client: PoolClient,
  customers: readonly CustomerKey[],
  deltas: ReadonlyMap<string, ChurnDelta> = new Map(),
): Promise<CustomerKey[]> {
  if (customers.length === 0) return [];
  const keys = [column(customers, (c) => c.tenantId), column(customers, (c) => c.customerId)];
  const d = customers.map((c) => deltaOf(deltas, c.tenantId, c.customerId));
  const upserted = await client.query<{ tenant_id: string; customer_id: string; inserted: boolean }>(
    `insert into timeline_customers (tenant_id, customer_id, first_seen_at, last_seen_at, interactions, channels,
                                     inbound_contacts, first_inbound_at, last_inbound_at, last_complaint_at, last_cancellation_at, last_repeat_contact_at, preferred_channel)
     select e.tenant_id, e.customer_id, min(e.occurred_at), max(e.occurred_at), count(*), array_agg(distinct e.channel order by e.channel),
            t.inbound, t.first_in, t.last_in, t.complaint, t.cancellation, t.repeat_contact,
            (select p.channel from timeline_entries p
              where p.tenant_id = e.tenant_id and p.customer_id = e.customer_id and p.direction = 'inbound' and p.occurred_at >= max(e.occurred_at) - interval '90 days'
              group by p.channel order by count(*) desc, max(p.occurred_at) desc limit 1)
       from unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])
              t(tenant_id, customer_id, inbound, first_in, last_in, complaint, cancellation, repeat_contact)
       join timeline_entries e on e.tenant_id = t.tenant_id and e.customer_id = t.customer_id
      where ${NOT_ERASED('t')}
      group by e.tenant_id, e.customer_id, t.inbound, t.first_in, t.last_in, t.complaint, t.cancellation, t.repeat_contact
     on conflict (tenant_id, customer_id) do update set
       first_seen_at = least(timeline_customers.first_seen_at, excluded.first_seen_at),
       last_seen_at = excluded.last_seen_at, interactions = excluded.interactions, channels = excluded.channels, preferred_channel = excluded.preferred_channel,
       inbound_contacts = timeline_customers.inbound_contacts + excluded.inbound_contacts,
       first_inbound_at = least(timeline_customers.first_inbound_at, excluded.first_inbound_at),
       last_inbound_at = greatest(timeline_customers.last_inbound_at, excluded.last_inbound_at),
       last_complaint_at = greatest(timeline_customers.last_complaint_at, excluded.last_complaint_at),
       last_cancellation_at = greatest(timeline_customers.last_cancellation_at, excluded.last_cancellation_at),
       last_repeat_contact_at = greatest(timeline_customers.last_repeat_contact_at, excluded.last_repeat_contact_at)
     returning tenant_id, customer_id, (xmax = 0) as inserted`,
    [
      ...keys,
      column(d, (x) => x.inbound),
      column(d, (x) => x.firstInboundAt),
      column(d, (x) => x.lastInboundAt),
      column(d, (x) => x.complaintAt),
      column(d, (x) => x.cancellationAt),
      column(d, (x) => x.repeatContactAt),
    ],
  );
  return upserted.rows.filter((r) => r.inserted).map((r) => ({ tenantId: r.tenant_id, customerId: r.customer_id }));
}

/**
 * Value, satisfaction and quadrant of these customers, recomputed from all their facts in stream
 * order with the pure `summaryOfFacts`: one read and one update for all of them.
 */
export async function refreshCustomerFacts(client: PoolClient, customers: readonly CustomerKey[]): Promise<void> {
  if (customers.length === 0) return;
  const facts = await client.query<{ tenant_id: string; customer_id: string; event: SummaryFact }>(
    `select f.tenant_id, f.customer_id, f.event
       from unnest($1::text[], $2::text[]) t(tenant_id, customer_id)
       join timeline_facts f on f.tenant_id = t.tenant_id and f.customer_id = t.customer_id
      order by f.tenant_id, f.customer_id, f.stream_revision, f.event_id`,
    [column(customers, (c) => c.tenantId), column(customers, (c) => c.customerId)],
  );
  const byCustomer = new Map<string, SummaryFact[]>();
  for (const row of facts.rows) {
    const key = JSON.stringify([row.tenant_id, row.customer_id]);
    const list = byCustomer.get(key);
    if (list) list.push(row.event);
    else byCustomer.set(key, [row.event]);
  }
  const summaries = customers.map((c) => summaryOfFacts(byCustomer.get(JSON.stringify([c.tenantId, c.customerId])) ?? []));
  await client.query(
    `update timeline_customers c set value = x.value, satisfaction = x.satisfaction, quadrant = x.quadrant
       from unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::text[]) x(tenant_id, customer_id, value, satisfaction, quadrant)
      where c.tenant_id = x.tenant_id and c.customer_id = x.customer_id
        and (c.value, c.satisfaction, c.quadrant) is distinct from (x.value, x.satisfaction, x.quadrant)`,
    [
      column(customers, (c) => c.tenantId),
      column(customers, (c) => c.customerId),
      column(summaries, (s) => s.value && JSON.stringify(s.value)),
      column(summaries, (s) => s.satisfaction && JSON.stringify(s.satisfaction)),
      column(summaries, (s) => s.quadrant),
    ],
  );
}

/**
 * Churn level and reasons (without silence) of these customers, from the inputs their rows hold
 * (`storedChurnRisk` of @hub/customer): one read of those rows and one update of the rows whose
 * level or reasons changed. Call after their counters and facts are refreshed.
 */
export async function refreshChurnRisk(client: PoolClient, customers: readonly CustomerKey[]): Promise<void> {
  if (customers.length === 0) return;
  const rows = await client.query<
    ChurnInputRow & { tenant_id: string; customer_id: string; churn_level: string | null; churn_reasons: string[] | null }
  >(
    `select c.tenant_id, c.customer_id, c.churn_level, c.churn_reasons, ${churnInputColumns('c')}
       from unnest($1::text[], $2::text[]) t(tenant_id, customer_id)
       join timeline_customers c on c.tenant_id = t.tenant_id and c.customer_id = t.customer_id`,
    [column(customers, (c) => c.tenantId), column(customers, (c) => c.customerId)],
  );
  const changed = rows.rows
    .map((row) => ({ row, risk: storedChurnRiskOfRow(row) }))
    .filter(({ row, risk }) => row.churn_level !== risk.level || (row.churn_reasons ?? []).join(',') !== risk.reasons.join(','));
  if (changed.length === 0) return;
  await client.query(
    `update timeline_customers c set churn_level = x.level, churn_reasons = string_to_array(x.reasons, ',')
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) x(tenant_id, customer_id, level, reasons)
      where c.tenant_id = x.tenant_id and c.customer_id = x.customer_id`,
    [
      column(changed, (c) => c.row.tenant_id),
      column(changed, (c) => c.row.customer_id),
      column(changed, (c) => c.risk.level),
      column(changed, (c) => c.risk.reasons.join(',')),
    ],
  );
}

/**
 * The entries of these messages that have edits show the latest version (by `occurredAt`, then
 * stream revision) and keep every version in `edit_history`: what they said first (taken from the
 * entry the first time it is edited, never again) and each edit, oldest first. Recomputed from
 * `timeline_edits` as a whole, so the order edits and originals were projected in does not matter,
 * and a redelivery changes nothing. One statement; nothing when none of them was edited.
 */
export async function refreshEditedEntries(client: PoolClient, keys: readonly EditedMessageKey[]): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `update timeline_entries e
        set edit_history = jsonb_build_object('original', coalesce(e.edit_history->'original', jsonb_build_object('text', e.text, 'media', e.media)), 'edits', h.edits),
            text = h.last_text, media = h.last_media
       from (select d.tenant_id, d.channel, d.provider_name, d.message_id,
                    jsonb_agg(jsonb_build_object('eventId', d.event_id, 'occurredAt', to_char(d.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'text', d.text, 'media', d.media)
                              order by d.occurred_at, d.stream_revision, d.event_id) as edits,
                    (array_agg(d.text order by d.occurred_at desc, d.stream_revision desc, d.event_id desc))[1] as last_text,
                    (array_agg(d.media order by d.occurred_at desc, d.stream_revision desc, d.event_id desc))[1] as last_media
               from (select distinct * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) k(tenant_id, channel, provider_name, message_id)) k
               join timeline_edits d on d.tenant_id = k.tenant_id and d.channel = k.channel and d.provider_name = k.provider_name and d.message_id = k.message_id
              group by d.tenant_id, d.channel, d.provider_name, d.message_id) h
      where e.tenant_id = h.tenant_id and e.channel = h.channel and e.provider->>'name' = h.provider_name and e.provider->>'messageId' = h.message_id
        and e.edit_history is distinct from jsonb_build_object('original', coalesce(e.edit_history->'original', jsonb_build_object('text', e.text, 'media', e.media)), 'edits', h.edits)`,
    [
      column(keys, (k) => k.tenantId),
      column(keys, (k) => k.channel),
      column(keys, (k) => k.providerName),
      column(keys, (k) => k.messageId),
    ],
  );
}
