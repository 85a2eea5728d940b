import type * as CsvStringify from 'csv-stringify/sync';
import type { ExportedItem } from './timeline.queries';

/**
 * The one export format of timelines, for the query API and the `hub export` CLI alike.
 * CSV columns, in order. NDJSON carries the same entry as an object (media, provider and details
 * nested). `details` (the interaction's facet: call, email, order, survey, …) is a JSON cell,
 * empty for a plain message. Columns added later go last, so that existing consumers' column
 * positions hold (`occurredAtSource`: `provider`, `received`, or empty when unknown).
 */
export const CSV_COLUMNS = [
  'eventId',
  'timelineCustomerId',
  'customerId',
  'occurredAt',
  'recordedAt',
  'channel',
  'threadId',
  'direction',
  'kind',
  'text',
  'media',
  'providerName',
  'providerMessageId',
  'streamRevision',
  'details',
  'edited',
  'occurredAtSource',
] as const;

export interface CsvOptions {
  /** Prefix cells a spreadsheet would run as a formula with `'` (default on; off only for non-spreadsheet consumers). */
  formulaGuard?: boolean;
  /** Start with a UTF-8 byte order mark, so a spreadsheet opens non-ASCII text (Arabic, Cyrillic, accents) as UTF-8. */
  bom?: boolean;
}

function csvValues(item: ExportedItem): (string | null)[] {
  return [
    item.eventId,
    item.timelineCustomerId,
    item.customerId,
    item.occurredAt,
    item.recordedAt,
    item.channel,
    item.threadId,
    item.direction,
    item.kind,
    item.text,
    item.media.length ? JSON.stringify(item.media) : '',
    item.provider.name,
    item.provider.messageId,
    item.streamRevision,
    item.details ? JSON.stringify(item.details) : '',
    item.edited ? JSON.stringify(item.edited) : '',
    item.occurredAtSource,
  ];
}

// Required on the first CSV row, not imported: the projector and the query API load this module at boot.
let csv: typeof CsvStringify | undefined;
const csvStringify = (): typeof CsvStringify => (csv ??= require('csv-stringify/sync') as typeof CsvStringify);

/** A cell a spreadsheet would run as a formula: starting with = + - @, or a tab or carriage return that hides one (OWASP's CSV-injection advice). */
const FORMULA = /^[=+\-@\t\r]/;

/**
 * RFC 4180 through `csv-stringify`: CRLF rows; a cell with a comma, quote, CR or LF quoted, quotes
 * doubled (csv-stringify alone would leave a lone CR or LF unquoted with CRLF rows: `quoted_match`
 * quotes them); null as an empty cell. The formula guard is ours: such a cell gets a leading `'`
 * and is quoted.
 */
export function csvRow(values: readonly (string | number | null | undefined)[], { formulaGuard = true }: CsvOptions = {}): string {
  const cells = values.map((v) => {
    if (v === null || v === undefined) return '';
    const text = String(v);
    return formulaGuard && FORMULA.test(text) ? `'${text}` : text;
  });
  return csvStringify().stringify([cells], {
    record_delimiter: 'windows',
    quoted_match: [/[\r\n]/, ...(formulaGuard ? [/^'[=+\-@\t\r]/] : [])],
  });
}

/** One cell as `csvRow` writes it. */
export function csvCell(value: string | number | null | undefined, options: CsvOptions = {}): string {
  return csvRow([value], options).slice(0, -2);
}

/** The CSV text, a header (after a byte order mark with `bom`) then one chunk per page read. */
export async function* csvChunks(pages: AsyncIterable<ExportedItem[]>, options: CsvOptions = {}): AsyncGenerator<string> {
  yield `${options.bom ? '\ufeff' : ''}${csvRow(CSV_COLUMNS)}`;
  for await (const page of pages) yield page.map((item) => csvRow(csvValues(item), options)).join('');
}

/** One JSON object per line, one chunk per page read. */
export async function* ndjsonChunks(pages: AsyncIterable<ExportedItem[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.map((item) => `${JSON.stringify(item)}\n`).join('');
}
