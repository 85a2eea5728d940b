/** Run `close` once on SIGINT/SIGTERM, then exit; a second signal exits at once. */
export function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    close()
      .catch((err: unknown) => {
        process.stderr.write(`shutdown after ${signal} failed: ${String(err)}\n`);
        process.exitCode = 1;
      })
      .finally(() => process.exit());
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
