/*
 * Event store benchmark: the hub's PostgreSQL event store beside Emmett's PostgreSQL event store
 * (`@event-driven-io/emmett-postgresql`) and raw `pg` inserts, doing the same writes and reads on the
 * same PostgreSQL in the same run.
 *
 *   node -r @swc-node/register bench/event-store/event-store.bench.ts
 *
 * Works in a fresh database (`hub_bench_<time>`, dropped at the end) on the loopback server of
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres: only its host, port and
 * user are used). Each side has its own pool of BENCH_POOL connections (default 10).
 *
 * Appends: for each batch size, BENCH_RUNS runs (default 5); in each run every side writes for one
 * slice of BENCH_SLICE seconds (default 1) from BENCH_POOL concurrent callers, the sides in a
 * rotating order, so all of them see the same background load. The figure is the median over runs
 * of each side's rate, and the ratios are the medians of the per-run ratios. About two minutes.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Client, Pool, escapeIdentifier } from 'pg';
import { PostgresEventStore, type NewEvent, type StreamAppend } from '@hub/event-store';

const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SLICE_SECONDS = Number(process.env['BENCH_SLICE'] ?? '1');
const RUNS = Number(process.env['BENCH_RUNS'] ?? '5');
const POOL_SIZE = Number(process.env['BENCH_POOL'] ?? '10');
const STREAMS_PER_WORKER = 20;
const READ_ALL_CAP = 300_000;
const PAGE = 1_000;

type Side = 'hub' | 'emmett' | 'raw';
type Op = (worker: number, n: number) => Promise<number>;

interface Row {
  measure: string;
  hub: string;
  emmett: string;
  raw: string;
  hubToEmmett: string;
  hubToRaw: string;
}

async function main(): Promise<void> {
  assertLoopback(SERVER_URL);
  const database = `hub_bench_${Date.now().toString(36)}`;
  const url = withDatabase(SERVER_URL, database);
  await admin(SERVER_URL, `create database ${escapeIdentifier(database)}`);
  const pools = {
    hub: new Pool({ connectionString: url, max: POOL_SIZE }),
    emmett: new Pool({ connectionString: url, max: POOL_SIZE }),
    raw: new Pool({ connectionString: url, max: POOL_SIZE }),
  };
  for (const pool of Object.values(pools)) pool.on('error', () => undefined);
  const rows: Row[] = [];
  try {
    const { rows: versionRows } = await pools.raw.query<{ server_version: string }>('show server_version');
    const hub = await PostgresEventStore.create({ pool: pools.hub });
    const emmett = getPostgreSQLEventStore(url, { connectionOptions: { pool: pools.emmett } });
    // Same columns and indexes as hub_events; no trigger, no stream table, no lock, no notify.
    await pools.raw.query(`
      create table raw_events (
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
      insert into raw_events (stream_name, stream_revision, event_id, event_type, data, metadata)
      select $1, r, e, t, d, m from unnest($2::bigint[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) as x(r, e, t, d, m)`;

    const machine = `PostgreSQL ${versionRows[0]!.server_version}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start, pools of ${POOL_SIZE}, ${RUNS} runs of ${SLICE_SECONDS} s slices per side, ${new Date().toISOString()}`;
    process.stdout.write(`${machine}\n\n`);
    log(machine);

    // ---------------------------------------------------------------- appends
    for (const [batch, concurrency] of [
      [1, 1],
      [1, POOL_SIZE],
      [10, POOL_SIZE],
      [100, POOL_SIZE],
    ] as const) {
      const tag = `${batch}x${concurrency}-${Date.now().toString(36)}`;
      const revisions = new Map<string, number>();
      const ops: Record<Side, Op> = {
        hub: async (worker, n) => {
          await hub.appendToStream(`hub-${tag}-${worker}-${n % STREAMS_PER_WORKER}`, makeBatch(batch));
          return batch;
        },
        emmett: async (worker, n) => {
          await emmett.appendToStream(
            `emt-${tag}-${worker}-${n % STREAMS_PER_WORKER}`,
            makeBatch(batch).map((e) => ({ type: e.type, data: e.data, metadata: e.metadata })),
          );
          return batch;
        },
        raw: async (worker, n) => {
          const stream = `raw-${tag}-${worker}-${n % STREAMS_PER_WORKER}`;
          const next = revisions.get(stream) ?? 0;
          revisions.set(stream, next + batch);
          const evs = makeBatch(batch);
          await pools.raw.query(rawInsert, [
            stream,
            evs.map((_, i) => String(next + i)),
            evs.map((e) => e.eventId),
            evs.map((e) => e.type),
            evs.map((e) => JSON.stringify(e.data)),
            evs.map((e) => JSON.stringify(e.metadata)),
          ]);
          return batch;
        },
      };
      const result = await compare(concurrency, ops);
      rows.push(row(`append, ${batch} event(s) per call, ${concurrency} caller(s) (events/s)`, result, fmt));
      log(`append batch ${batch} x ${concurrency}: ${describe(result)}`);
    }

    // ---------------------------------------------------------------- appendToStreams: 100 single-event streams per call
    {
      const tag = `many-${Date.now().toString(36)}`;
      const STREAMS = 100;
      const appends = (prefix: string, n: number): StreamAppend[] =>
        Array.from({ length: STREAMS }, (_, i) => ({ stream: `${prefix}-${tag}-${n % 5}-${i}`, events: makeBatch(1) }));
      // One caller: the recorder writes one Kafka batch at a time per partition.
      const ops: Partial<Record<Side, Op>> = {
        hub: async (_worker, n) => {
          await hub.appendToStreams(appends('one-call', n));
          return STREAMS;
        },
        raw: async (_worker, n) => {
          // Reference: the same 100 appends as separate appendToStream calls, POOL_SIZE at a time.
          await Promise.all(appends('separate', n).map((a) => hub.appendToStream(a.stream, a.events)));
          return STREAMS;
        },
      };
      const result = await compare(1, ops);
      rows.push(
        row(`appendToStreams, 100 streams x 1 event per call (events/s; "raw" = 100 appendToStream, ${POOL_SIZE} at a time)`, result, fmt),
      );
      log(`appendToStreams 100 x 1: ${describe(result)}`);
    }

    // ---------------------------------------------------------------- readStream of a 100-event stream
    {
      const streams = Array.from({ length: 5 }, () => randomUUID());
      for (const id of streams) {
        const events = makeBatch(100);
        await hub.appendToStream(`read-hub-${id}`, events);
        await emmett.appendToStream(
          `read-emt-${id}`,
          events.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata })),
        );
      }
      const rawSelect = `select global_position, stream_name, stream_revision, event_id, event_type, data, metadata, created_at from hub_events where stream_name = $1 order by stream_revision`;
      const times: Record<Side, number[]> = { hub: [], emmett: [], raw: [] };
      for (let i = 0; i < 300; i++) {
        const id = streams[i % streams.length]!;
        times.hub.push(await timed(async () => void (await hub.readStream(`read-hub-${id}`))));
        times.emmett.push(await timed(async () => void (await emmett.readStream(`read-emt-${id}`))));
        times.raw.push(await timed(async () => void (await pools.raw.query(rawSelect, [`read-hub-${id}`]))));
      }
      for (const p of [50, 99]) {
        const at = { hub: percentile(times.hub, p), emmett: percentile(times.emmett, p), raw: percentile(times.raw, p) };
        rows.push({
          measure: `readStream of 100 events, p${p} (ms)`,
          hub: at.hub.toFixed(2),
          emmett: at.emmett.toFixed(2),
          raw: at.raw.toFixed(2),
          hubToEmmett: (at.hub / at.emmett).toFixed(2),
          hubToRaw: (at.hub / at.raw).toFixed(2),
        });
      }
      log(
        `readStream 100: hub p50 ${percentile(times.hub, 50).toFixed(2)} ms, emmett ${percentile(times.emmett, 50).toFixed(2)} ms, raw ${percentile(times.raw, 50).toFixed(2)} ms`,
      );
    }

    // ---------------------------------------------------------------- readLastEvents of 100 streams
    {
      const { rows: names } = await pools.raw.query<{ stream_name: string }>(
        `select stream_name from hub_streams where revision >= 0 order by stream_name limit 100`,
      );
      const streams = names.map((r) => r.stream_name);
      const lateral = `
        select e.global_position, e.stream_name, e.stream_revision, e.event_id, e.event_type, e.data, e.metadata, e.created_at
        from unnest($1::text[]) as s(name)
        cross join lateral (select * from hub_events where stream_name = s.name order by stream_revision desc limit 1) e`;
      const distinctOn = `
        select distinct on (stream_name) global_position, stream_name, stream_revision, event_id, event_type, data, metadata, created_at
        from hub_events where stream_name = any($1::text[]) order by stream_name, stream_revision desc`;
      const times = { store: [] as number[], lateral: [] as number[], distinctOn: [] as number[] };
      for (let i = 0; i < 100; i++) {
        times.store.push(await timed(async () => void (await hub.readLastEvents(streams))));
        times.lateral.push(await timed(async () => void (await pools.raw.query(lateral, [streams]))));
        times.distinctOn.push(await timed(async () => void (await pools.raw.query(distinctOn, [streams]))));
      }
      const p50 = {
        store: percentile(times.store, 50),
        lateral: percentile(times.lateral, 50),
        distinctOn: percentile(times.distinctOn, 50),
      };
      rows.push({
        measure: `readLastEvents of ${streams.length} streams, p50 (ms; "emmett" = distinct on, "raw" = lateral)`,
        hub: p50.store.toFixed(2),
        emmett: p50.distinctOn.toFixed(2),
        raw: p50.lateral.toFixed(2),
        hubToEmmett: (p50.store / p50.distinctOn).toFixed(2),
        hubToRaw: (p50.store / p50.lateral).toFixed(2),
      });
      log(
        `readLastEvents ${streams.length}: store ${p50.store.toFixed(2)} ms, lateral ${p50.lateral.toFixed(2)} ms, distinct on ${p50.distinctOn.toFixed(2)} ms`,
      );
    }

    // ---------------------------------------------------------------- readAll / subscription drain
    const { rows: countRows } = await pools.raw.query<{ n: string }>(`select count(*)::text as n from hub_events`);
    const total = Math.min(Number(countRows[0]!.n), READ_ALL_CAP);
    const drainHub = await drain(async (after) => {
      const page = await hub.readAll({ after, maxCount: PAGE });
      return { count: page.length, last: page.at(-1)?.globalPosition };
    }, total);
    const drainRaw = await drain(async (after) => {
      const { rows: page } = await pools.raw.query<{ global_position: string }>(
        // Ordered by the column, not by the text output column of the same name.
        `select global_position::text, stream_name, stream_revision, event_id, event_type, data, metadata, created_at from hub_events where global_position > $1 order by hub_events.global_position limit ${PAGE}`,
        [after.toString()],
      );
      return { count: page.length, last: page.length > 0 ? BigInt(page[page.length - 1]!.global_position) : undefined };
    }, total);
    const subscriptionRate = await drainSubscription(hub, total);
    for (const [measure, rate] of [
      [`readAll drain, pages of ${PAGE} (events/s, ${fmt(total)} events)`, drainHub],
      [`subscribeToAll catch-up, batches of ${PAGE} (events/s)`, subscriptionRate],
    ] as const) {
      rows.push({ measure, hub: fmt(rate), emmett: '', raw: fmt(drainRaw), hubToEmmett: '', hubToRaw: (rate / drainRaw).toFixed(2) });
    }
    log(`readAll drain: hub ${fmt(drainHub)} ev/s, subscription ${fmt(subscriptionRate)} ev/s, raw ${fmt(drainRaw)} ev/s`);

    await hub.close();
    await emmett.close();
  } finally {
    await Promise.all(Object.values(pools).map((pool) => pool.end().catch(() => undefined)));
    await admin(SERVER_URL, `drop database if exists ${escapeIdentifier(database)} with (force)`).catch((err: unknown) =>
      log(`cleanup failed: ${String(err)}`),
    );
  }
  printTable(rows);
  process.stdout.write(
    `\nload average at end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
}

interface Comparison {
  /** Median over runs of each side's rate. */
  median: Partial<Record<Side, number>>;
  /** Median over runs of hub ÷ other, each run's sides measured back to back. */
  hubToEmmett: number | undefined;
  hubToRaw: number | undefined;
}

