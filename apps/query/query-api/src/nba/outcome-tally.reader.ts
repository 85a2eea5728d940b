import type { Pool } from 'pg';
import type { OutcomeTally } from '@hub/nba';

export const OUTCOME_TALLY_READER = Symbol('OUTCOME_TALLY_READER');

/**
 * The population's outcome tally, as the nba-worker keeps it (table `nba_outcome_tally`, written by
 * the worker from `NbaOutcomeRecorded`; see apps/decide/nba-worker/src/outcome-tally.store.ts). Read-only
 * here: the menu decides with the same posteriors as the worker.
 */
export class PostgresOutcomeTallyReader {
  constructor(private readonly pool: Pool) {}

  async tally(tenantId: string): Promise<OutcomeTally> {
    try {
      const r = await this.pool.query<{ action_id: string; segment: string; accepted: number; declined: number; no_response: number }>(
        'select action_id, segment, accepted, declined, no_response from nba_outcome_tally where tenant_id = $1',
        [tenantId],
      );
      const tally: Record<string, Record<string, { accepted: number; declined: number; noResponse: number }>> = {};
      for (const row of r.rows)
        (tally[row.action_id] ??= {})[row.segment] = { accepted: row.accepted, declined: row.declined, noResponse: row.no_response };
      return tally;
    } catch (err) {
      // The worker has not created the table yet: no outcome anywhere, the catalog's priors.
      if ((err as { code?: string }).code === '42P01') return {};
      throw err;
    }
  }
}
