import type { ExportedItem } from './timeline.queries';

/**
 * The one export format of timelines, for the query API and the `hub export` CLI alike.
 * CSV columns, in order. NDJSON carries the same entry as an object (media, provider and details
 * nested). `details` (the interaction's facet: call, email, order, survey, …) is a JSON cell,
 * empty for a plain message; it is last so that existing consumers' column positions hold.
 */
export const CSV_COLUMNS = [
  'eventId', 'timelineCustomerId', 'customerId', 'occurredAt', 'recordedAt', 'channel', 'threadId', 'direction', 'kind', 'text', 'media', 'providerName', 'providerMessageId', 'streamRevision', 'details', 'edited',
] as const;

export interface CsvOptions {
  /** Prefix cells a spreadsheet would run as a formula with `'` (default on; off only for non-spreadsheet consumers). */
  formulaGuard?: boolean;
}

function csvValues(item: ExportedItem): (string | null)[] {
  return [
    item.eventId, item.timelineCustomerId, item.customerId, item.occurredAt, item.recordedAt, item.channel, item.threadId, item.direction, item.kind, item.text,
    item.media.length ? JSON.stringify(item.media) : '', item.provider.name, item.provider.messageId, item.streamRevision, item.details ? JSON.stringify(item.details) : '',
    item.edited ? JSON.stringify(item.edited) : '',
  ];
}

/**
 * One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula (starting with = + - @, or a tab
 * or carriage return that hides one) is prefixed with `'` (OWASP's CSV-injection advice); a cell with a
 * comma, quote or line break — or a prefixed one — is quoted, with quotes doubled.
 */
export function csvCell(value: string | number | null | undefined, { formulaGuard = true }: CsvOptions = {}): string {
  if (value === null || value === undefined || value === '') return '';
  const text = String(value);
  const guarded = formulaGuard && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return guarded !== text || /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function csvRow(values: readonly (string | number | null | undefined)[], options: CsvOptions = {}): string {
  return `${values.map((v) => csvCell(v, options)).join(',')}\r\n`;
}

/** The CSV text, a header then one chunk per page read. */
export async function* csvChunks(pages: AsyncIterable<ExportedItem[]>, options: CsvOptions = {}): AsyncGenerator<string> {
  yield csvRow(CSV_COLUMNS);
  for await (const page of pages) yield page.map((item) => csvRow(csvValues(item), options)).join('');
}

/** One JSON object per line, one chunk per page read. */
export async function* ndjsonChunks(pages: AsyncIterable<ExportedItem[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.map((item) => `${JSON.stringify(item)}\n`).join('');
}
