import type { Pool, PoolClient } from 'pg';
import type { OccurredAtSource } from '@hub/contracts';
import { churnRiskAt, QUADRANTS, type ChurnRisk, type Quadrant, type SatisfactionState } from '@hub/customer';
import type { InteractionDetails, SummaryFact, TimelineChange, TimelineEntry } from './timeline.projection';
import {
  insertRowRun,
  refreshChurnRisk,
  refreshCustomerCounters,
  refreshCustomerFacts,
  refreshEditedEntries,
} from './postgres.timeline.batch';
import { churnDeltas, churnInputColumns, churnInputsOfRow, churnRiskOfRow, type ChurnDelta, type ChurnInputRow } from './timeline.churn';
import { planApply, unionOfCustomers } from './timeline.apply-plan';
import { summaryOfFacts, type SummaryValue } from './timeline.summary';
import { SEARCH_COLUMN_DDL, SEARCH_INDEX_DDL } from './timeline.search';

export const TIMELINE_STORE = Symbol('TIMELINE_STORE');

/**
 * The tables `PostgresTimelineStore` writes, every one with a `tenant_id` column: what a replay
 * rebuilds and a takeover replaces. Keep in step with the DDL below.
 */
export const TIMELINE_TABLES = [
  'timeline_entries',
  'timeline_customers',
  'timeline_identities',
  'timeline_erased',
  'timeline_facts',
  'timeline_edits',
] as const;
export type TimelineTable = (typeof TIMELINE_TABLES)[number];

/** The quadrants a summary shows and a search filters on: `quadrantOf`'s four, and `unknown` (no order, no survey answer yet). */
export const SEGMENT_QUADRANTS = [...QUADRANTS, 'unknown'] as const;
export type SegmentQuadrant = (typeof SEGMENT_QUADRANTS)[number];

export interface CustomerSummary {
  tenantId: string;
  customerId: string;
  firstSeenAt: string;
  lastSeenAt: string | null;
  interactions: number;
  channels: string[];
  preferredChannel: string | null;
  /** From the customer's orders and refunds; null without any. */
  value: SummaryValue | null;
  /** From the customer's survey answers; null without any. */
  satisfaction: SatisfactionState | null;
  /**
   * Experience × value (`quadrantOf` in @hub/customer): `champion` (high value, good experience),
   * `at_risk` (high value, poor experience), `low_value_happy`, `low_value_unhappy`; `unknown` while
   * the hub has neither an order nor a survey answer of the customer (stored as null).
   */
  quadrant: SegmentQuadrant;
  /**
   * Churn risk as of the read (`churnRiskAt` in @hub/customer, docs/operations.md "Segments: churn
   * risk"): `high`, `medium`, `low` or `unknown`, and the reason codes behind it.
   */
  churnRisk: ChurnRisk;
  identities: { kind: string; value: string; namespace?: string }[];
}

/** The `timeline_customers` columns one customer's summary is read from (its own row: not a merged whole). */
export type CustomerSummaryRow = Pick<
  ChurnInputRow,
  'value' | 'satisfaction' | 'inbound_contacts' | 'first_inbound_at' | 'last_inbound_at'
> & {
  first_seen_at: Date;
  last_seen_at: Date | null;
  interactions: number;
  channels: string[];
  preferred_channel: string | null;
  quadrant: Quadrant | null;
  churn_level: string | null;
  churn_reasons: string[] | null;
};

/** One customer's summary from its `timeline_customers` row (the store's `getCustomer`, the customer search). */
export function customerSummaryOfRow(
  tenantId: string,
  customerId: string,
  row: CustomerSummaryRow,
  identities: CustomerSummary['identities'],
  now: string,
): CustomerSummary {
  return {
    tenantId,
    customerId,
    firstSeenAt: row.first_seen_at.toISOString(),
    lastSeenAt: row.last_seen_at?.toISOString() ?? null,
    interactions: row.interactions,
    channels: row.channels,
    preferredChannel: row.preferred_channel,
    value: row.value,
    satisfaction: row.satisfaction,
    quadrant: row.quadrant ?? 'unknown',
    churnRisk: churnRiskOfRow(row, now),
    identities,
  };
}

