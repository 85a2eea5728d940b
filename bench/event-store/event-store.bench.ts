/*
 * Event store benchmark: the PostgreSQL adapter beside raw `pg` doing the same writes and reads.
 *
 *   node -r @swc-node/register bench/event-store/event-store.bench.ts
 *
 * Works in the database `hub_bench` (created when missing, dropped again if this run created it),
 * in a fresh schema dropped at the end. Every loop is bounded by a count and a time budget; the
 * whole run takes about a minute and a half on 2 cores. Loopback PostgreSQL only.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hub_bench),
 * BENCH_SECONDS (time budget of each append measurement, default 2.5), BENCH_POOL (default 16).
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { Client, Pool, escapeIdentifier } from 'pg';
import { PostgresEventStore, type NewEvent } from '@hub/event-store';

const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/hub_bench';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? '2.5');
const POOL_SIZE = Number(process.env['BENCH_POOL'] ?? '16');
const STREAMS_PER_WORKER = 20;
/** Each append measurement alternates store and raw in this many slices, so both see the same background load. */
const ROUNDS = 5;
const READ_ALL_CAP = 300_000;
const PAGE = 1_000;

interface Row {
  measure: string;
  store: string;
  raw: string;
  ratio: string;
}

async function main(): Promise<void> {
  assertLoopback(DATABASE_URL);
  const createdDatabase = await ensureDatabase(DATABASE_URL);
  const schema = `bench_${Date.now().toString(36)}`;
  const pool = new Pool({ connectionString: DATABASE_URL, max: POOL_SIZE });
  pool.on('error', () => undefined);
  const rows: Row[] = [];
  try {
    const { rows: versionRows } = await pool.query<{ server_version: string }>('show server_version');
    const store = await PostgresEventStore.create({ pool, schema });
    const raw = `${escapeIdentifier(schema)}.raw_events`;
    const events = `${escapeIdentifier(schema)}.hub_events`;
    // Same columns and indexes as hub_events; no trigger, no stream table, no lock, no notify.
    await pool.query(`
      create table ${raw} (
        global_position bigserial primary key,
        stream_name text not null,
        stream_revision bigint not null,
        event_id uuid not null unique,
        event_type text not null,
        data jsonb not null,
        metadata jsonb not null,
        created_at timestamptz not null default now(),
        transaction_id xid8 not null default pg_current_xact_id(),
        unique (stream_name, stream_revision)
      )`);
    const rawInsert = `
      insert into ${raw} (stream_name, stream_revision, event_id, event_type, data, metadata)
      select $1, r, e, t, d, m from unnest($2::bigint[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) as x(r, e, t, d, m)`;

    const machine = `PostgreSQL ${versionRows[0]!.server_version}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start, pool ${POOL_SIZE}, ${SECONDS} s per side per append measurement, ${new Date().toISOString()}`;
    process.stdout.write(`${machine}\n\n`);
    log(machine);

    // ---------------------------------------------------------------- appends
    for (const batch of [1, 10, 100]) {
      for (const concurrency of [1, 10, 100]) {
        const tag = `${batch}x${concurrency}-${Date.now().toString(36)}`;
        const storeOp = async (worker: number, op: number): Promise<void> => {
          const stream = `bench-${tag}-${worker}-${op % STREAMS_PER_WORKER}`;
          await store.appendToStream(stream, makeBatch(batch));
        };
        const revisions = new Map<string, number>();
        const rawOp = async (worker: number, op: number): Promise<void> => {
          const stream = `raw-${tag}-${worker}-${op % STREAMS_PER_WORKER}`;
          const next = revisions.get(stream) ?? 0;
          revisions.set(stream, next + batch);
          const evs = makeBatch(batch);
          await pool.query(rawInsert, [
            stream,
            evs.map((_, i) => String(next + i)),
            evs.map((e) => e.eventId),
            evs.map((e) => e.type),
            evs.map((e) => JSON.stringify(e.data)),
            evs.map((e) => JSON.stringify(e.metadata)),
          ]);
        };
        await warmUp(concurrency, storeOp);
        await warmUp(concurrency, rawOp);
        const viaStore = { ops: 0, seconds: 0 };
        const viaRaw = { ops: 0, seconds: 0 };
        for (let round = 0; round < ROUNDS; round++) {
          for (const [total, op] of [
            [viaStore, storeOp],
            [viaRaw, rawOp],
          ] as const) {
            const slice = await appendLoad(concurrency, op, SECONDS / ROUNDS, round);
            total.ops += slice.ops;
            total.seconds += slice.seconds;
          }
        }
        const storeRate = (viaStore.ops * batch) / viaStore.seconds;
        const rawRate = (viaRaw.ops * batch) / viaRaw.seconds;
        rows.push({
          measure: `append, batch ${batch}, concurrency ${concurrency} (events/s)`,
          store: fmt(storeRate),
          raw: fmt(rawRate),
          ratio: ratio(storeRate, rawRate),
        });
        log(`append batch ${batch} concurrency ${concurrency}: store ${fmt(storeRate)} ev/s (${viaStore.ops} appends), raw ${fmt(rawRate)} ev/s`);
      }
    }

    // ---------------------------------------------------------------- readStream
    for (const [length, reads] of [
      [10, 400],
      [100, 300],
      [1000, 60],
    ] as const) {
      const streams = Array.from({ length: 5 }, () => `read-${length}-${randomUUID()}`);
      for (const stream of streams) {
        for (let written = 0; written < length; written += 100) await store.appendToStream(stream, makeBatch(Math.min(100, length - written)));
      }
      const rawSelect = `select global_position, stream_name, stream_revision, event_id, event_type, data, metadata, created_at from ${events} where stream_name = $1 order by stream_revision`;
      // Interleaved, so both see the same cache and background activity.
      const storeTimes: number[] = [];
      const rawTimes: number[] = [];
      for (let i = 0; i < reads; i++) {
        const stream = streams[i % streams.length]!;
        storeTimes.push(await timed(async () => void (await store.readStream(stream))));
        rawTimes.push(await timed(async () => void (await pool.query(rawSelect, [stream]))));
      }
      for (const p of [50, 99]) {
        const s = percentile(storeTimes, p);
        const r = percentile(rawTimes, p);
        rows.push({ measure: `readStream of ${length} events, p${p} (ms)`, store: s.toFixed(2), raw: r.toFixed(2), ratio: ratio(s, r) });
      }
      log(`readStream ${length}: store p50 ${percentile(storeTimes, 50).toFixed(2)} ms, raw p50 ${percentile(rawTimes, 50).toFixed(2)} ms`);
    }

    // ---------------------------------------------------------------- readAll / subscription drain
    const { rows: countRows } = await pool.query<{ n: string }>(`select count(*) as n from ${events}`);
    const total = Math.min(Number(countRows[0]!.n), READ_ALL_CAP);
    const drainStore = await drain(async (after) => {
      const page = await store.readAll({ after, maxCount: PAGE });
      return { count: page.length, last: page.at(-1)?.globalPosition };
    }, total);
    const drainRaw = await drain(async (after) => {
      const { rows: page } = await pool.query<{ global_position: string }>(
        `select global_position, stream_name, stream_revision, event_id, event_type, data, metadata, created_at from ${events} where global_position > $1 order by global_position limit ${PAGE}`,
        [after.toString()],
      );
      return { count: page.length, last: page.length > 0 ? BigInt(page[page.length - 1]!.global_position) : undefined };
    }, total);
    rows.push({
      measure: `readAll drain, pages of ${PAGE} (events/s, ${fmt(total)} events)`,
      store: fmt(drainStore),
      raw: fmt(drainRaw),
      ratio: ratio(drainStore, drainRaw),
    });
    const subscriptionRate = await drainSubscription(store, total);
    rows.push({
      measure: `subscribeToAll catch-up, batches of ${PAGE} (events/s)`,
      store: fmt(subscriptionRate),
      raw: fmt(drainRaw),
      ratio: ratio(subscriptionRate, drainRaw),
    });
    log(`readAll drain: store ${fmt(drainStore)} ev/s, subscription ${fmt(subscriptionRate)} ev/s, raw ${fmt(drainRaw)} ev/s`);

    await store.close();
  } finally {
    await pool.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`).catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    await pool.end();
    if (createdDatabase) await dropDatabase(DATABASE_URL);
  }
  printTable(rows);
  process.stdout.write(`\nload average at end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`);
}

type AppendOp = (worker: number, n: number) => Promise<void>;

/** Opens the pool's connections and caches the statements before measuring. */
async function warmUp(concurrency: number, op: AppendOp): Promise<void> {
  await Promise.all(Array.from({ length: Math.min(concurrency, POOL_SIZE) }, (_, w) => op(w, 0)));
}

/** Runs `concurrency` workers calling `op` for `seconds` (and at most a fixed number of ops). */
async function appendLoad(concurrency: number, op: AppendOp, seconds: number, round: number): Promise<{ ops: number; seconds: number }> {
  const maxOpsPerWorker = Math.ceil(50_000 / concurrency);
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let ops = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 1; n <= maxOpsPerWorker && performance.now() < deadline; n++) {
        await op(worker, round * maxOpsPerWorker + n);
        ops++;
      }
    }),
  );
  return { ops, seconds: (performance.now() - started) / 1000 };
}

/** Reads the log page by page from the start until `total` events (or the end): events per second. */
async function drain(readPage: (after: bigint) => Promise<{ count: number; last: bigint | undefined }>, total: number): Promise<number> {
  const started = performance.now();
  let after = 0n;
  let read = 0;
  for (let pages = 0; read < total && pages < total / PAGE + 10; pages++) {
    const page = await readPage(after);
    if (page.count === 0 || page.last === undefined) break;
    read += page.count;
    after = page.last;
  }
  return read / ((performance.now() - started) / 1000);
}

async function drainSubscription(store: PostgresEventStore, total: number): Promise<number> {
  const started = performance.now();
  let read = 0;
  let reached: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (reached = resolve));
  const subscription = store.subscribeToAll({
    batchSize: PAGE,
    onEvents: async (events) => {
      read += events.length;
      if (read >= total) reached();
    },
  });
  await Promise.race([done, subscription.caughtUp]);
  const seconds = (performance.now() - started) / 1000;
  await subscription.stop();
  return read / seconds;
}

function makeBatch(size: number): NewEvent[] {
  return Array.from({ length: size }, () => ({
    eventId: randomUUID(),
    type: 'InteractionRecorded',
    data: {
      interactionId: randomUUID(),
      channel: 'sms',
      direction: 'inbound',
      identity: { kind: 'phone', value: '+14155550101' },
      content: { text: 'Hi, where is my order #4411? It was due yesterday.' },
      provider: { name: 'twilio', messageId: `SM${randomUUID().replace(/-/g, '')}` },
    },
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), tenantId: 'bench', schemaVersion: 1, occurredAt: new Date().toISOString() },
  }));
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** store ÷ raw: below 1 for throughput means slower, above 1 for latency means slower. */
function ratio(store: number, raw: number): string {
  return (store / raw).toFixed(2);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function printTable(rows: Row[]): void {
  const header: Row = { measure: 'measure', store: 'event store', raw: 'raw pg', ratio: 'store ÷ raw' };
  const widths = {
    measure: Math.max(...[header, ...rows].map((r) => r.measure.length)),
    store: Math.max(...[header, ...rows].map((r) => r.store.length)),
    raw: Math.max(...[header, ...rows].map((r) => r.raw.length)),
    ratio: Math.max(...[header, ...rows].map((r) => r.ratio.length)),
  };
  const line = (r: Row): string => `| ${r.measure.padEnd(widths.measure)} | ${r.store.padStart(widths.store)} | ${r.raw.padStart(widths.raw)} | ${r.ratio.padStart(widths.ratio)} |`;
  process.stdout.write(
    [line(header), `|${'-'.repeat(widths.measure + 2)}|${'-'.repeat(widths.store + 1)}:|${'-'.repeat(widths.raw + 1)}:|${'-'.repeat(widths.ratio + 1)}:|`, ...rows.map(line)].join('\n') + '\n',
  );
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`the benchmark only runs against a loopback database, not ${host}`);
}

/** Creates the benchmark database when missing; true when this run created it. */
async function ensureDatabase(url: string): Promise<boolean> {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return false;
    await admin.query(`create database ${escapeIdentifier(name)}`);
    return true;
  } finally {
    await admin.end();
  }
}

async function dropDatabase(url: string): Promise<void> {
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${escapeIdentifier(new URL(url).pathname.slice(1))}`);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
