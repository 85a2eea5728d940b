import { readFileSync } from 'node:fs';
import { Backtest, CatalogError, loadCatalog, type BacktestReport, type Catalog } from '@hub/nba';
import { isoInstant, noPositionals, requiredOption, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import type { CliContext } from '../cli-context';
import { ExitCode, UsageError } from '../cli.errors';
import { grouped } from '../progress-line';
import { readCustomerEvents } from './read-customer-events';
import { backtestText } from './backtest-text';
import type { Subcommand } from './subcommand';

export interface BacktestRun {
  candidate: Catalog;
  from: string;
  to: string;
  tenantId?: string;
}

/** A catalog file, validated as the worker validates its catalog at boot; every problem names its field. */
export function readCatalogFile(path: string): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // `fs` errors are not `instanceof Error` in every realm (jest): read the message as a property.
    const message = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
    throw new UsageError(`--catalog ${path}: ${message}`);
  }
  try {
    return loadCatalog(json);
  } catch (err) {
    if (err instanceof CatalogError) throw new UsageError(`--catalog ${path}: ${err.message}`);
    throw err;
  }
}

/**
 * Reads the customer streams (of one tenant, or all) in log order up to the head as it was at the
 * start, feeding a `Backtest` (@hub/nba): every decision made in the window is decided again with
 * the candidate catalog, on the input it had. Outcomes are read to the head, so a decision late in
 * the window still gets the outcome recorded after it.
 */
export async function runBacktest(ctx: CliContext, o: BacktestRun): Promise<{ report: BacktestReport; events: number; seconds: number }> {
  const backtest = new Backtest({ candidate: o.candidate, from: o.from, to: o.to });
  const { events, seconds } = await readCustomerEvents(
    ctx,
    {
      label: 'backtest',
      interrupted: () => `${backtest.decisions.length} decisions replayed`,
      ...(o.tenantId !== undefined ? { tenantId: o.tenantId } : {}),
    },
    (e) => backtest.add(e),
  );
  return { report: backtest.report(), events, seconds };
}

export const backtestSubcommand: Subcommand = {
  name: 'backtest',
  summary: 'replay the decisions of a window with a candidate catalog and compare',
  usage: 'hub nba backtest --catalog <file> --from ISO --to ISO [--tenant t] [--json]',
  help: `Reads the customer streams (of --tenant, or all) in log order. Every NextBestActionDecided made
(occurredAt) from --from (inclusive) to --to (exclusive) is decided again with the candidate
catalog, on the input it had: the customer's stream up to its basedOnRevision, its trigger, its now
and its seed; posteriors as the decision recorded them for the actions it scored, otherwise the
outcomes recorded before it. Contact caps and cooldowns count the contacts that were really made.

Compares, per action and per channel, what was decided with what the candidate chooses: agreement
(same action), acceptance of the decided actions (NbaOutcomeRecorded of each decision, read up to
the head), catalog value of the chosen actions, and proactive contacts per channel.

  --catalog file   the candidate catalog (JSON, validated like the shipped one: every problem
                   names its field; exit 2 when invalid)
  --from ISO       required
  --to ISO         required
  --tenant t       only this tenant's customers
  --json           the report as JSON

Progress on stderr; the report on stdout.`,
  options: {
    catalog: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    tenant: { type: 'string' },
    json: { type: 'boolean' },
  },
  prepare(values, positionals) {
    noPositionals(positionals);
    const from = isoInstant(requiredOption(values, 'from'), '--from');
    const to = isoInstant(requiredOption(values, 'to'), '--to');
    if (from >= to) throw new UsageError('--from must be before --to');
    const tenantArg = stringOption(values, 'tenant');
    const candidate = readCatalogFile(requiredOption(values, 'catalog'));
    const json = values['json'] === true;
    const run: BacktestRun = { candidate, from, to, ...(tenantArg !== undefined ? { tenantId: tenantId(tenantArg) } : {}) };
    return async (ctx) => {
      const { report, events, seconds } = await runBacktest(ctx, run);
      const rate = seconds > 0 ? ` (${grouped(events / seconds)} events/s, ${grouped(report.decisions / seconds)} decisions/s)` : '';
      ctx.io.stderr.write(
        `backtest: ${grouped(report.decisions)} decisions replayed from ${grouped(events)} events in ${seconds.toFixed(1)} s${rate}\n`,
      );
      await write(ctx.io.stdout, json ? `${toJson(report, 2)}\n` : backtestText(report));
      return ExitCode.ok;
    };
  },
};