/** Warms every side up, then RUNS runs of one slice per side (order rotating from run to run). */
async function compare(concurrency: number, ops: Partial<Record<Side, Op>>): Promise<Comparison> {
  const sides = (Object.keys(ops) as Side[]).filter((s) => ops[s] !== undefined);
  for (const side of sides) await load(concurrency, ops[side]!, Math.min(0.3, SLICE_SECONDS), 0);
  const rates: Record<Side, number[]> = { hub: [], emmett: [], raw: [] };
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(run + k) % sides.length]!;
      rates[side].push(await load(concurrency, ops[side]!, SLICE_SECONDS, run + 1));
    }
  }
  const ratios = (other: Side): number | undefined =>
    rates[other].length === 0 ? undefined : median(rates.hub.map((h, i) => h / rates[other][i]!));
  const out: Partial<Record<Side, number>> = {};
  for (const side of sides) out[side] = median(rates[side]);
  return { median: out, hubToEmmett: ratios('emmett'), hubToRaw: ratios('raw') };
}

/** `concurrency` callers of `op` for `seconds` (at most 50,000 calls): events per second. */
async function load(concurrency: number, op: Op, seconds: number, run: number): Promise<number> {
  const maxOpsPerWorker = Math.ceil(50_000 / concurrency);
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let events = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 1; n <= maxOpsPerWorker && performance.now() < deadline; n++) {
        // Not `events += await op()`: that reads `events` before the await and loses the other callers' counts.
        const written = await op(worker, run * maxOpsPerWorker + n);
        events += written;
      }
    }),
  );
  return events / ((performance.now() - started) / 1000);
}

