/**
 * CSV as RFC 4180 writes it: cells separated by commas, rows by CRLF; a cell holding a comma, a
 * quote, CR or LF is quoted, with quotes doubled. Spreadsheet formula injection (OWASP): a cell
 * starting with `=`, `+`, `-`, `@`, tab or CR would be run as a formula by Excel, LibreOffice or
 * Sheets, so it is written with a leading `'` (which those programs hide). Turn it off only for
 * consumers that are not spreadsheets.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | null | undefined, { formulaGuard = true } = {}): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (formulaGuard && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly (string | number | null | undefined)[], options: { formulaGuard?: boolean } = {}): string {
  return `${cells.map((c) => csvCell(c, options)).join(',')}\r\n`;
}
