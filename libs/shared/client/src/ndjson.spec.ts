import { encodeNdjson, ndjsonChunks } from './ndjson';

describe('NDJSON for the batch route', () => {
  it('is one JSON document per line, each line ended', () => {
    expect(encodeNdjson([{ a: 1 }, 'x']).toString('utf8')).toBe('{"a":1}\n"x"\n');
  });

  describe('when a batch is over the limits of one request', () => {
    const doc = (n: number) => ({ text: 'é'.repeat(n) }); // 2 bytes a character: counted in bytes, not characters

    it('is cut at maxEvents', () => {
      expect(ndjsonChunks([1, 2, 3, 4, 5], { maxEvents: 2, maxBytes: 1_000 }).map((c) => [c.from, c.documents])).toEqual([
        [0, [1, 2]],
        [2, [3, 4]],
        [4, [5]],
      ]);
    });

    it('is cut before the encoded bytes pass maxBytes; a document over it alone is a request of its own', () => {
      const line = Buffer.byteLength(JSON.stringify(doc(10))) + 1; // 33 bytes
      const chunks = ndjsonChunks([doc(10), doc(10), doc(10), doc(100), doc(10)], { maxEvents: 100, maxBytes: 2 * line });
      expect(chunks.map((c) => [c.from, c.documents.length])).toEqual([
        [0, 2],
        [2, 1],
        [3, 1],
        [4, 1],
      ]);
      for (const c of chunks.filter((c) => c.documents.length > 1)) expect(encodeNdjson(c.documents).length).toBeLessThanOrEqual(2 * line);
    });

    it('is no request at all when empty', () => {
      expect(ndjsonChunks([], { maxEvents: 2, maxBytes: 100 })).toEqual([]);
    });
  });
});
