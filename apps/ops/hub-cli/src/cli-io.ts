import { once } from 'node:events';

/**
 * Everything a command touches outside itself: data goes to `stdout`, progress and errors to
 * `stderr`, settings come from `env`. Tests pass their own (captured streams, a test database URL);
 * `main.ts` passes the process's.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long commands stop at the next safe point and say where they got. */
  signal?: AbortSignal;
}

/** Write to a stream and wait when its buffer is full (an export of millions of rows must not pile up in memory). */
export async function write(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** JSON with bigints as strings (revisions and positions are bigints in memory). */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}

/** True when the stream is an interactive terminal (progress redraws one line in place). */
export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
}
