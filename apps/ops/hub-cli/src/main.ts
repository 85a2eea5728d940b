import { run } from './cli';

/**
 * The hub CLI: `node -r @swc-node/register apps/ops/hub-cli/src/main.ts <command>` (or `npm run hub --
 * <command>`). SIGINT/SIGTERM ask the running command to stop at its next safe point (a backfill
 * after the batch in flight, a rebuild after its transaction); a second one exits at once.
 */
if (require.main === module) {
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(1);
    process.stderr.write(`\nhub: ${signal}: stopping at the next safe point (again to exit now)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `hub export … | head` closes stdout early: that is the reader's choice, not a failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  void run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: abort.signal }).then(
    (code) => {
      process.exitCode = code;
      // Whatever a library left open (a Kafka reconnect timer), the command is done.
      setTimeout(() => process.exit(code), 1_000).unref();
    },
  );
}
