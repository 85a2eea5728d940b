import type { ExportedItem } from '@hub/timeline';

/** CSV columns, in order. NDJSON carries the same entry as an object (media and provider nested). */
export const CSV_COLUMNS = [
  'eventId', 'timelineCustomerId', 'customerId', 'occurredAt', 'recordedAt', 'channel', 'threadId', 'direction', 'kind', 'text', 'media', 'providerName', 'providerMessageId', 'streamRevision',
] as const;

function csvValues(item: ExportedItem): (string | null)[] {
  return [
    item.eventId, item.timelineCustomerId, item.customerId, item.occurredAt, item.recordedAt, item.channel, item.threadId, item.direction, item.kind, item.text,
    item.media.length ? JSON.stringify(item.media) : '', item.provider.name, item.provider.messageId, item.streamRevision,
  ];
}

/**
 * One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula (starting with = + - @, or a tab
 * or carriage return that hides one) is prefixed with `'` (OWASP's CSV-injection advice); a cell with a
 * comma, quote or line break — or a prefixed one — is quoted, with quotes doubled.
 */
export function csvCell(value: string | null): string {
  if (value === null || value === '') return '';
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return guarded !== value || /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function csvRow(values: readonly (string | null)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** The CSV text, a header then one chunk per page read. */
export async function* csvChunks(pages: AsyncIterable<ExportedItem[]>): AsyncGenerator<string> {
  yield csvRow(CSV_COLUMNS);
  for await (const page of pages) yield page.map((item) => csvRow(csvValues(item))).join('');
}

/** One JSON object per line, one chunk per page read. */
export async function* ndjsonChunks(pages: AsyncIterable<ExportedItem[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.map((item) => `${JSON.stringify(item)}\n`).join('');
}
