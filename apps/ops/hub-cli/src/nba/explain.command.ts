import { customerStream, parseCustomerStream, StreamCategories } from '@hub/contracts';
import { toCustomerEvent } from '@hub/customer-records';
import { DecisionReplayError, reproduceDecision } from '@hub/nba';
import { exactPositionals, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { CliFailure, ExitCode, UsageError } from '../cli.errors';
import type { Subcommand } from './subcommand';
import { explainText } from './explain-text';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `hub nba explain <decisionId>`: finds the decision event (its event id is the decision id) through
 * the event store's `readEvent`, rebuilds the engine's input as of the decision from the customer's
 * whole history as it stood just before the decision's global position (their stream and the
 * streams of the customers merged into them: what the worker read), with the strategy version the
 * decision names (`reproduceDecision` of @hub/nba, the input the worker built), and decides again.
 */
export const explainSubcommand: Subcommand = {
  name: 'explain',
  summary: 'recompute a recorded decision from the events and explain it',
  usage: 'hub nba explain <decisionId> [--tenant t] [--json]',
  help: `Finds the NextBestActionDecided event whose id is <decisionId>, rebuilds the engine's input as of
the decision, with the strategy version it names (every version that recorded decisions is
runnable) — the customer's state and contact history folded from their whole history as it stood
when the decision was made (their stream up to its basedOnRevision, and the streams of the
customers merged into them by then; nba-engine-v1 read the customer's own stream only), the
trigger basedOnEventId, the catalog of its catalogVersion (libs/decide/nba/catalog), now = its occurredAt,
its seed, and the population's outcome counts it recorded (v2 decisions: the posteriors they
recorded; the tally at that moment is kept nowhere else) — decides again and compares the result
with the record, field for field (a v2 decision, which recorded the whole ranking, in that shape).

Prints the chosen action, the menu with P, C, V, L and priority, every candidate's failed policies
with the facts they read, the contact counters and the seed, then "reproduced: yes" or the paths
that differ (stored → recomputed).

  --tenant t   only look in this tenant's customer streams
  --json       { decisionId, tenantId, customerId, reproduced, differences, input, stored, recomputed }

Exit 0 when it reproduces, 1 when it differs or cannot be recomputed (unknown catalog version,
a strategy version this build does not have, a decision of the first rule set) or is not found.`,
  options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
  prepare(values, positionals) {
    const [decisionId] = exactPositionals(positionals, ['decisionId']) as [string];
    if (!UUID.test(decisionId))
      throw new UsageError(`<decisionId> must be a UUID (the decision's event id), not ${JSON.stringify(decisionId)}`);
    const tenantArg = stringOption(values, 'tenant');
    const tenant = tenantArg === undefined ? undefined : tenantId(tenantArg);
    const json = values['json'] === true;
    return async (ctx) => {
      if (tenant !== undefined) await ctx.requireTenant(tenant);
      const { store, customers } = await ctx.stores();
      const found = await store.readEvent(decisionId, {
        eventTypes: ['NextBestActionDecided'],
        streamPrefixes: [tenant ? customerStream(tenant, '') : `${StreamCategories.customer}-`],
      });
      const owner = found && parseCustomerStream(found.streamName);
      const decided = found && toCustomerEvent(found);
      if (!found || !owner || decided?.type !== 'NextBestActionDecided') {
        throw new CliFailure(
          'CLI_UNKNOWN_DECISION',
          `no decision ${decisionId}${tenant ? ` in tenant ${tenant}` : ''} (a decision's id is its event id) in ${ctx.where}`,
        );
      }
      // What the worker read: the whole customer as it stood when the decision was appended.
      const { history } = await customers.readWholeHistoryBefore(owner.tenantId, owner.customerId, found.globalPosition);
      let reproduction;
      try {
        reproduction = reproduceDecision({ decided, tenantId: owner.tenantId, customerId: owner.customerId, history });
      } catch (err) {
        if (err instanceof DecisionReplayError) throw new CliFailure(err.code, err.message);
        throw err;
      }
      const reproduced = reproduction.differences.length === 0;
      if (json) {
        const { input } = reproduction;
        const report = {
          decisionId,
          tenantId: owner.tenantId,
          customerId: owner.customerId,
          reproduced,
          differences: reproduction.differences,
          unmatchedPosteriors: reproduction.unmatchedPosteriors,
          input: {
            basedOnRevision: input.stateRevision,
            trigger: { eventId: input.trigger.metadata.eventId, type: input.trigger.type },
            catalogVersion: input.catalog.catalogVersion,
            now: input.now,
            seed: input.seed,
            posteriors: 'recorded',
            outcomes: input.outcomes,
          },
          stored: reproduction.stored,
          recomputed: reproduction.recomputedRecord,
        };
        await write(ctx.io.stdout, `${toJson(report, 2)}\n`);
      } else {
        await write(ctx.io.stdout, explainText(reproduction, owner));
      }
      return reproduced ? ExitCode.ok : ExitCode.failure;
    };
  },
};
