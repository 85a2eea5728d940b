/** One non-blank line of an NDJSON body: its 1-based line number and its bytes (without the line ending). */
export interface NdjsonLine {
  line: number;
  bytes: Buffer;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of an NDJSON body (one JSON document per line). `\r\n` endings and a leading UTF-8 BOM
 * are accepted; blank lines are skipped but still counted, so line numbers match the client's file.
 * Works on bytes: no line is decoded, let alone parsed, before the batch's limits are checked.
 */
export function ndjsonLines(body: Buffer): NdjsonLine[] {
  const lines: NdjsonLine[] = [];
  let start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  let line = 0;
  while (start <= body.length) {
    let end = body.indexOf(LF, start);
    if (end < 0) end = body.length;
    line++;
    let last = end;
    if (last > start && body[last - 1] === CR) last--;
    const bytes = body.subarray(start, last);
    if (!isBlank(bytes)) lines.push({ line, bytes });
    start = end + 1;
  }
  return lines;
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}
