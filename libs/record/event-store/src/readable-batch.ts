import type { Readable } from 'node:stream';

/** What `nextBatch` uses of an object-mode `Readable` (client libraries redeclare its event overloads). */
export type BatchSource = Pick<Readable, 'read' | 'readableEnded' | 'destroyed' | 'errored'> & {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
};

/**
 * Takes what an object-mode readable has buffered, up to `max` items, waiting for at least one.
 * Resolves null when the stream ends or closes, or when `signal` aborts; rejects when it errors.
 * Nothing is read while the caller handles a batch, so the stream's buffer fills up and its source
 * is paused: back-pressure. Leaves no listener behind.
 */
export function nextBatch<T>(stream: BatchSource, max: number, signal?: AbortSignal): Promise<T[] | null> {
  const take = (): T[] => {
    const batch: T[] = [];
    while (batch.length < max) {
      const item: unknown = stream.read();
      if (item === null) break;
      batch.push(item as T);
    }
    return batch;
  };
  if (signal?.aborted) return Promise.resolve(null);
  if (stream.errored) return Promise.reject(stream.errored);
  const ready = take();
  if (ready.length > 0) return Promise.resolve(ready);
  if (stream.readableEnded || stream.destroyed) return Promise.resolve(null);

  return new Promise<T[] | null>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onEnd);
    };
    const onReadable = (): void => {
      const batch = take();
      if (batch.length === 0) return; // 'end' follows when the stream is done
      cleanup();
      resolve(batch);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
    signal?.addEventListener('abort', onEnd, { once: true });
  });
}
