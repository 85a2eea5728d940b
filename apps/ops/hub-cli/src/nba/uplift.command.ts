import { currentCatalog, Uplift, type UpliftReport } from '@hub/nba';
import { isoInstant, noPositionals, positiveNumber, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import type { CliContext } from '../cli-context';
import { ExitCode, UsageError } from '../cli.errors';
import { grouped } from '../progress-line';
import { readCustomerEvents } from './read-customer-events';
import { upliftText } from './uplift-text';
import type { Subcommand } from './subcommand';

export interface UpliftRun {
  windowHours: number;
  from?: string;
  to?: string;
  tenantId?: string;
}

/** Reads the customer streams (of one tenant, or all) in log order to the head, feeding an `Uplift` (@hub/nba). */
export async function runUplift(ctx: CliContext, o: UpliftRun): Promise<{ report: UpliftReport; events: number; seconds: number }> {
  const uplift = new Uplift({
    windowHours: o.windowHours,
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
  });
  const { events, seconds } = await readCustomerEvents(
    ctx,
    { label: 'uplift', ...(o.tenantId !== undefined ? { tenantId: o.tenantId } : {}) },
    (e) => uplift.add(e.tenantId, e.customerId, e.event),
  );
  return { report: uplift.report(), events, seconds };
}

export const upliftSubcommand: Subcommand = {
  name: 'uplift',
  summary: 'the uplift of each action with a control group: treated against control',
  usage: 'hub nba uplift [--from ISO] [--to ISO] [--window-hours h] [--tenant t] [--json]',
  help: `Reads the customer streams (of --tenant, or all) in log order, to the head. For every action
some decision withheld (catalog controlGroupShare: the decision fell in its control group), compares
the decisions that contacted the customer with it (treated) with those that withheld it (control):
decisions, distinct customers, conversions and their rate, and the uplift (treated rate - control
rate) with its 95 % interval. A treated decision converts when it was accepted (a reply, keyword,
click, order or a person's word) or an order came within the window after it; a control decision
when an order came within the window after it.

  --from ISO         decisions made from (inclusive); default: the beginning
  --to ISO           decisions made before (exclusive); default: the head
  --window-hours h   how long after a decision an order counts; default the catalog's
                     noResponseAfterHours
  --tenant t         only this tenant's customers
  --json             the report as JSON

Progress on stderr; the report on stdout.`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    'window-hours': { type: 'string' },
    tenant: { type: 'string' },
    json: { type: 'boolean' },
  },
  prepare(values, positionals) {
    noPositionals(positionals);
    const fromArg = stringOption(values, 'from');
    const toArg = stringOption(values, 'to');
    const from = fromArg === undefined ? undefined : isoInstant(fromArg, '--from');
    const to = toArg === undefined ? undefined : isoInstant(toArg, '--to');
    if (from !== undefined && to !== undefined && from >= to) throw new UsageError('--from must be before --to');
    const windowArg = stringOption(values, 'window-hours');
    const windowHours =
      windowArg === undefined ? currentCatalog().learning.noResponseAfterHours : positiveNumber(windowArg, '--window-hours');
    const tenantArg = stringOption(values, 'tenant');
    const json = values['json'] === true;
    const run: UpliftRun = {
      windowHours,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(tenantArg !== undefined ? { tenantId: tenantId(tenantArg) } : {}),
    };
    return async (ctx) => {
      const { report, events, seconds } = await runUplift(ctx, run);
      const decisions = report.actions.reduce((sum, a) => sum + a.treated.decisions + a.control.decisions, 0);
      ctx.io.stderr.write(
        `uplift: ${grouped(decisions)} decisions of ${report.actions.length} actions from ${grouped(events)} events in ${seconds.toFixed(1)} s\n`,
      );
      await write(ctx.io.stdout, json ? `${toJson(report, 2)}\n` : upliftText(report));
      return ExitCode.ok;
    };
  },
};
