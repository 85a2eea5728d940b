import { csvChunks, ndjsonChunks, TimelineQueries, type ExportFilter } from '@hub/timeline';
import { customerList, isoInstant, noPositionals, positiveInt, requiredOption, stringOption, tenantId } from '../cli.args';
import { write } from '../cli-io';
import { ExitCode, InterruptedError, UsageError } from '../cli.errors';
import type { Command } from '../command';
import { requireReadModel } from '../read/timeline-rows';

export { CSV_COLUMNS } from '@hub/timeline';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `hub export`: timeline rows of a tenant to stdout, as NDJSON or CSV. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'stream timeline rows to stdout as NDJSON or CSV',
  usage: 'hub export --tenant t [--customers a,b] [--from ISO] [--to ISO] [--recorded-from ISO] [--recorded-to ISO] --format ndjson|csv',
  help: `Streams the live read model's timeline entries of one tenant to stdout, each customer's
entries together and in time order (keyset pages: memory stays flat for any size).

  --tenant t          required
  --customers a,b     only these customers' timelines (with the customers merged into them)
  --from ISO          occurred_at >= from (when it happened at the source: occurredAtSource says
                      whether that is the provider's time or, without one, when the hub received it)
  --to ISO            occurred_at < to
  --recorded-from ISO recorded_at >= recorded-from (when the hub recorded it)
  --recorded-to ISO   recorded_at < recorded-to
  --format f          ndjson (one JSON object per line; nulls kept) or csv (header row, RFC 4180:
                      CRLF rows, quoted cells with doubled quotes; media as JSON; null is empty)
  --no-formula-guard  CSV only: do not prefix cells starting with = + - @ tab or CR with ' (the
                      guard stops spreadsheets running them as formulas; leave it on for any file a
                      person may open)
  --bom               CSV only: start with a UTF-8 byte order mark, so a spreadsheet reads Arabic,
                      Cyrillic and accented text as UTF-8
  --page-size N       rows per database round trip (default 1000)

The format is the query API's (GET /tenants/:t/exports/timelines): one export format for both.`,
  options: {
    tenant: { type: 'string' },
    customers: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'recorded-from': { type: 'string' },
    'recorded-to': { type: 'string' },
    format: { type: 'string' },
    'no-formula-guard': { type: 'boolean' },
    bom: { type: 'boolean' },
    'page-size': { type: 'string' },
  },
  prepare(values, positionals) {
    noPositionals(positionals);
    const tenant = tenantId(requiredOption(values, 'tenant'));
    const selection: ExportFilter = {};
    const customers = stringOption(values, 'customers');
    if (customers !== undefined) selection.customerIds = customerList(customers);
    const from = stringOption(values, 'from');
    if (from !== undefined) selection.from = isoInstant(from, '--from');
    const to = stringOption(values, 'to');
    if (to !== undefined) selection.to = isoInstant(to, '--to');
    if (selection.from && selection.to && selection.from >= selection.to) throw new UsageError('--from must be before --to');
    const recordedFrom = stringOption(values, 'recorded-from');
    if (recordedFrom !== undefined) selection.recordedFrom = isoInstant(recordedFrom, '--recorded-from');
    const recordedTo = stringOption(values, 'recorded-to');
    if (recordedTo !== undefined) selection.recordedTo = isoInstant(recordedTo, '--recorded-to');
    if (selection.recordedFrom && selection.recordedTo && selection.recordedFrom >= selection.recordedTo)
      throw new UsageError('--recorded-from must be before --recorded-to');
    const format = requiredOption(values, 'format');
    if (!(EXPORT_FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, not ${JSON.stringify(format)}`);
    const formulaGuard = values['no-formula-guard'] !== true;
    if (!formulaGuard && format !== 'csv') throw new UsageError('--no-formula-guard only applies to --format csv');
    const bom = values['bom'] === true;
    if (bom && format !== 'csv') throw new UsageError('--bom only applies to --format csv');
    const pageArg = stringOption(values, 'page-size');
    const pageSize = pageArg === undefined ? 1_000 : positiveInt(pageArg, '--page-size', { max: 10_000 });

    return async (ctx) => {
      await ctx.requireTenant(tenant);
      await requireReadModel(ctx.pool, ctx.where);
      const out = ctx.io.stdout;
      let rows = 0;
      // The query API's keyset export (customer, occurred_at, event_id), counted as it streams by.
      const pages = (async function* counted() {
        for await (const page of new TimelineQueries(ctx.pool).exportEntries(tenant, selection, { pageSize })) {
          if (ctx.io.signal?.aborted) throw new InterruptedError(`export stopped after ${rows} rows (the output is incomplete)`);
          rows += page.length;
          yield page;
        }
      })();
      for await (const chunk of format === 'csv' ? csvChunks(pages, { formulaGuard, bom }) : ndjsonChunks(pages)) await write(out, chunk);
      ctx.io.stderr.write(`export: ${rows} rows\n`);
      return ExitCode.ok;
    };
  },
};
