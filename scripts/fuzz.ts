/**
 * `npm run fuzz -- [--seed N] [--runs N] [--channels sms,whatsapp,api] [--concurrency N] [--parallel-apps N]`: the signed
 * fuzz campaign of issue #15 against the real ingestion apps (in-process) and the Kafka at
 * KAFKA_BROKERS (default 127.0.0.1:9092; topics of a fresh namespace). Prints one line per app, the
 * totals and every finding with its seed and case; exits 1 when the property failed.
 */
import { formatFuzzReport, runFuzz, type FuzzAppId } from '../tools/fuzz';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function intArg(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got ${raw}`);
  return n;
}

async function main(): Promise<void> {
  const seed = intArg('seed', Date.now() % 2 ** 31);
  const runs = intArg('runs', 100_000);
  const channels = arg('channels')
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean) as FuzzAppId[] | undefined;
  process.stdout.write(
    `fuzz: seed ${seed}, ${runs} payloads${channels ? `, ${channels.join(',')}` : ', every channel and the generic API'}\n`,
  );
  const report = await runFuzz({
    seed,
    runs,
    ...(channels ? { channels } : {}),
    concurrency: intArg('concurrency', 16),
    parallelApps: intArg('parallel-apps', 4),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatFuzzReport(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
  process.exit(2);
});