/** The read model's DDL (idempotent): `ensureSchema` and the start of the timeline's version 1. */
export const TIMELINE_DDL = `
create table if not exists timeline_entries (
  event_id uuid primary key,
  tenant_id text not null,
  customer_id text not null,
  stream_revision bigint not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null,
  channel text not null,
  direction text not null,
  kind text not null,
  text text,
  media jsonb not null default '[]',
  provider jsonb not null
);
create index if not exists timeline_entries_customer on timeline_entries (tenant_id, customer_id, occurred_at, event_id);
create table if not exists timeline_customers (
  tenant_id text not null,
  customer_id text not null,
  first_seen_at timestamptz not null,
  last_seen_at timestamptz,
  interactions integer not null default 0,
  channels text[] not null default '{}',
  primary key (tenant_id, customer_id)
);
alter table timeline_customers add column if not exists merged_into text;
alter table timeline_entries add column if not exists thread_id text;
alter table timeline_customers add column if not exists preferred_channel text;
alter table timeline_customers add column if not exists quadrant text;
alter table timeline_entries add column if not exists details jsonb;
alter table timeline_customers add column if not exists value jsonb;
alter table timeline_customers add column if not exists satisfaction jsonb;
-- Orders, refunds and survey answers (the derived events, one row each): value, satisfaction and
-- quadrant of timeline_customers are recomputed from them, so a redelivered one counts once.
create table if not exists timeline_facts (
  event_id uuid primary key,
  tenant_id text not null,
  customer_id text not null,
  stream_revision bigint not null,
  type text not null,
  occurred_at timestamptz not null,
  event jsonb not null
);
create index if not exists timeline_facts_customer on timeline_facts (tenant_id, customer_id, stream_revision);
create table if not exists timeline_identities (
  tenant_id text not null,
  kind text not null,
  namespace text not null default '',
  value text not null,
  customer_id text not null,
  primary key (tenant_id, kind, namespace, value)
);
create index if not exists timeline_identities_customer on timeline_identities (tenant_id, customer_id);
-- Edits of messages (an InteractionRecorded with edits): the entry they edit shows the latest
-- version and keeps every one in edit_history, recomputed from these rows.
create table if not exists timeline_edits (
  event_id uuid primary key,
  tenant_id text not null,
  customer_id text not null,
  stream_revision bigint not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null,
  channel text not null,
  provider_name text not null,
  message_id text not null,
  text text,
  media jsonb not null default '[]'
);
create index if not exists timeline_edits_message on timeline_edits (tenant_id, channel, provider_name, message_id);
create index if not exists timeline_edits_customer on timeline_edits (tenant_id, customer_id);
alter table timeline_entries add column if not exists edit_history jsonb;
-- Where occurred_at came from ('provider' | 'received'); null for entries of events that did not say.
alter table timeline_entries add column if not exists occurred_at_source text;
create index if not exists timeline_entries_provider_message on timeline_entries (tenant_id, channel, (provider->>'name'), (provider->>'messageId'));
-- Churn risk (timeline.churn.ts): the text signals of inbound entries, and per customer what the
-- rule reads — kept up to date from each batch's new entries (sums, least, greatest) — with the
-- level and reasons without silence, which queries apply as of now.
alter table timeline_entries add column if not exists text_signals text[];
alter table timeline_customers add column if not exists inbound_contacts integer not null default 0;
alter table timeline_customers add column if not exists first_inbound_at timestamptz;
alter table timeline_customers add column if not exists last_inbound_at timestamptz;
alter table timeline_customers add column if not exists last_complaint_at timestamptz;
alter table timeline_customers add column if not exists last_cancellation_at timestamptz;
alter table timeline_customers add column if not exists last_repeat_contact_at timestamptz;
alter table timeline_customers add column if not exists churn_level text;
alter table timeline_customers add column if not exists churn_reasons text[];
-- Erased customers: later (redelivered) changes for them must not bring rows back.
create table if not exists timeline_erased (
  tenant_id text not null,
  customer_id text not null,
  erased_at timestamptz not null default now(),
  primary key (tenant_id, customer_id)
);
-- Free-text search (timeline.search.ts): a tsvector PostgreSQL derives from text (an edit re-indexes,
-- an erasure's delete takes it along). Adding it to an existing table rewrites the table once.
${SEARCH_COLUMN_DDL};
${SEARCH_INDEX_DDL};
`;

