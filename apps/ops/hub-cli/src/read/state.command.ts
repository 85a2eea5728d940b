import { customerId, exactPositionals, isoInstant, positiveInt, stringOption, tenantId } from '../cli.args';
import { write, toJson } from '../cli-io';
import { CliFailure, ExitCode } from '../cli.errors';
import type { Command } from '../command';

/**
 * `hub state`: the customer's state folded from their stream (`CustomerRepository.load`, the same
 * fold the apps use, personal fields opened), now or as the hub knew it at an instant / revision.
 */
export const stateCommand: Command = {
  name: 'state',
  summary: "a customer's state folded from their stream, now or as of a moment",
  usage: 'hub state <tenant> <customerId> [--as-of ISO] [--revision N]',
  help: `Prints the customer's state as JSON: { tenantId, customerId, asOf, atRevision, revision, state }.

  --as-of ISO     only events recorded (metadata.recordedAt) at or before this instant: what the
                  hub knew then. A time needs a zone: 2025-03-01T10:00:00Z; a date alone is 00:00Z.
  --revision N    only events up to and including stream revision N (0-based)

Both together: both limits apply. Exit 1 when nothing of the customer was recorded (by then).`,
  options: { 'as-of': { type: 'string' }, revision: { type: 'string' } },
  prepare(values, positionals) {
    const [tenant, customer] = exactPositionals(positionals, ['tenant', 'customerId']) as [string, string];
    tenantId(tenant, '<tenant>');
    customerId(customer, '<customerId>');
    const asOfArg = stringOption(values, 'as-of');
    const asOf = asOfArg === undefined ? undefined : isoInstant(asOfArg, '--as-of');
    const revisionArg = stringOption(values, 'revision');
    const atRevision = revisionArg === undefined ? undefined : BigInt(positiveInt(revisionArg, '--revision', { min: 0 }));
    return async (ctx) => {
      await ctx.requireTenant(tenant);
      const { customers } = await ctx.stores();
      const loaded = await customers.load(tenant, customer, {
        ...(asOf !== undefined ? { asOf } : {}),
        ...(atRevision !== undefined ? { atRevision } : {}),
      });
      if (loaded.revision === 'no_stream') {
        throw new CliFailure(
          'CLI_UNKNOWN_CUSTOMER',
          asOf !== undefined || atRevision !== undefined
            ? `no event of ${tenant}/${customer} was recorded by then`
            : `unknown customer ${tenant}/${customer} in ${ctx.where}`,
        );
      }
      await write(
        ctx.io.stdout,
        `${toJson({ tenantId: tenant, customerId: customer, asOf: asOf ?? null, atRevision: atRevision ?? null, revision: loaded.revision, state: loaded.state }, 2)}\n`,
      );
      return ExitCode.ok;
    };
  },
};
