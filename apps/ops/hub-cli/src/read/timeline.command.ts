import { customerId, exactPositionals, isoInstant, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { CliFailure, ExitCode } from '../cli.errors';
import type { Command } from '../command';
import {
  ENTRY_COLUMNS,
  ENTRY_FROM,
  requireReadModel,
  timelineMembers,
  toTimelineRow,
  withTopSurvivors,
  type EntryRecord,
} from './timeline-rows';

/**
 * `hub timeline`: the customer's cross-channel timeline from the live read model, ordered by when
 * things happened. As of an instant it keeps the entries recorded by then (`recorded_at`, the
 * ingestion time the read model stores, the same instant `hub state --as-of` cuts the stream at):
 * an interaction that happened earlier but reached the hub later is left out, as the hub did not
 * know it yet.
 */
export const timelineCommand: Command = {
  name: 'timeline',
  summary: "a customer's timeline from the read model, now or as of a moment",
  usage: 'hub timeline <tenant> <customerId> [--as-of ISO]',
  help: `Prints { tenantId, customerId, asOf, entries: [...] } as JSON, entries by occurredAt, including
those of customers merged into this one (as the query API shows them).

  --as-of ISO   only entries recorded (recorded_at: when the hub accepted them) at or before this
                instant. Read from the live read model: merges and erasures are as they are now —
                an erased customer has no timeline at any date; use \`hub state --as-of\` to see the
                stream as it was.

Exit 1 when the read model knows nothing of the customer.`,
  options: { 'as-of': { type: 'string' } },
  prepare(values, positionals) {
    const [tenant, customer] = exactPositionals(positionals, ['tenant', 'customerId']) as [string, string];
    tenantId(tenant, '<tenant>');
    customerId(customer, '<customerId>');
    const asOfArg = stringOption(values, 'as-of');
    const asOf = asOfArg === undefined ? undefined : isoInstant(asOfArg, '--as-of');
    return async (ctx) => {
      const pool = ctx.pool;
      await ctx.requireTenant(tenant);
      await requireReadModel(pool, ctx.where);
      const known = await pool.query(
        'select 1 from timeline_customers where tenant_id = $1 and customer_id = $2 union all select 1 from timeline_entries where tenant_id = $1 and customer_id = $2 limit 1',
        [tenant, customer],
      );
      if (known.rowCount === 0)
        throw new CliFailure('CLI_UNKNOWN_CUSTOMER', `the timeline read model of ${ctx.where} knows no customer ${tenant}/${customer}`);
      const members = await timelineMembers(pool, tenant, [customer]);
      const r = await pool.query<EntryRecord>(
        `select ${ENTRY_COLUMNS} from ${ENTRY_FROM}
          where e.tenant_id = $1 and e.customer_id = any($2::text[]) and ($3::timestamptz is null or e.recorded_at <= $3::timestamptz)
          order by e.occurred_at, e.event_id`,
        [tenant, members, asOf ?? null],
      );
      await write(
        ctx.io.stdout,
        `${toJson({ tenantId: tenant, customerId: customer, asOf: asOf ?? null, entries: (await withTopSurvivors(pool, tenant, r.rows)).map(toTimelineRow) }, 2)}\n`,
      );
      return ExitCode.ok;
    };
  },
};