/**
 * One column per table and per later migration of the DDL: when all are there, the schema is up to
 * date and `ensureSchema` runs no DDL. Add the column of every new `alter table … add column`.
 */
const SCHEMA_MARKERS: readonly (readonly [string, string])[] = [
  ['timeline_entries', 'thread_id'],
  ['timeline_entries', 'details'],
  ['timeline_customers', 'merged_into'],
  ['timeline_customers', 'preferred_channel'],
  ['timeline_customers', 'quadrant'],
  ['timeline_customers', 'value'],
  ['timeline_customers', 'satisfaction'],
  ['timeline_identities', 'customer_id'],
  ['timeline_erased', 'customer_id'],
  ['timeline_facts', 'event'],
  ['timeline_edits', 'message_id'],
  ['timeline_entries', 'edit_history'],
  ['timeline_entries', 'search'],
  ['timeline_entries', 'occurred_at_source'],
  ['timeline_entries', 'text_signals'],
  ['timeline_customers', 'inbound_contacts'],
  ['timeline_customers', 'first_inbound_at'],
  ['timeline_customers', 'last_inbound_at'],
  ['timeline_customers', 'last_complaint_at'],
  ['timeline_customers', 'last_cancellation_at'],
  ['timeline_customers', 'last_repeat_contact_at'],
  ['timeline_customers', 'churn_level'],
  ['timeline_customers', 'churn_reasons'],
];

/**
 * The timeline read model in PostgreSQL. Every write is keyed by event id or natural key, so applying
 * the same change twice leaves the same rows (Kafka redelivers; the projector is at-least-once).
 */
