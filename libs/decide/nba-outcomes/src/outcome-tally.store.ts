import { runDdl } from '@hub/event-store';
import type { Pool } from 'pg';
import { NBA_OUTCOMES, type NbaOutcome, type NbaOutcomeRecorded } from '@hub/customer';
import { UNKNOWN_SEGMENT, type OutcomeTally } from '@hub/nba';

/** One `NbaOutcomeRecorded`, as the population tally counts it. */
export interface CountedOutcome {
  eventId: string;
  tenantId: string;
  decisionId: string;
  actionId: string;
  segment: string | null;
  outcome: NbaOutcome;
  occurredAt: string;
}

export const countedOutcome = (tenantId: string, event: Pick<NbaOutcomeRecorded, 'data' | 'metadata'>): CountedOutcome => ({
  eventId: event.metadata.eventId,
  tenantId,
  decisionId: event.data.decisionId,
  actionId: event.data.actionId,
  segment: event.data.segment,
  outcome: event.data.outcome,
  occurredAt: event.metadata.occurredAt,
});

/**
 * The outcomes of every customer of a tenant by (action, segment): the data of the engine's
 * Beta-Bernoulli posteriors. Adapter: PostgreSQL (`PostgresOutcomeTallyStore`).
 */
export interface OutcomeTallyStore {
  /** Count one outcome, once: a redelivered event (same id) changes nothing and gives false. */
  count(outcome: CountedOutcome): Promise<boolean>;
  tally(tenantId: string): Promise<OutcomeTally>;
}

/**
 * Tables (owned by this lib: the nba-worker writes them, the query API's menu reads them through
 * `PostgresOutcomeTallyReader`):
 * - `nba_outcomes`: one row per counted `NbaOutcomeRecorded`, keyed by event id (the idempotency guard);
 * - `nba_outcome_tally`: the sums per (tenant, action, segment), updated in the same statement.
 */
export const OUTCOME_TALLY_DDL = `
create table if not exists nba_outcomes (
  event_id text primary key,
  tenant_id text not null,
  decision_id text not null,
  action_id text not null,
  segment text not null,
  outcome text not null,
  occurred_at timestamptz not null,
  counted_at timestamptz not null default now()
);
create table if not exists nba_outcome_tally (
  tenant_id text not null,
  action_id text not null,
  segment text not null,
  accepted integer not null default 0,
  declined integer not null default 0,
  no_response integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, action_id, segment)
);`;

const COUNT = `
with counted as (
  insert into nba_outcomes (event_id, tenant_id, decision_id, action_id, segment, outcome, occurred_at)
  values ($1, $2, $3, $4, $5, $6, $7)
  on conflict (event_id) do nothing
  returning tenant_id, action_id, segment, outcome
)
insert into nba_outcome_tally as t (tenant_id, action_id, segment, accepted, declined, no_response)
select tenant_id, action_id, segment, (outcome = 'accepted')::int, (outcome = 'declined')::int, (outcome = 'no_response')::int from counted
on conflict (tenant_id, action_id, segment) do update set
  accepted = t.accepted + excluded.accepted,
  declined = t.declined + excluded.declined,
  no_response = t.no_response + excluded.no_response,
  updated_at = now()
returning 1`;

interface TallyRow {
  action_id: string;
  segment: string;
  accepted: number;
  declined: number;
  no_response: number;
}

/** Rows of `nba_outcome_tally` as an `OutcomeTally`. */
export function tallyOfRows(rows: readonly TallyRow[]): OutcomeTally {
  const tally: Record<string, Record<string, { accepted: number; declined: number; noResponse: number }>> = {};
  for (const r of rows) {
    const bySegment = (tally[r.action_id] ??= {});
    bySegment[r.segment] = { accepted: r.accepted, declined: r.declined, noResponse: r.no_response };
  }
  return tally;
}

export class PostgresOutcomeTallyStore implements OutcomeTallyStore {
  constructor(private readonly pool: Pool) {}

  static async create(pool: Pool): Promise<PostgresOutcomeTallyStore> {
    await runDdl(pool, OUTCOME_TALLY_DDL);
    return new PostgresOutcomeTallyStore(pool);
  }

  async count(o: CountedOutcome): Promise<boolean> {
    if (!(NBA_OUTCOMES as readonly string[]).includes(o.outcome)) throw new RangeError(`unknown outcome ${JSON.stringify(o.outcome)}`);
    const r = await this.pool.query(COUNT, [
      o.eventId,
      o.tenantId,
      o.decisionId,
      o.actionId,
      o.segment ?? UNKNOWN_SEGMENT,
      o.outcome,
      o.occurredAt,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  tally(tenantId: string): Promise<OutcomeTally> {
    return readTally(this.pool, tenantId);
  }
}

/** DI token of the read-only tally (`PostgresOutcomeTallyReader`). */
export const OUTCOME_TALLY_READER = Symbol('OUTCOME_TALLY_READER');

/**
 * The tally, read-only, for a component that does not count outcomes (the query API's menu decides
 * with the same posteriors as the worker). Creates nothing: before the worker has created the
 * tables, no outcome is counted anywhere, and the tally is empty (the catalog's priors).
 */
export class PostgresOutcomeTallyReader implements Pick<OutcomeTallyStore, 'tally'> {
  constructor(private readonly pool: Pool) {}

  async tally(tenantId: string): Promise<OutcomeTally> {
    try {
      return await readTally(this.pool, tenantId);
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return {}; // undefined_table
      throw err;
    }
  }
}

async function readTally(pool: Pool, tenantId: string): Promise<OutcomeTally> {
  const r = await pool.query<TallyRow>(
    'select action_id, segment, accepted, declined, no_response from nba_outcome_tally where tenant_id = $1',
    [tenantId],
  );
  return tallyOfRows(r.rows);
}

/**
 * The tally per tenant, read again at most every `ttlMs`: deciding does not wait on PostgreSQL for
 * every job, and a decision records the alpha and beta it used, so it stays reproducible whatever
 * the cache held.
 */
export class CachedOutcomeTally {
  private readonly cache = new Map<string, { at: number; tally: Promise<OutcomeTally> }>();

  constructor(
    private readonly store: Pick<OutcomeTallyStore, 'tally'>,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  tally(tenantId: string): Promise<OutcomeTally> {
    const now = this.clock();
    const hit = this.cache.get(tenantId);
    if (hit && now - hit.at < this.ttlMs) return hit.tally;
    const tally = this.store.tally(tenantId);
    this.cache.set(tenantId, { at: now, tally });
    // A failed read is not cached: the next job reads again.
    tally.catch(() => this.cache.delete(tenantId));
    return tally;
  }
}
