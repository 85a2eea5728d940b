import { TimelineQueries } from '@hub/timeline';
import { customerId, exactPositionals, isoInstant, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { CliFailure, ExitCode } from '../cli.errors';
import type { Command } from '../command';
import { requireReadModel } from './timeline-rows';

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
      await ctx.requireTenant(tenant);
      await requireReadModel(ctx.pool, ctx.where);
      const entries = await new TimelineQueries(ctx.pool).wholeTimeline(tenant, customer, asOf === undefined ? {} : { asOf });
      if (entries === undefined)
        throw new CliFailure('CLI_UNKNOWN_CUSTOMER', `the timeline read model of ${ctx.where} knows no customer ${tenant}/${customer}`);
      await write(ctx.io.stdout, `${toJson({ tenantId: tenant, customerId: customer, asOf: asOf ?? null, entries }, 2)}\n`);
      return ExitCode.ok;
    };
  },
};