export class PostgresTimelineStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Create or migrate the read model's tables. When every table and column is already there it does
   * nothing: `alter table … add column if not exists` takes an exclusive lock even when the column
   * exists, which deadlocks with a projector batch holding row locks on the same tables.
   */
  async ensureSchema(): Promise<void> {
    const present = await this.pool.query<{ n: string }>(
      `select count(*) as n from information_schema.columns
        where table_schema = current_schema() and (table_name, column_name) in (select * from unnest($1::text[], $2::text[]))`,
      [SCHEMA_MARKERS.map(([t]) => t), SCHEMA_MARKERS.map(([, c]) => c)],
    );
    if (Number(present.rows[0]?.n) === SCHEMA_MARKERS.length) return;
    const client = await this.pool.connect();
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', ['hub.timeline.schema']);
      await client.query(TIMELINE_DDL);
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', ['hub.timeline.schema']).catch(() => undefined);
      client.release();
    }
  }

  /** Apply a batch of changes in one transaction. */
  async apply(changes: readonly TimelineChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.inTransaction((client) => this.applyInTransaction(client, changes));
  }

  /**
   * Apply changes inside the caller's transaction (the projector commits its checkpoint in the same
   * one), and tell live readers: `pg_notify('hub_timeline', '<tenant>:<customer>')`, delivered on commit.
   *
   * Set-based: a run of entry, registration and fact changes is written with one statement per
   * table (`planApply`); purges, merges and unmerges end the run and are applied one at a time in
   * their place; then each touched customer's counters, preferred channel, value, satisfaction and
   * quadrant are recomputed, all customers in one statement each. Same rows and notifications as
   * `applyEachInTransaction`, in about ten statements per batch instead of three or four per change.
   */
  async applyInTransaction(client: PoolClient, changes: readonly TimelineChange[]): Promise<void> {
    const plan = planApply(changes);
    const deltas = new Map<string, ChurnDelta>();
    for (const step of plan.steps) {
      if (step.kind === 'rows') churnDeltas(await insertRowRun(client, step.run), deltas);
      else await this.applyOne(client, step.change);
    }
    const created = await refreshCustomerCounters(client, plan.refreshCounters, deltas);
    const factsRefreshed = unionOfCustomers(plan.refreshFacts, created);
    await refreshCustomerFacts(client, factsRefreshed);
    await refreshChurnRisk(client, unionOfCustomers(plan.refreshCounters, factsRefreshed));
    if (plan.notify.length > 0) await client.query("select pg_notify('hub_timeline', k) from unnest($1::text[]) k", [plan.notify]);
  }

  /**
   * The reference for `applyInTransaction`: the same effect, one change at a time (3–4 statements
   * each). Kept to check the set-based apply against (the equality spec, bench/replay).
   */
  async applyEachInTransaction(client: PoolClient, changes: readonly TimelineChange[]): Promise<void> {
    const touched = new Set<string>();
    const refresh = new Map<string, [string, string]>();
    const refreshFacts = new Map<string, [string, string]>();
    for (const change of changes) {
      await this.applyOne(client, change);
      const [tenantId, customerId] =
        change.kind === 'entry'
          ? [change.entry.tenantId, change.entry.customerId]
          : change.kind === 'edit'
            ? [change.edit.tenantId, change.edit.customerId]
            : [change.tenantId, change.kind === 'merge' ? change.survivorId : change.customerId];
      const key = `${tenantId}:${customerId}`;
      if (change.kind === 'entry') refresh.set(key, [tenantId, customerId]);
      // A first contact too: the facts may have been projected before the customer's row existed.
      if (change.kind === 'fact' || change.kind === 'customer') refreshFacts.set(key, [tenantId, customerId]);
      touched.add(key);
    }
    // Once per customer per batch, not once per entry.
    for (const [key, [tenantId, customerId]] of refresh) {
      if (await this.refreshCustomer(client, tenantId, customerId)) refreshFacts.set(key, [tenantId, customerId]);
    }
    for (const [tenantId, customerId] of refreshFacts.values()) await this.refreshFacts(client, tenantId, customerId);
    for (const [tenantId, customerId] of new Map([...refresh, ...refreshFacts]).values())
      await refreshChurnRisk(client, [{ tenantId, customerId }]);
    for (const key of touched) await client.query("select pg_notify('hub_timeline', $1)", [key]);
  }

  /**
   * Erasure (on `CustomerErased`): deletes every row of the customer from `timeline_entries`,
   * `timeline_customers` and `timeline_identities` in one transaction, and says how many went.
   * Idempotent. A change applied for the customer later (a redelivery) would write rows again:
   * the projector must not apply changes for an erased customer.
   */
  /**
   * A merge: the merged customer's timeline is shown as part of the survivor's, and its identities
   * find the survivor. Reversible by `unmerge`; idempotent.
   */
  async merge(tenantId: string, mergedId: string, survivorId: string): Promise<void> {
    await this.apply([{ kind: 'merge', tenantId, customerId: mergedId, survivorId }]);
  }

  /** Undo a merge: the restored customer has its own timeline again, and its identities back. */
  async unmerge(
    tenantId: string,
    restoredId: string,
    identitiesReturned: readonly { kind: string; value: string; namespace?: string }[],
  ): Promise<void> {
    await this.apply([{ kind: 'unmerge', tenantId, customerId: restoredId, identitiesReturned: [...identitiesReturned] }]);
  }

  async inTransaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await work(client);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Remove every row of an erased customer and refuse any later change for them. */
  async purgeCustomer(tenantId: string, customerId: string): Promise<{ entries: number; customers: number; identities: number }> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const counts = await this.purge(client, tenantId, customerId);
      await client.query('commit');
      return counts;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async purge(
    client: PoolClient,
    tenantId: string,
    customerId: string,
  ): Promise<{ entries: number; customers: number; identities: number }> {
    await client.query('insert into timeline_erased (tenant_id, customer_id) values ($1, $2) on conflict do nothing', [
      tenantId,
      customerId,
    ]);
    const entries = await client.query('delete from timeline_entries where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
    const customers = await client.query('delete from timeline_customers where tenant_id = $1 and customer_id = $2', [
      tenantId,
      customerId,
    ]);
    const identities = await client.query('delete from timeline_identities where tenant_id = $1 and customer_id = $2', [
      tenantId,
      customerId,
    ]);
    await client.query('delete from timeline_facts where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
    await client.query('delete from timeline_edits where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
    return { entries: entries.rowCount ?? 0, customers: customers.rowCount ?? 0, identities: identities.rowCount ?? 0 };
  }

  private async isErased(client: PoolClient, tenantId: string, customerId: string): Promise<boolean> {
    const r = await client.query('select 1 from timeline_erased where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
    return (r.rowCount ?? 0) > 0;
  }

  private async applyOne(client: PoolClient, change: TimelineChange): Promise<void> {
    if (change.kind === 'purge') {
      await this.purge(client, change.tenantId, change.customerId);
      return;
    }
    if (change.kind === 'merge') {
      await client.query('update timeline_customers set merged_into = $3 where tenant_id = $1 and customer_id = $2', [
        change.tenantId,
        change.customerId,
        change.survivorId,
      ]);
      await client.query('update timeline_identities set customer_id = $3 where tenant_id = $1 and customer_id = $2', [
        change.tenantId,
        change.customerId,
        change.survivorId,
      ]);
      return;
    }
    if (change.kind === 'unmerge') {
      await client.query('update timeline_customers set merged_into = null where tenant_id = $1 and customer_id = $2', [
        change.tenantId,
        change.customerId,
      ]);
      for (const i of change.identitiesReturned) {
        await client.query(
          'update timeline_identities set customer_id = $5 where tenant_id = $1 and kind = $2 and namespace = $3 and value = $4',
          [change.tenantId, i.kind, i.namespace ?? '', i.value, change.customerId],
        );
      }
      return;
    }
    if (change.kind === 'edit') {
      await insertRowRun(client, { entries: [], identities: [], registrations: [], facts: [], edits: [change.edit] });
      return;
    }
    const tenantId = change.kind === 'entry' ? change.entry.tenantId : change.tenantId;
    const customerId = change.kind === 'entry' ? change.entry.customerId : change.customerId;
    if (await this.isErased(client, tenantId, customerId)) return;
    if (change.kind === 'fact') {
      const f = change.fact;
      await client.query(
        `insert into timeline_facts (event_id, tenant_id, customer_id, stream_revision, type, occurred_at, event)
         values ($1,$2,$3,$4,$5,$6,$7) on conflict (event_id) do nothing`,
        [f.metadata.eventId, tenantId, customerId, change.streamRevision, f.type, f.metadata.occurredAt, JSON.stringify(f)],
      );
      return;
    }
    if (change.kind === 'customer') {
      await client.query(
        `insert into timeline_customers (tenant_id, customer_id, first_seen_at) values ($1, $2, $3)
         on conflict (tenant_id, customer_id) do update set first_seen_at = least(timeline_customers.first_seen_at, excluded.first_seen_at)`,
        [change.tenantId, change.customerId, change.at],
      );
      await this.upsertIdentity(client, change.tenantId, change.customerId, change.identity, true);
      return;
    }
    const e = change.entry;
    await client.query(
      `insert into timeline_entries (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider, thread_id, details, occurred_at_source, text_signals)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) on conflict (event_id) do nothing`,
      [
        e.eventId,
        e.tenantId,
        e.customerId,
        e.streamRevision,
        e.occurredAt,
        e.recordedAt,
        e.channel,
        e.direction,
        e.kind,
        e.text,
        JSON.stringify(e.media),
        JSON.stringify(e.provider),
        e.threadId ?? null,
        e.details ? JSON.stringify(e.details) : null,
        e.occurredAtSource ?? null,
        e.textSignals?.length ? e.textSignals : null,
      ],
    );
    await refreshEditedEntries(client, [
      { tenantId: e.tenantId, channel: e.channel, providerName: e.provider.name, messageId: e.provider.messageId },
    ]);
    for (const identity of change.identities) await this.upsertIdentity(client, e.tenantId, e.customerId, identity, false);
  }

  /**
   * Derived columns are recomputed from the entries, so a replayed change cannot double-count.
   * True when this created the customer's row (its value and satisfaction are then still to fill).
   */
  private async refreshCustomer(client: PoolClient, tenantId: string, customerId: string): Promise<boolean> {
    if (await this.isErased(client, tenantId, customerId)) return false;
    // The churn inputs too, from all the entries: the definition the set-based path adds batches up to.
    const inbound = (also = 'true') => `filter (where direction = 'inbound' and ${also})`;
    const upserted = await client.query<{ inserted: boolean }>(
      `insert into timeline_customers (tenant_id, customer_id, first_seen_at, last_seen_at, interactions, channels,
                                       inbound_contacts, first_inbound_at, last_inbound_at, last_complaint_at, last_cancellation_at, last_repeat_contact_at)
       select tenant_id, customer_id, min(occurred_at), max(occurred_at), count(*), array_agg(distinct channel order by channel),
              count(*) ${inbound()}, min(occurred_at) ${inbound()}, max(occurred_at) ${inbound()}, max(occurred_at) ${inbound("'complaint' = any(text_signals)")},
              max(occurred_at) ${inbound("'refund_cancel' = any(text_signals)")}, max(occurred_at) ${inbound("'repeat_contact' = any(text_signals)")}
         from timeline_entries where tenant_id = $1 and customer_id = $2 group by tenant_id, customer_id
       on conflict (tenant_id, customer_id) do update set
         first_seen_at = least(timeline_customers.first_seen_at, excluded.first_seen_at),
         last_seen_at = excluded.last_seen_at, interactions = excluded.interactions, channels = excluded.channels,
         inbound_contacts = excluded.inbound_contacts, first_inbound_at = excluded.first_inbound_at, last_inbound_at = excluded.last_inbound_at,
         last_complaint_at = excluded.last_complaint_at, last_cancellation_at = excluded.last_cancellation_at, last_repeat_contact_at = excluded.last_repeat_contact_at
       returning (xmax = 0) as inserted`,
      [tenantId, customerId],
    );
    // Preferred channel, from behaviour: the channel of most inbound contacts in the 90 days before
    // the customer's latest one (ties: the most recent). The same rule as the customer state's.
    await client.query(
      `update timeline_customers c set preferred_channel = (
         select e.channel from timeline_entries e
          where e.tenant_id = $1 and e.customer_id = $2 and e.direction = 'inbound'
            and e.occurred_at >= (select max(occurred_at) from timeline_entries where tenant_id = $1 and customer_id = $2) - interval '90 days'
          group by e.channel order by count(*) desc, max(e.occurred_at) desc limit 1)
        where c.tenant_id = $1 and c.customer_id = $2`,
      [tenantId, customerId],
    );
    return upserted.rows[0]?.inserted === true;
  }

  /**
   * Value, satisfaction and quadrant, recomputed from all the customer's facts in stream order with
   * the pure `summaryOfFacts` (the customer domain's own fold and `quadrantOf`): a redelivered fact
   * is one row, so it counts once.
   */
  private async refreshFacts(client: PoolClient, tenantId: string, customerId: string): Promise<void> {
    const facts = await client.query<{ event: SummaryFact }>(
      'select event from timeline_facts where tenant_id = $1 and customer_id = $2 order by stream_revision, event_id',
      [tenantId, customerId],
    );
    const summary = summaryOfFacts(facts.rows.map((r) => r.event));
    await client.query(
      `update timeline_customers set value = $3, satisfaction = $4, quadrant = $5
        where tenant_id = $1 and customer_id = $2 and (value, satisfaction, quadrant) is distinct from ($3::jsonb, $4::jsonb, $5::text)`,
      [
        tenantId,
        customerId,
        summary.value && JSON.stringify(summary.value),
        summary.satisfaction && JSON.stringify(summary.satisfaction),
        summary.quadrant,
      ],
    );
  }

  /**
   * A registration (`claim`: the customer's own first claim of the identity) takes the row; an
   * interaction only fills a row nobody has — it may name another customer's identity (a contact
   * card with someone else's phone: merge evidence, not a claim). Who holds an identity is its claim
   * in the event store; the query API answers from there.
   */
  private async upsertIdentity(
    client: PoolClient,
    tenantId: string,
    customerId: string,
    identity: { kind: string; value: string; namespace?: string },
    claim: boolean,
  ): Promise<void> {
    await client.query(
      `insert into timeline_identities (tenant_id, kind, namespace, value, customer_id) values ($1,$2,$3,$4,$5)
       on conflict (tenant_id, kind, namespace, value) do ${claim ? 'update set customer_id = excluded.customer_id' : 'nothing'}`,
      [tenantId, identity.kind, identity.namespace ?? '', identity.value, customerId],
    );
  }

  async findCustomerIdByIdentity(tenantId: string, kind: string, value: string, namespace = ''): Promise<string | undefined> {
    const r = await this.pool.query<{ customer_id: string }>(
      'select customer_id from timeline_identities where tenant_id = $1 and kind = $2 and namespace = $3 and value = $4',
      [tenantId, kind, namespace, value],
    );
    return r.rows[0]?.customer_id;
  }

  /**
   * The customer's summary. For a customer others were merged into (and not unmerged), it is the
   * whole customer's, as their folded state is: counters, channels and preferred channel over every
   * member's entries, value, satisfaction and quadrant over every member's facts (members: those
   * whose `merged_into` leads to this customer, at any depth). Each member's own row stays its own.
   */
  async getCustomer(
    tenantId: string,
    customerId: string,
    { now = new Date().toISOString() }: { now?: string } = {},
  ): Promise<CustomerSummary | undefined> {
    const members = await this.pool.query<{ customer_id: string }>(
      `with recursive members(customer_id) as (
         select $2::text
         union
         select c.customer_id from timeline_customers c join members m on c.tenant_id = $1 and c.merged_into = m.customer_id)
       select customer_id from members`,
      [tenantId, customerId],
    );
    if (members.rows.length > 1)
      return this.getWholeCustomer(
        tenantId,
        customerId,
        members.rows.map((m) => m.customer_id),
        now,
      );
    const r = await this.pool.query<CustomerSummaryRow>(
      `select c.first_seen_at, c.last_seen_at, c.interactions, c.channels, c.preferred_channel, c.quadrant, c.churn_level, c.churn_reasons, ${churnInputColumns('c')}
         from timeline_customers c where c.tenant_id = $1 and c.customer_id = $2`,
      [tenantId, customerId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return customerSummaryOfRow(tenantId, customerId, row, await this.identitiesOf(tenantId, customerId), now);
  }

  private async getWholeCustomer(
    tenantId: string,
    customerId: string,
    members: string[],
    now: string,
  ): Promise<CustomerSummary | undefined> {
    const r = await this.pool.query<{
      first_seen_at: Date;
      last_seen_at: Date | null;
      interactions: number;
      channels: string[] | null;
      preferred_channel: string | null;
      own: boolean;
      inbound_contacts: number;
      first_inbound_at: Date | null;
      last_inbound_at: Date | null;
      last_complaint_at: Date | null;
      last_cancellation_at: Date | null;
      last_repeat_contact_at: Date | null;
    }>(
      `select min(c.first_seen_at) as first_seen_at, max(c.last_seen_at) as last_seen_at, coalesce(sum(c.interactions), 0)::int as interactions,
              coalesce(sum(c.inbound_contacts), 0)::int as inbound_contacts, min(c.first_inbound_at) as first_inbound_at, max(c.last_inbound_at) as last_inbound_at,
              max(c.last_complaint_at) as last_complaint_at, max(c.last_cancellation_at) as last_cancellation_at, max(c.last_repeat_contact_at) as last_repeat_contact_at,
              (select array_agg(distinct ch order by ch) from timeline_customers m, unnest(m.channels) ch where m.tenant_id = $1 and m.customer_id = any($2::text[])) as channels,
              (select e.channel from timeline_entries e
                where e.tenant_id = $1 and e.customer_id = any($2::text[]) and e.direction = 'inbound'
                  and e.occurred_at >= (select max(l.occurred_at) from timeline_entries l where l.tenant_id = $1 and l.customer_id = any($2::text[])) - interval '90 days'
                group by e.channel order by count(*) desc, max(e.occurred_at) desc limit 1) as preferred_channel,
              bool_or(c.customer_id = $3) as own
         from timeline_customers c where c.tenant_id = $1 and c.customer_id = any($2::text[])`,
      [tenantId, members, customerId],
    );
    const row = r.rows[0];
    if (!row?.own || !row.first_seen_at) return undefined;
    // Facts of several streams: stream revisions do not order them, when they happened does (value and
    // satisfaction are folded by occurredAt anyway).
    const facts = await this.pool.query<{ event: SummaryFact }>(
      'select event from timeline_facts where tenant_id = $1 and customer_id = any($2::text[]) order by occurred_at, stream_revision, event_id',
      [tenantId, members],
    );
    const summary = summaryOfFacts(facts.rows.map((f) => f.event));
    return {
      tenantId,
      customerId,
      firstSeenAt: row.first_seen_at.toISOString(),
      lastSeenAt: row.last_seen_at?.toISOString() ?? null,
      interactions: row.interactions,
      channels: row.channels ?? [],
      preferredChannel: row.preferred_channel,
      value: summary.value,
      satisfaction: summary.satisfaction,
      quadrant: summary.quadrant ?? 'unknown',
      // The churn inputs combine over the members (sums, least, greatest): the whole customer's risk.
      churnRisk: churnRiskAt(churnInputsOfRow({ ...row, value: summary.value, satisfaction: summary.satisfaction }), now),
      identities: await this.identitiesOf(tenantId, customerId),
    };
  }

  private async identitiesOf(tenantId: string, customerId: string): Promise<CustomerSummary['identities']> {
    const ids = await this.pool.query<{ kind: string; namespace: string; value: string }>(
      'select kind, namespace, value from timeline_identities where tenant_id = $1 and customer_id = $2 order by kind, value',
      [tenantId, customerId],
    );
    return ids.rows.map((i) => (i.namespace ? { kind: i.kind, namespace: i.namespace, value: i.value } : { kind: i.kind, value: i.value }));
  }

  async listCustomers(
    tenantId: string,
    limit = 100,
    { now = new Date().toISOString() }: { now?: string } = {},
  ): Promise<CustomerSummary[]> {
    const r = await this.pool.query<{ customer_id: string }>(
      'select customer_id from timeline_customers where tenant_id = $1 and merged_into is null order by first_seen_at, customer_id limit $2',
      [tenantId, limit],
    );
    const out: CustomerSummary[] = [];
    for (const row of r.rows) {
      const c = await this.getCustomer(tenantId, row.customer_id, { now });
      if (c) out.push(c);
    }
    return out;
  }

  /**
   * A customer's timeline ordered by when things happened (late arrivals land in place): its own
   * entries and those of every customer whose `merged_into` leads to it, at any depth.
   */
  async getTimeline(tenantId: string, customerId: string, { limit = 100 }: { limit?: number } = {}): Promise<TimelineEntry[]> {
    const r = await this.pool.query<{
      customer_id: string;
      event_id: string;
      stream_revision: string;
      occurred_at: Date;
      occurred_at_source: OccurredAtSource | null;
      recorded_at: Date;
      channel: string;
      direction: string;
      kind: string;
      text: string | null;
      media: TimelineEntry['media'];
      provider: TimelineEntry['provider'];
      details: InteractionDetails | null;
    }>(
      `select customer_id, event_id, stream_revision, occurred_at, occurred_at_source, recorded_at, channel, direction, kind, text, media, provider, details
         from timeline_entries
        where tenant_id = $1
          and customer_id in (
            with recursive members(customer_id) as (
              select $2::text
              union
              select c.customer_id from timeline_customers c join members m on c.tenant_id = $1 and c.merged_into = m.customer_id)
            select customer_id from members)
        order by occurred_at, event_id limit $3`,
      [tenantId, customerId, limit],
    );
    return r.rows.map((row) => ({
      tenantId,
      // The customer whose stream holds the entry (a customer merged into this one keeps its own).
      customerId: row.customer_id,
      eventId: row.event_id,
      streamRevision: row.stream_revision,
      occurredAt: row.occurred_at.toISOString(),
      ...(row.occurred_at_source ? { occurredAtSource: row.occurred_at_source } : {}),
      recordedAt: row.recorded_at.toISOString(),
      channel: row.channel,
      direction: row.direction,
      kind: row.kind,
      text: row.text,
      media: row.media,
      provider: row.provider,
      ...(row.details ? { details: row.details } : {}),
    }));
  }
}
