import type { Pool } from 'pg';
import { customerList, isoInstant, noPositionals, positiveInt, requiredOption, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { ExitCode, InterruptedError, UsageError } from '../cli.errors';
import type { Command } from '../command';
import { csvRow } from '../csv';
import { ENTRY_COLUMNS, ENTRY_FROM, requireReadModel, timelineMembers, toTimelineRow, type EntryRecord, type TimelineRow } from '../read/timeline-rows';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** CSV columns, in order; NDJSON carries the same fields (camelCase, `media` and `provider` as JSON). */
export const CSV_COLUMNS = [
  'tenant_id',
  'customer_id',
  'timeline_customer_id',
  'event_id',
  'stream_revision',
  'occurred_at',
  'recorded_at',
  'channel',
  'thread_id',
  'direction',
  'kind',
  'text',
  'media',
  'provider_name',
  'provider_message_id',
] as const;

export function csvCells(row: TimelineRow): (string | null)[] {
  return [
    row.tenantId,
    row.customerId,
    row.timelineCustomerId,
    row.eventId,
    row.streamRevision,
    row.occurredAt,
    row.recordedAt,
    row.channel,
    row.threadId,
    row.direction,
    row.kind,
    row.text,
    JSON.stringify(row.media),
    row.provider.name,
    row.provider.messageId,
  ];
}

export interface ExportSelection {
  tenantId: string;
  customers?: string[];
  /** occurred_at >= from */
  from?: string;
  /** occurred_at < to */
  to?: string;
}

/**
 * The selected rows in keyset pages of `pageSize`, ordered by (customer, occurred_at, event_id) —
 * the order of the index `timeline_entries_customer` — so each page is an index range scan and
 * memory stays flat however many rows there are. Each customer's timeline comes out whole and in
 * time order. The cursor compares `occurred_at` exactly (as text, to the microsecond).
 */
export async function* exportPages(pool: Pool, s: ExportSelection, pageSize: number): AsyncGenerator<TimelineRow[]> {
  const customers = s.customers ? await timelineMembers(pool, s.tenantId, s.customers) : null;
  let after: { customerId: string; occurredKey: string; eventId: string } | undefined;
  for (;;) {
    const r = await pool.query<EntryRecord>(
      `select ${ENTRY_COLUMNS} from ${ENTRY_FROM}
        where e.tenant_id = $1
          and ($2::text[] is null or e.customer_id = any($2::text[]))
          and ($3::timestamptz is null or e.occurred_at >= $3::timestamptz)
          and ($4::timestamptz is null or e.occurred_at < $4::timestamptz)
          and ($5::text is null or (e.tenant_id, e.customer_id, e.occurred_at, e.event_id) > ($1, $5::text, $6::timestamptz, $7::uuid))
        order by e.tenant_id, e.customer_id, e.occurred_at, e.event_id
        limit $8`,
      [s.tenantId, customers, s.from ?? null, s.to ?? null, after?.customerId ?? null, after?.occurredKey ?? null, after?.eventId ?? null, pageSize],
    );
    if (r.rows.length === 0) return;
    yield r.rows.map(toTimelineRow);
    if (r.rows.length < pageSize) return;
    const last = r.rows[r.rows.length - 1]!;
    after = { customerId: last.customer_id, occurredKey: last.occurred_key, eventId: last.event_id };
  }
}

/** `hub export`: timeline rows of a tenant to stdout, as NDJSON or CSV. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'stream timeline rows to stdout as NDJSON or CSV',
  usage: 'hub export --tenant t [--customers a,b] [--from ISO] [--to ISO] --format ndjson|csv',
  help: `Streams the live read model's timeline entries of one tenant to stdout, each customer's
entries together and in time order (keyset pages: memory stays flat for any size).

  --tenant t          required
  --customers a,b     only these customers' timelines (with the customers merged into them)
  --from ISO          occurred_at >= from (when it happened at the source)
  --to ISO            occurred_at < to
  --format f          ndjson (one JSON object per line; nulls kept) or csv (header row, RFC 4180:
                      CRLF rows, quoted cells with doubled quotes; media as JSON; null is empty)
  --no-formula-guard  CSV only: do not prefix cells starting with = + - @ tab or CR with ' (the
                      guard stops spreadsheets running them as formulas; leave it on for any file a
                      person may open)
  --page-size N       rows per database round trip (default 1000)

Columns: ${CSV_COLUMNS.join(', ')}.`,
  options: {
    tenant: { type: 'string' },
    customers: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    'no-formula-guard': { type: 'boolean' },
    'page-size': { type: 'string' },
  },
  prepare(values, positionals) {
    noPositionals(positionals);
    const selection: ExportSelection = { tenantId: tenantId(requiredOption(values, 'tenant')) };
    const customers = stringOption(values, 'customers');
    if (customers !== undefined) selection.customers = customerList(customers);
    const from = stringOption(values, 'from');
    if (from !== undefined) selection.from = isoInstant(from, '--from');
    const to = stringOption(values, 'to');
    if (to !== undefined) selection.to = isoInstant(to, '--to');
    if (selection.from && selection.to && selection.from >= selection.to) throw new UsageError('--from must be before --to');
    const format = requiredOption(values, 'format');
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, not ${JSON.stringify(format)}`);
    const formulaGuard = values['no-formula-guard'] !== true;
    if (!formulaGuard && format !== 'csv') throw new UsageError('--no-formula-guard only applies to --format csv');
    const pageArg = stringOption(values, 'page-size');
    const pageSize = pageArg === undefined ? 1_000 : positiveInt(pageArg, '--page-size', { max: 10_000 });

    return async (ctx) => {
      await requireReadModel(ctx.pool);
      const out = ctx.io.stdout;
      if (format === 'csv') await write(out, csvRow(CSV_COLUMNS));
      let rows = 0;
      for await (const page of exportPages(ctx.pool, selection, pageSize)) {
        const text = format === 'csv' ? page.map((row) => csvRow(csvCells(row), { formulaGuard })).join('') : page.map((row) => `${toJson(row)}\n`).join('');
        await write(out, text);
        rows += page.length;
        if (ctx.io.signal?.aborted) throw new InterruptedError(`export stopped after ${rows} rows (the output is incomplete)`);
      }
      ctx.io.stderr.write(`export: ${rows} rows\n`);
      return ExitCode.ok;
    };
  },
};
