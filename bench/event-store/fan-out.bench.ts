/*
 * One store subscription per process, against one per consumer: what PostgreSQL and the process
 * spend to follow the same appends (docs/benchmarks.md, "Session 11: one subscription per process").
 *
 *   node -r @swc-node/register bench/event-store/fan-out.bench.ts [--rate 100] [--seconds 20] [--rounds 3] [--consumers 2]
 *
 * In a fresh database (`hub_bench_fanout_<time>`, dropped at the end) on the loopback server of
 * BENCH_DATABASE_URL. An appender (its own store and pool) appends single events to customer
 * streams open-loop at --rate per second. A follower (its own store and pool, as the
 * timeline-projector's process) follows them with the projector's consumers: a projection (each
 * batch written to a table with its checkpoint in one transaction) and a relay (checkpoint every
 * 200 ms; its publish is left out: it costs PostgreSQL nothing), and with --consumers 3 a third
 * one filtered to one event type (as the decisions relay) — either each on its own subscription
 * (`separate`, runCheckpointedSubscription each) or all on one (`shared`,
 * runCheckpointedSubscriptions). The two modes alternate, --rounds times each, in a rotating order.
 * Per window: CPU seconds of the follower's PostgreSQL backends (its pool and its LISTEN
 * connection, told apart by application_name), of all backends of the database, and of this
 * process; transactions committed in the database per appended event; append → projected ms.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Client, Pool, escapeIdentifier, type PoolClient } from 'pg';
import {
  PostgresCheckpointStore,
  PostgresEventStore,
  runCheckpointedSubscription,
  runCheckpointedSubscriptions,
  type CheckpointedConsumer,
  type RecordedEvent,
} from '@hub/event-store';
import { cpuSecondsOf, fmtQ, quantiles } from '../pipeline/probes';

const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    consumers: { type: 'string', default: '2' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const CONSUMERS = Number(args.consumers);
type Mode = 'separate' | 'shared';

interface Window {
  mode: Mode;
  appended: number;
  followerPg: number;
  allPg: number;
  process: number;
  xactPerEvent: number;
  projected: ReturnType<typeof quantiles>;
}

async function main(): Promise<void> {
  const database = `hub_bench_fanout_${Date.now().toString(36)}`;
  await admin(SERVER_URL, `create database ${escapeIdentifier(database)}`);
  const url = (app: string): string => {
    const u = new URL(SERVER_URL);
    u.pathname = `/${database}`;
    u.searchParams.set('application_name', app);
    return u.toString();
  };
  const stat = new Pool({ connectionString: url('bench_stat'), max: 1 });
  const appendPool = new Pool({ connectionString: url('bench_append'), max: 10 });
  // The database is dropped with (force) at the end: an idle client's loss is not an error here.
  for (const pool of [stat, appendPool]) pool.on('error', () => undefined);
  const windows: Window[] = [];
  try {
    const appender = await PostgresEventStore.create({ pool: appendPool });
    await stat.query('create table bench_projection (global_position bigint primary key)');
    for (let round = 0; round < ROUNDS; round++) {
      const order: Mode[] = round % 2 === 0 ? ['separate', 'shared'] : ['shared', 'separate'];
      for (const mode of order) {
        const w = await measure(mode, appender, stat, url('bench_follow'));
        windows.push(w);
        console.log(
          `[${new Date().toISOString().slice(11, 19)}] ${mode.padEnd(8)} ${w.appended} events: follower's PostgreSQL ${w.followerPg.toFixed(2)} s, ` +
            `all PostgreSQL ${w.allPg.toFixed(2)} s, this process ${w.process.toFixed(2)} s, ${w.xactPerEvent.toFixed(2)} transactions/event, ` +
            `append → projected ms p50/p99/max ${fmtQ(w.projected)}; load ${loadavg()[0]!.toFixed(1)}`,
        );
      }
    }
    await appender.close();
  } finally {
    await stat.end();
    await appendPool.end();
    await admin(SERVER_URL, `drop database if exists ${escapeIdentifier(database)} with (force)`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\nmedians over ${ROUNDS} windows each (${RATE} appends/s, ${SECONDS} s, ${CONSUMERS} consumers):`);
  for (const mode of ['separate', 'shared'] as const) {
    const ws = windows.filter((w) => w.mode === mode);
    console.log(
      `  ${mode.padEnd(8)} follower's PostgreSQL ${median(ws.map((w) => w.followerPg)).toFixed(2)} s, all PostgreSQL ${median(ws.map((w) => w.allPg)).toFixed(2)} s, ` +
        `this process ${median(ws.map((w) => w.process)).toFixed(2)} s, ${median(ws.map((w) => w.xactPerEvent)).toFixed(2)} transactions/event, ` +
        `projected p99 ${median(ws.map((w) => w.projected?.p99 ?? NaN)).toFixed(0)} ms`,
    );
  }
}

async function measure(mode: Mode, appender: PostgresEventStore, stat: Pool, followUrl: string): Promise<Window> {
  const pool = new Pool({ connectionString: followUrl, max: 10 });
  pool.on('error', () => undefined);
  const store = await PostgresEventStore.create({ pool });
  const checkpoints = await PostgresCheckpointStore.create({ pool });
  const tag = randomUUID().slice(0, 8);
  const from = await store.headPosition();
  const projectedMs: number[] = [];
  let measuring = false;
  let projectedUpTo = from;
  const consumers: CheckpointedConsumer[] = [
    {
      subscriptionId: `bench.projection.${tag}`,
      checkpoint: 'in-handler',
      filter: { streamPrefixes: ['customer-'] },
      batchSize: 500,
      fromWhenNoCheckpoint: from,
      onEvents: async (events: RecordedEvent[]) => {
        const client: PoolClient = await pool.connect();
        try {
          await client.query('begin');
          await client.query('insert into bench_projection select unnest($1::bigint[]) on conflict do nothing', [
            events.map((e) => e.globalPosition.toString()),
          ]);
          await checkpoints.save(`bench.projection.${tag}`, events[events.length - 1]!.globalPosition, client);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback');
          throw err;
        } finally {
          client.release();
        }
        const now = Date.now();
        if (measuring) for (const e of events) projectedMs.push(now - e.createdAt.getTime());
        projectedUpTo = events[events.length - 1]!.globalPosition;
      },
    },
    {
      subscriptionId: `bench.relay.${tag}`,
      filter: { streamPrefixes: ['customer-'] },
      batchSize: 500,
      saveEveryMs: 200,
      fromWhenNoCheckpoint: from,
      onEvents: async () => undefined,
    },
    {
      subscriptionId: `bench.decisions.${tag}`,
      filter: { streamPrefixes: ['customer-'], eventTypes: ['BenchDecided'] },
      batchSize: 500,
      saveEveryMs: 200,
      fromWhenNoCheckpoint: from,
      onEvents: async () => undefined,
    },
  ] satisfies CheckpointedConsumer[];
  consumers.splice(CONSUMERS);
  const stop =
    mode === 'shared'
      ? await (async () => {
          const fanOut = await runCheckpointedSubscriptions(store, checkpoints, consumers);
          return () => fanOut.stop();
        })()
      : await (async () => {
          const subs = await Promise.all(
            consumers.map(({ subscriptionId, ...o }) => runCheckpointedSubscription(store, checkpoints, subscriptionId, o)),
          );
          return () => Promise.all(subs.map((s) => s.stop())).then(() => undefined);
        })();
  // Warm-up: a second of appends, not measured.
  await appendFor(appender, 1);
  const followerPids = async (): Promise<number[]> =>
    (
      await stat.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and application_name = 'bench_follow'`,
      )
    ).rows.map((r) => r.pid);
  const allPids = async (): Promise<number[]> =>
    (
      await stat.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and application_name <> 'bench_stat' and pid <> pg_backend_pid()`,
      )
    ).rows.map((r) => r.pid);
  const cpuOf = (pids: number[]): Map<number, number> => new Map(pids.map((pid) => [pid, cpuSecondsOf(pid) ?? 0]));
  const xact = async (): Promise<number> =>
    Number(
      (await stat.query<{ n: string }>('select xact_commit::text as n from pg_stat_database where datname = current_database()')).rows[0]!
        .n,
    );
  const before = { follower: cpuOf(await followerPids()), all: cpuOf(await allPids()), process: process.cpuUsage(), xact: await xact() };
  measuring = true;
  const appended = await appendFor(appender, SECONDS);
  // Drain: until the projection has everything appended (bounded).
  const head = await appender.headPosition();
  for (const deadline = Date.now() + 30_000; projectedUpTo < head && Date.now() < deadline; ) await sleep(20);
  measuring = false;
  const afterPids = { follower: await followerPids(), all: await allPids() };
  const delta = (start: Map<number, number>, pids: number[]): number =>
    pids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0) - (start.get(pid) ?? 0), 0);
  const usage = process.cpuUsage(before.process);
  const window: Window = {
    mode,
    appended,
    followerPg: delta(before.follower, afterPids.follower),
    allPg: delta(before.all, afterPids.all),
    process: (usage.user + usage.system) / 1e6,
    xactPerEvent: ((await xact()) - before.xact - 2) / appended,
    projected: quantiles(projectedMs),
  };
  await stop();
  await store.close();
  await pool.end();
  return window;
}

/** Appends single events to customer streams at RATE per second for `seconds`, open-loop (every 10 ms a slice). */
async function appendFor(store: PostgresEventStore, seconds: number): Promise<number> {
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  let sent = 0;
  for (let tick = 1; ; tick++) {
    const due = Math.min(Math.round((RATE * tick) / 100), Math.round(RATE * seconds));
    for (; sent < due; sent++) {
      const type = sent % 5 === 0 ? 'BenchDecided' : 'BenchRecorded';
      const p = store
        .appendToStream(`customer-bench-${sent % 500}`, [
          { eventId: randomUUID(), type, data: { n: sent, text: 'x'.repeat(400) }, metadata: {} },
        ])
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (sent >= RATE * seconds) break;
    const next = started + tick * 10;
    await sleep(Math.max(0, next - performance.now()));
  }
  await Promise.all(inFlight);
  return sent;
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
