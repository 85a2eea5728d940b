/** One JSON document per line, each line ending in `\n`: what `POST /v1/events/batch` reads. */
export function encodeNdjson(documents: readonly unknown[]): Buffer {
  return Buffer.from(documents.map((d) => `${JSON.stringify(d)}\n`).join(''), 'utf8');
}

/**
 * The documents cut into runs the API takes in one request: at most `maxEvents` documents and, once
 * encoded, at most `maxBytes` bytes (a document larger than that alone is a run of its own: the API
 * then refuses it with its own 413). Each run with the index of its first document.
 */
export function ndjsonChunks<T>(
  documents: readonly T[],
  { maxEvents, maxBytes }: { maxEvents: number; maxBytes: number },
): { from: number; documents: T[] }[] {
  const chunks: { from: number; documents: T[] }[] = [];
  let current: { from: number; documents: T[] } | undefined;
  let bytes = 0;
  documents.forEach((document, i) => {
    const size = Buffer.byteLength(JSON.stringify(document), 'utf8') + 1;
    if (!current || current.documents.length >= maxEvents || (bytes + size > maxBytes && current.documents.length > 0)) {
      current = { from: i, documents: [] };
      chunks.push(current);
      bytes = 0;
    }
    current.documents.push(document);
    bytes += size;
  });
  return chunks;
}
