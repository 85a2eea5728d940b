import { PassThrough } from 'node:stream';
import { nextBatch } from './readable-batch';

function objectStream(): PassThrough {
  return new PassThrough({ objectMode: true, highWaterMark: 4 });
}

describe('nextBatch', () => {
  describe('when items are buffered', () => {
    it('returns up to max of them at once, in order, and the rest on the next call', async () => {
      const stream = objectStream();
      for (const n of [1, 2, 3]) stream.write(n);

      expect(await nextBatch<number>(stream, 2)).toEqual([1, 2]);
      expect(await nextBatch<number>(stream, 2)).toEqual([3]);
    });
  });

  describe('when nothing is buffered yet', () => {
    it('waits for the next item', async () => {
      const stream = objectStream();
      const pending = nextBatch<number>(stream, 10);
      setImmediate(() => stream.write(7));

      expect(await pending).toEqual([7]);
      expect(stream.listenerCount('readable') + stream.listenerCount('end') + stream.listenerCount('error')).toBe(0);
    });

    it('resolves null when the stream ends', async () => {
      const stream = objectStream();
      const pending = nextBatch<number>(stream, 10);
      stream.end();

      expect(await pending).toBeNull();
    });

    it('resolves null when the signal aborts, and leaves the stream usable', async () => {
      const stream = objectStream();
      const controller = new AbortController();
      const pending = nextBatch<number>(stream, 10, controller.signal);
      controller.abort();

      expect(await pending).toBeNull();
      stream.write(1);
      expect(await nextBatch<number>(stream, 10)).toEqual([1]);
    });

    it('rejects with the stream error', async () => {
      const stream = objectStream();
      const pending = nextBatch<number>(stream, 10);
      stream.destroy(new Error('connection reset'));

      await expect(pending).rejects.toThrow('connection reset');
    });
  });

  describe('when the stream has ended', () => {
    it('still hands out what was buffered, then null', async () => {
      const stream = objectStream();
      stream.write(1);
      stream.end();

      expect(await nextBatch<number>(stream, 10)).toEqual([1]);
      expect(await nextBatch<number>(stream, 10)).toBeNull();
    });
  });

  describe('back-pressure', () => {
    it('leaves items unread while the caller is busy, so the writer sees a full buffer until it reads', async () => {
      const stream = objectStream();
      const items = Array.from({ length: 12 }, (_, i) => i);
      const accepted = items.map((n) => stream.write(n));
      expect(accepted).toContain(false); // past highWaterMark: the source must wait for 'drain'
      const drained = new Promise<void>((resolve) => stream.once('drain', resolve));

      const read: number[] = [];
      while (read.length < items.length) read.push(...((await nextBatch<number>(stream, 5)) ?? []));

      expect(read).toEqual(items);
      await drained;
    });
  });
});