function row(measure: string, c: Comparison, format: (n: number) => string): Row {
  const cell = (n: number | undefined): string => (n === undefined ? '' : format(n));
  const r = (n: number | undefined): string => (n === undefined ? '' : n.toFixed(2));
  return {
    measure,
    hub: cell(c.median.hub),
    emmett: cell(c.median.emmett),
    raw: cell(c.median.raw),
    hubToEmmett: r(c.hubToEmmett),
    hubToRaw: r(c.hubToRaw),
  };
}

function describe(c: Comparison): string {
  const parts = (Object.entries(c.median) as [Side, number][]).map(([side, rate]) => `${side} ${fmt(rate)} ev/s`);
  return `${parts.join(', ')}; hub÷emmett ${c.hubToEmmett?.toFixed(2) ?? '-'}, hub÷raw ${c.hubToRaw?.toFixed(2) ?? '-'}`;
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

function makeBatch(size: number): NewEvent<string, Record<string, unknown>>[] {
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
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      tenantId: 'bench',
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
    },
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

function median(values: number[]): number {
  return percentile(values, 50);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function printTable(rows: Row[]): void {
  const header: Row = {
    measure: 'measure',
    hub: 'hub store',
    emmett: 'Emmett',
    raw: 'raw pg',
    hubToEmmett: 'hub ÷ Emmett',
    hubToRaw: 'hub ÷ raw',
  };
  const keys = ['measure', 'hub', 'emmett', 'raw', 'hubToEmmett', 'hubToRaw'] as const;
  const widths = Object.fromEntries(keys.map((k) => [k, Math.max(...[header, ...rows].map((r) => r[k].length))])) as Record<
    (typeof keys)[number],
    number
  >;
  const line = (r: Row): string =>
    `| ${keys.map((k) => (k === 'measure' ? r[k].padEnd(widths[k]) : r[k].padStart(widths[k]))).join(' | ')} |`;
  const rule = `|${keys.map((k) => (k === 'measure' ? '-'.repeat(widths[k] + 2) : `${'-'.repeat(widths[k] + 1)}:`)).join('|')}|`;
  process.stdout.write([line(header), rule, ...rows.map(line)].join('\n') + '\n');
  process.stdout.write(
    '\nhub ÷ other: for throughput (events/s) below 1 means the hub is slower; for latency (ms) above 1 means the hub is slower.\n',
  );
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    throw new Error(`the benchmark only runs against a loopback database, not ${host}`);
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
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
