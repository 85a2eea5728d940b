/*
 * Replay benchmark: how fast the timeline read model rebuilds from the event store, beside how fast
 * the same store can merely be read; and how far a live projector lags behind a fixed ingest rate.
 *
 *   node -r @swc-node/register bench/replay/replay.bench.ts [--events 1000000] [--customers 10000]
 *        [--per-append 10] [--lag-rate 500[,1000…] | 0] [--lag-seconds 30] [--one-by-one]
 *   node -r @swc-node/register bench/replay/replay.bench.ts --takeover-only [--entries 500000] [--customers 10000]
 *   node -r @swc-node/register bench/replay/replay.bench.ts --events 50000 --customers 500 --ab <other checkout> [--rounds 3] [--ab-old-live]
 *
 * 1. In a fresh database (hub_bench_replay_<time>, dropped at the end; loopback only) it appends
 *    `--events` customer events — a CustomerRegistered then InteractionRecorded for `--customers`
 *    customers, realistic sizes — in rounds (each customer gets `--per-append` events per round,
 *    one append each, 8 appends in flight), so customers interleave in the log as they do live.
 *    Through `PostgresEventStore`, NOT the encrypting store: sealing every field would make the
 *    generation several times slower and measure AES instead of the projection; the rebuild then
 *    reads the same plain store (the production projector reads through the decrypting one, which
 *    adds ~10 µs per sealed event: see "Customer read-and-fold").
 * 2. (a) drains the log with `readAll` pages of 1000, (b) rebuilds the timeline as `hub replay`
 *    does — `TimelineRebuild` (tables like the live ones) with its `TimelineProjector` (batches of
 *    `--batch-size`, 500; the store applies each batch set-based) — and prints them side by side with the ratio, and where the rebuild's time goes
 *    (SQL statements per event, time per kind of statement, in the handler vs reading);
 *    with `--one-by-one`, (b0) the same projector over the store's one-by-one reference apply
 *    (`applyEachInTransaction`, the projector before the set-based apply), its rows checked equal
 *    to (b)'s in every table; (b') the earlier bench-only reference: the same subscription, batches
 *    and pure `timelineChangeFor`, applied with five set-based statements per batch (it handles
 *    only what this data holds: no merge, erasure or fact; its rows are checked equal to (b)'s).
 *    (d) copies the rebuilt tables over live ones the way `hub replay --takeover` did before it
 *    swapped tables (one transaction: lock ACCESS EXCLUSIVE, delete, insert … select), twice — into
 *    empty tables, then replacing the rows — timing how long the lock is held: how long readers
 *    wait; (d') takes over by swap with the real `takeOver` (a `TimelineRebuild` filled with (b)'s
 *    rows), while 4 loops of `TimelineQueries.timeline` read: the lock held, the time before it, the slowest read.
 *    `--takeover-only [--entries 500000]`: only (d), replacing, and (d'), over a live read model and a
 *    rebuild of `--entries` entries each written set-based (no events: a minute, not twenty).
 * 3. (c) (skipped with `--lag-rate 0`) starts a live `TimelineProjector` at the head, appends
 *    `--lag-rate` events/s (one event per append, as the recorder, up to 32 in flight) for
 *    `--lag-seconds`, and samples the lag every second: head position − the projector's committed
 *    checkpoint (events), and how long ago the oldest unprojected event was committed (ms). Prints
 *    p50 / p99 / max.
 *
 * Every loop is bounded by a count or a time budget. BENCH_DATABASE_URL points at the server
 * (default postgres://postgres@127.0.0.1:5432/postgres; only its host is used). BENCH_KEEP_DB=1
 * keeps the database (its name is printed) to try `hub replay` on it; drop it yourself then.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Client, Pool, type PoolClient } from 'pg';
import { customerStream, parseCustomerStream } from '@hub/contracts';
import { isCustomerEventType, upcast, type CustomerEvent } from '@hub/customer';
import {
  PostgresCheckpointStore,
  PostgresEventStore,
  runCheckpointedSubscription,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@hub/event-store';
import {
  PostgresTimelineStore,
  REBUILD_SUBSCRIPTION_ID,
  takeOver,
  TIMELINE_PROJECTION_ID,
  TIMELINE_TABLES as STORE_TABLES,
  timelineChangeFor,
  TimelineProjector,
  TimelineQueries,
  TimelineRebuild,
  type TakeoverResult,
  type TimelineChange,
} from '@hub/timeline';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    customers: { type: 'string', default: '10000' },
    'per-append': { type: 'string', default: '10' },
    'lag-rate': { type: 'string', default: '500' },
    'lag-seconds': { type: 'string', default: '30' },
    /** Also rebuild through the one-by-one reference apply, for a same-run comparison. */
    'one-by-one': { type: 'boolean', default: false },
    /** Only the takeovers, over `--entries` entries written set-based (no events, no rebuild, no lag). */
    'takeover-only': { type: 'boolean', default: false },
    entries: { type: 'string', default: '500000' },
    /**
     * Before/after under the same load: after the drain, rebuild `--rounds` times alternately with
     * this checkout's `TimelineRebuild` and with another checkout's at this path (e.g. a worktree
     * of the commit before a change), each over live tables its own code created, draining the log
     * again before each rebuild, then stop. A shared machine's load moves by
     * tens of percent between runs minutes apart; alternating rounds in one run pair them up.
     */
    ab: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    /** With `--ab`: both sides rebuild copies of live tables the other checkout created (an upgraded database). */
    'ab-old-live': { type: 'boolean', default: false },
    'batch-size': { type: 'string', default: '500' },
  },
});
const EVENTS = Number(args.events);
const CUSTOMERS = Number(args.customers);
const PER_APPEND = Number(args['per-append']);
/** One lag run per rate: `--lag-rate 500,1000`. */
const LAG_RATES = String(args['lag-rate'])
  .split(',')
  .map(Number)
  .filter((r) => r > 0);
const LAG_SECONDS = Number(args['lag-seconds']);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TENANT = 'bench';
const GENERATION_CONCURRENCY = 8;
const REBUILD_BUDGET_MS = 60 * 60_000;
/** Events per rebuild transaction (`hub replay --batch-size`). */
const BATCH_SIZE = Number(args['batch-size']);
const quiet = {
  info: () => undefined,
  warn: (o: object, m: string) => log(`${m} ${JSON.stringify(o)}`),
  error: (o: object, m: string) => log(`${m} ${JSON.stringify(o)}`),
};

const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------ data
const WORDS =
  'hi hello thanks order refund delivery where is my package please help account card payment late tomorrow today store pickup return exchange size colour price discount code invoice address change cancel subscription upgrade plan agent call me back yes no maybe great not working broken app login password reset'.split(
    ' ',
  );
/** mulberry32: the same "random" texts every run. */
let seed = 42;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
function sentence(): string {
  // 3–60 words: most messages are short, some are long.
  const n = 3 + Math.floor(rnd() ** 2 * 57);
  return Array.from({ length: n }, () => pick(WORDS)).join(' ');
}
const phoneOf = (c: number): string => `+4479${String(10_000_000 + c).padStart(8, '0')}`;
const BASE = Date.parse('2026-01-01T00:00:00Z');

function meta(eventId: string, at: string, channel: string): Record<string, unknown> {
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: at,
    recordedAt: at,
    schemaVersion: 1,
    tenantId: TENANT,
    channel,
  };
}

function registered(c: number): NewEvent {
  const eventId = randomUUID();
  return {
    eventId,
    type: 'CustomerRegistered',
    data: { customerId: `c${c}`, tenantId: TENANT, identity: { kind: 'phone', value: phoneOf(c) } },
    metadata: meta(eventId, new Date(BASE + c * 1000).toISOString(), 'sms'),
  };
}

function interaction(c: number, n: number, at = new Date(BASE + n * 3_600_000 + c * 1000)): NewEvent {
  const eventId = randomUUID();
  const channel = rnd() < 0.7 ? 'sms' : 'whatsapp';
  return {
    eventId,
    type: 'InteractionRecorded',
    data: {
      channel,
      direction: rnd() < 0.6 ? 'inbound' : 'outbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phoneOf(c) }],
      content: {
        text: sentence(),
        media:
          rnd() < 0.1
            ? [
                {
                  url: `https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM${eventId.replace(/-/g, '')}/Media/ME0`,
                  contentType: 'image/jpeg',
                },
              ]
            : [],
      },
      provider: { name: 'twilio', messageId: `SM${eventId.replace(/-/g, '')}`, accountId: 'AC0123456789abcdef0123456789abcdef' },
      endpoint: '+447700900000',
      ...(rnd() < 0.2 ? { threadId: `T${c % 7}` } : {}),
    },
    metadata: meta(eventId, at.toISOString(), channel),
  };
}

// ------------------------------------------------------------------------------------------ steps
async function generate(store: PostgresEventStore): Promise<{ seconds: number; bytes: number }> {
  const perCustomer = Math.max(1, Math.floor(EVENTS / CUSTOMERS));
  const rounds = Math.ceil(perCustomer / PER_APPEND);
  let appended = 0;
  let bytes = 0;
  let sampled = 0;
  const started = Date.now();
  let lastLog = started;
  for (let round = 0; round < rounds; round++) {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let c = next++; c < CUSTOMERS; c = next++) {
        const first = round * PER_APPEND;
        const count = Math.min(PER_APPEND, perCustomer - first);
        if (count <= 0) continue;
        // The first event of a stream is its CustomerRegistered; the rest interactions.
        const events = Array.from({ length: count }, (_, i) => (first + i === 0 ? registered(c) : interaction(c, first + i)));
        if (sampled < 2_000) {
          for (const e of events) bytes += JSON.stringify(e.data).length + JSON.stringify(e.metadata).length;
          sampled += events.length;
        }
        await store.appendToStream(customerStream(TENANT, `c${c}`), events);
        appended += count;
      }
    };
    await Promise.all(Array.from({ length: GENERATION_CONCURRENCY }, worker));
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`generated ${fmt(appended)} events (${fmt(appended / ((Date.now() - started) / 1000))}/s)`);
    }
  }
  return { seconds: (Date.now() - started) / 1000, bytes: bytes / sampled };
}

async function drain(store: EventStore): Promise<{ events: number; seconds: number }> {
  const started = process.hrtime.bigint();
  let after = 0n;
  let events = 0;
  // Bounded by the log: nothing is appended meanwhile, so the pages run out.
  for (;;) {
    const page = await store.readAll({ after, maxCount: 1_000 });
    if (page.length === 0) break;
    events += page.length;
    after = page[page.length - 1]!.globalPosition;
  }
  return { events, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** What a statement of the timeline store does, from its text (first match wins). */
const STATEMENT_KINDS: readonly (readonly [string, RegExp])[] = [
  ['entries insert', /insert into timeline_entries/],
  ['identities upsert', /insert into timeline_identities/],
  ['registrations upsert', /insert into timeline_customers \(tenant_id, customer_id, first_seen_at\) (values|select)/],
  ['counters refresh', /insert into timeline_customers \(tenant_id, customer_id, first_seen_at, last_seen_at/],
  ['preferred channel', /set preferred_channel/],
  ['facts insert', /insert into timeline_facts/],
  ['facts read', /select (f\.tenant_id, f\.customer_id, f\.)?event from timeline_facts|from unnest[^]*join timeline_facts/],
  ['summary update', /set value = /],
  ['churn read', /select c\.tenant_id, c\.customer_id, c\.churn_level/],
  ['churn update', /set churn_level = /],
  ['erased check', /^select 1 from timeline_erased/],
  ['notify', /pg_notify/],
  ['checkpoint', /hub_checkpoints/],
  ['begin / commit', /^(begin|commit)$/],
];

/** Counts the statements a pool's clients run and the time they take, in all and per kind (bench only). */
function countStatements(pool: Pool): { statements: number; ms: number; byKind: Map<string, { n: number; ms: number }> } {
  const stats = { statements: 0, ms: 0, byKind: new Map<string, { n: number; ms: number }>() };
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = async (...a: unknown[]) => {
      const t = process.hrtime.bigint();
      try {
        return await query(...a);
      } finally {
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        const text = (typeof a[0] === 'string' ? a[0] : ((a[0] as { text?: string } | undefined)?.text ?? '')).trim();
        const kind = STATEMENT_KINDS.find(([, re]) => re.test(text))?.[0] ?? 'other';
        const k = stats.byKind.get(kind) ?? { n: 0, ms: 0 };
        stats.byKind.set(kind, { n: k.n + 1, ms: k.ms + ms });
        stats.statements++;
        stats.ms += ms;
      }
    };
  });
  return stats;
}

/** The projector before the set-based apply: the store's one-by-one reference path (bench only). */
class OneByOneTimelineStore extends PostgresTimelineStore {
  override applyInTransaction(client: PoolClient, changes: readonly TimelineChange[]): Promise<void> {
    return this.applyEachInTransaction(client, changes);
  }
}

interface Rebuilt {
  events: number;
  seconds: number;
  statements: number;
  sqlMs: number;
  handlerMs: number;
  byKind: Map<string, { n: number; ms: number }>;
}

async function schemaPool(database: string, schema: string, pool: Pool): Promise<Pool> {
  await pool.query(`create schema ${schema}`);
  const p = new Pool({ connectionString: database, max: 4, options: `-c search_path=${schema}` });
  p.on('error', () => undefined);
  return p;
}

async function rebuild(
  database: string,
  pool: Pool,
  store: EventStore,
  schema = 'rebuild',
  Store: typeof PostgresTimelineStore = PostgresTimelineStore,
): Promise<Rebuilt> {
  const rp = await schemaPool(database, schema, pool);
  try {
    const stats = countStatements(rp);
    const timeline = new Store(rp);
    await timeline.ensureSchema();
    Object.assign(stats, { statements: 0, ms: 0, byKind: new Map() });
    const { store: timed, handled } = timedHandlers(store);
    const projector = new TimelineProjector({
      store: timed,
      timeline,
      checkpoints: await PostgresCheckpointStore.create({ pool: rp, schema }),
      subscriptionId: `bench.${schema}`,
      fromWhenNoCheckpoint: 0n,
      logger: quiet,
    });
    const started = process.hrtime.bigint();
    const subscription = await projector.start();
    const deadline = Date.now() + REBUILD_BUDGET_MS;
    let lastLog = Date.now();
    while (!subscription.isCaughtUp && Date.now() < deadline) {
      await Promise.race([subscription.caughtUp.catch(() => undefined), sleep(1_000)]);
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(
          `rebuild (${schema}): ${fmt(handled.events)} events (${fmt(handled.events / (Number(process.hrtime.bigint() - started) / 1e9))}/s)`,
        );
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await projector.stop();
    if (!subscription.isCaughtUp) throw new Error(`rebuild did not finish within ${REBUILD_BUDGET_MS} ms`);
    return { events: handled.events, seconds, statements: stats.statements, sqlMs: stats.ms, handlerMs: handled.ms, byKind: stats.byKind };
  } finally {
    await rp.end();
  }
}

/** The store as a rebuild reads it, with its subscriptions' handlers timed: events handed over and ms spent in `onEvents`. */
function timedHandlers(store: EventStore): { store: EventStore; handled: { events: number; ms: number } } {
  const handled = { events: 0, ms: 0 };
  const timed: EventStore = Object.assign(Object.create(store) as EventStore, {
    subscribeToAll: (o: Parameters<EventStore['subscribeToAll']>[0]) =>
      store.subscribeToAll({
        ...o,
        onEvents: async (batch) => {
          const t = process.hrtime.bigint();
          await o.onEvents(batch);
          handled.ms += Number(process.hrtime.bigint() - t) / 1e6;
          handled.events += batch.length;
        },
      }),
  });
  return { store: timed, handled };
}

/** The class `hub replay` rebuilds with: this checkout's, or another's (`--ab`). */
type RebuildClass = typeof TimelineRebuild;

/**
 * (b) as `hub replay` does it: `TimelineRebuild.create` (tables like the live ones), then `catchUp`.
 * The schema is then renamed `schema` (for the comparisons below).
 */
async function replayRebuild(
  database: string,
  pool: Pool,
  store: EventStore,
  schema = 'rebuild',
  Rebuild: RebuildClass = TimelineRebuild,
  batchSize = BATCH_SIZE,
): Promise<Rebuilt> {
  let stats: ReturnType<typeof countStatements> | undefined;
  const { store: timed, handled } = timedHandlers(store);
  const rebuilt = await Rebuild.create(
    {
      pool,
      store: timed,
      logger: quiet,
      openSchemaPool: (s) => {
        const p = new Pool({ connectionString: database, max: 4, options: `-c search_path=${s}` });
        p.on('error', () => undefined);
        stats = countStatements(p);
        return p;
      },
    },
    { batchSize },
  );
  Object.assign(stats!, { statements: 0, ms: 0, byKind: new Map() });
  const started = process.hrtime.bigint();
  await rebuilt.catchUp({ timeoutMs: REBUILD_BUDGET_MS });
  const ended = process.hrtime.bigint();
  await rebuilt.release();
  await pool.query(`drop schema if exists ${schema} cascade`);
  await pool.query(`alter schema ${rebuilt.schema} rename to ${schema}`);
  const s = stats!;
  return {
    events: handled.events,
    seconds: Number(ended - started) / 1e9,
    statements: s.statements,
    sqlMs: s.ms,
    handlerMs: handled.ms,
    byKind: s.byKind,
  };
}

/** A pool whose live read model is `schema` (first on its search_path, public after it for the event store). */
async function livePool(database: string, pool: Pool, schema: string): Promise<Pool> {
  await pool.query(`create schema if not exists ${schema}`);
  const p = new Pool({ connectionString: database, max: 4, options: `-c search_path=${schema},public` });
  p.on('error', () => undefined);
  return p;
}

/** The timeline library of another checkout: libs/project/timeline, or libs/timeline in one from before the stage folders. */
function timelineLibOf(checkout: string): string {
  const root = checkout.replace(/\/$/, '');
  return existsSync(`${root}/libs/project/timeline`) ? `${root}/libs/project/timeline` : `${root}/libs/timeline`;
}

/** `--ab <checkout>`: alternate rebuilds with this checkout's store and the other's, and compare. */
async function abRebuilds(
  database: string,
  pool: Pool,
  store: EventStore,
  other: string,
  rounds: number,
  drained: { events: number; seconds: number },
): Promise<void> {
  const drainRate = drained.events / drained.seconds;
  const path = `${timelineLibOf(other)}/src/replay/timeline-rebuild.ts`;
  const { TimelineRebuild: Other } = (await import(path)) as { TimelineRebuild: RebuildClass };
  const runs: { round: number; store: string; seconds: number; statementsPerEvent: number; handlerMs: number; drainSeconds: number }[] = [];
  const drainAgain = () => drain(store);
  const kinds = { this: new Map<string, number>(), other: new Map<string, number>() };
  let events = { this: 0, other: 0 };
  // Each side's own live read model (created by its own code: the rebuild's tables are copies of
  // it, e.g. its search column's expression), in a schema of its own before public.
  const livePools = { this: await livePool(database, pool, 'ab_live_this'), other: await livePool(database, pool, 'ab_live_other') };
  if (args['ab-old-live']) {
    // A database upgraded from the other checkout: both rebuild copies of the live tables it created.
    const { ensureLiveReadModel } = (await import(`${timelineLibOf(other)}/src/replay/timeline-tables.ts`)) as {
      ensureLiveReadModel(p: Pool): Promise<void>;
    };
    await ensureLiveReadModel(livePools.other);
    await livePools.this.end();
    livePools.this = livePools.other;
  }
  for (let round = 1; round <= rounds; round++) {
    // Which goes first alternates too: a load that ramps within a round favours neither.
    const order = round % 2 === 1 ? (['this', 'other'] as const) : (['other', 'this'] as const);
    for (const which of order) {
      // The drain again just before: under a shared machine's load it moves as much as the rebuild.
      const drain = await drainAgain();
      const schema = `ab_${which}_${round}`;
      const r = await replayRebuild(database, livePools[which], store, schema, which === 'this' ? TimelineRebuild : Other);
      await pool.query(`drop schema ${schema} cascade`); // no table of a round left for autovacuum to work on in the next
      runs.push({
        round,
        store: which,
        seconds: r.seconds,
        statementsPerEvent: r.statements / r.events,
        handlerMs: r.handlerMs,
        drainSeconds: drain.seconds,
      });
      for (const [kind, k] of r.byKind) kinds[which].set(kind, (kinds[which].get(kind) ?? 0) + k.ms);
      kinds[which].set('(handler outside SQL)', (kinds[which].get('(handler outside SQL)') ?? 0) + r.handlerMs - r.sqlMs);
      events = { ...events, [which]: events[which] + r.events };
      log(
        `round ${round}, ${which === 'this' ? 'this checkout' : other}: ${r.seconds.toFixed(1)} s, ${(r.statements / r.events).toFixed(3)} statements per event`,
      );
    }
  }
  if (livePools.this !== livePools.other) await livePools.this.end();
  await livePools.other.end();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const of = (which: string) => runs.filter((r) => r.store === which);
  const ratios = Array.from({ length: rounds }, (_, i) => of('this')[i]!.seconds / of('other')[i]!.seconds);
  process.stdout.write('\n');
  console.table(
    runs.map((r) => ({
      round: r.round,
      store: r.store === 'this' ? 'this checkout' : other,
      seconds: r.seconds.toFixed(1),
      'statements/event': r.statementsPerEvent.toFixed(3),
      'drain before, s': r.drainSeconds.toFixed(1),
      '÷ that drain': (r.drainSeconds / r.seconds).toFixed(3),
    })),
  );
  // Where each spends its time, all rounds together: µs per event by statement kind.
  const allKinds = [...new Set([...kinds.this.keys(), ...kinds.other.keys()])].sort(
    (x, y) => (kinds.this.get(y) ?? 0) - (kinds.this.get(x) ?? 0),
  );
  console.table(
    allKinds.map((kind) => ({
      statement: kind,
      'this, µs/event': (((kinds.this.get(kind) ?? 0) * 1000) / events.this).toFixed(1),
      'other, µs/event': (((kinds.other.get(kind) ?? 0) * 1000) / events.other).toFixed(1),
    })),
  );
  process.stdout.write(
    `median rebuild: this checkout ${median(of('this').map((r) => r.seconds)).toFixed(1)} s, ${other} ${median(of('other').map((r) => r.seconds)).toFixed(1)} s; ` +
      `this ÷ other per round: ${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}); ` +
      `rebuild ÷ the drain just before it, medians: this ${median(of('this').map((r) => r.drainSeconds / r.seconds)).toFixed(3)}, other ${median(of('other').map((r) => r.drainSeconds / r.seconds)).toFixed(3)} ` +
      `(first drain ${fmt(drainRate)} events/s)\n`,
  );
}

/** The projector's own mapping from a stored event to a read-model change. */
function changeFor(recorded: RecordedEvent): TimelineChange | undefined {
  const owner = parseCustomerStream(recorded.streamName);
  if (!owner || !isCustomerEventType(recorded.type)) return undefined;
  const event = upcast({ type: recorded.type, data: recorded.data, metadata: recorded.metadata as unknown as CustomerEvent['metadata'] });
  return timelineChangeFor(owner.tenantId, owner.customerId, recorded.revision, event);
}

/** A batch of entry and customer changes in four statements (the reference for (b)). */
async function applySetBased(client: PoolClient, changes: readonly TimelineChange[]): Promise<void> {
  const entries = changes.flatMap((c) => (c.kind === 'entry' ? [c.entry] : []));
  const registered = changes.flatMap((c) => (c.kind === 'customer' ? [c] : []));
  if (changes.some((c) => c.kind !== 'entry' && c.kind !== 'customer'))
    throw new Error('the set-based reference handles entries and registrations only');
  const identities = new Map<string, [string, string, string, string, string]>();
  for (const c of changes) {
    if (c.kind === 'entry')
      for (const i of c.identities)
        identities.set(`${c.entry.tenantId}|${i.kind}|${i.namespace ?? ''}|${i.value}`, [
          c.entry.tenantId,
          i.kind,
          i.namespace ?? '',
          i.value,
          c.entry.customerId,
        ]);
    if (c.kind === 'customer')
      identities.set(`${c.tenantId}|${c.identity.kind}|${c.identity.namespace ?? ''}|${c.identity.value}`, [
        c.tenantId,
        c.identity.kind,
        c.identity.namespace ?? '',
        c.identity.value,
        c.customerId,
      ]);
  }
  const col = <T>(xs: readonly T[], f: (x: T) => unknown): unknown[] => xs.map(f);
  if (registered.length) {
    await client.query(
      `insert into timeline_customers (tenant_id, customer_id, first_seen_at)
       select t, c, min(a) from unnest($1::text[], $2::text[], $3::timestamptz[]) x(t, c, a) group by t, c
       on conflict (tenant_id, customer_id) do update set first_seen_at = least(timeline_customers.first_seen_at, excluded.first_seen_at)`,
      [col(registered, (r) => r.tenantId), col(registered, (r) => r.customerId), col(registered, (r) => r.at)],
    );
  }
  if (entries.length) {
    await client.query(
      `insert into timeline_entries (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider, thread_id)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], $13::text[])
       on conflict (event_id) do nothing`,
      [
        col(entries, (e) => e.eventId),
        col(entries, (e) => e.tenantId),
        col(entries, (e) => e.customerId),
        col(entries, (e) => e.streamRevision),
        col(entries, (e) => e.occurredAt),
        col(entries, (e) => e.recordedAt),
        col(entries, (e) => e.channel),
        col(entries, (e) => e.direction),
        col(entries, (e) => e.kind),
        col(entries, (e) => e.text),
        col(entries, (e) => JSON.stringify(e.media)),
        col(entries, (e) => JSON.stringify(e.provider)),
        col(entries, (e) => e.threadId ?? null),
      ],
    );
  }
  const ids = [...identities.values()];
  if (ids.length) {
    await client.query(
      `insert into timeline_identities (tenant_id, kind, namespace, value, customer_id) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       on conflict (tenant_id, kind, namespace, value) do update set customer_id = excluded.customer_id`,
      [0, 1, 2, 3, 4].map((i) => ids.map((row) => row[i])),
    );
  }
  const touched = [...new Map(entries.map((e) => [`${e.tenantId}|${e.customerId}`, e])).values()];
  if (touched.length) {
    await client.query(
      `insert into timeline_customers (tenant_id, customer_id, first_seen_at, last_seen_at, interactions, channels)
       select e.tenant_id, e.customer_id, min(e.occurred_at), max(e.occurred_at), count(*), array_agg(distinct e.channel order by e.channel)
         from timeline_entries e join unnest($1::text[], $2::text[]) t(tenant_id, customer_id) using (tenant_id, customer_id)
        group by e.tenant_id, e.customer_id
       on conflict (tenant_id, customer_id) do update set first_seen_at = least(timeline_customers.first_seen_at, excluded.first_seen_at),
         last_seen_at = excluded.last_seen_at, interactions = excluded.interactions, channels = excluded.channels`,
      [col(touched, (e) => e.tenantId), col(touched, (e) => e.customerId)],
    );
    // The projector's preferred channel: most inbound contacts in the 90 days before the latest one.
    await client.query(
      `with t as (select * from unnest($1::text[], $2::text[]) t(tenant_id, customer_id)),
            latest as (select e.tenant_id, e.customer_id, max(e.occurred_at) as at from timeline_entries e join t using (tenant_id, customer_id) group by 1, 2),
            preferred as (
              select distinct on (e.tenant_id, e.customer_id) e.tenant_id, e.customer_id, e.channel
                from timeline_entries e join latest l using (tenant_id, customer_id)
               where e.direction = 'inbound' and e.occurred_at >= l.at - interval '90 days'
               group by e.tenant_id, e.customer_id, e.channel
               order by e.tenant_id, e.customer_id, count(*) desc, max(e.occurred_at) desc)
       update timeline_customers c set preferred_channel = p.channel
         from t left join preferred p using (tenant_id, customer_id)
        where c.tenant_id = t.tenant_id and c.customer_id = t.customer_id`,
      [col(touched, (e) => e.tenantId), col(touched, (e) => e.customerId)],
    );
  }
}

async function setBasedRebuild(database: string, pool: Pool, store: EventStore): Promise<{ events: number; seconds: number }> {
  const sp = await schemaPool(database, 'setbased', pool);
  try {
    await new PostgresTimelineStore(sp).ensureSchema();
    const checkpoints = await PostgresCheckpointStore.create({ pool: sp, schema: 'setbased' });
    let events = 0;
    const started = process.hrtime.bigint();
    const subscription = await runCheckpointedSubscription(store, checkpoints, 'bench.setbased', {
      checkpoint: 'in-handler',
      filter: { streamPrefixes: ['customer-'] },
      batchSize: 500,
      fromWhenNoCheckpoint: 0n,
      onEvents: async (batch) => {
        const changes = batch.map(changeFor).filter((c): c is TimelineChange => c !== undefined);
        const client = await sp.connect();
        try {
          await client.query('begin');
          await applySetBased(client, changes);
          await checkpoints.save('bench.setbased', batch[batch.length - 1]!.globalPosition, client);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
        events += batch.length;
      },
      onError: (err) => log(`set-based reference: ${String(err)}`),
    });
    const deadline = Date.now() + REBUILD_BUDGET_MS;
    while (!subscription.isCaughtUp && Date.now() < deadline)
      await Promise.race([subscription.caughtUp.catch(() => undefined), sleep(1_000)]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await subscription.stop();
    if (!subscription.isCaughtUp) throw new Error(`set-based rebuild did not finish within ${REBUILD_BUDGET_MS} ms`);
    return { events, seconds };
  } finally {
    await sp.end();
  }
}

// ------------------------------------------------------------------------------------------ takeover
/**
 * (d) The takeover as it was before it swapped tables (and as it still is for one tenant, then
 * under an EXCLUSIVE lock readers pass): one transaction, the live tables locked ACCESS EXCLUSIVE,
 * their rows deleted, the rebuilt ones inserted from `from`. Returns how long the lock was held.
 */
async function takeoverCopy(pool: Pool, from = 'rebuild'): Promise<number> {
  const client = await pool.connect();
  try {
    const started = process.hrtime.bigint();
    await client.query('begin');
    await client.query(`lock table ${STORE_TABLES.map((t) => `public.${t}`).join(', ')} in access exclusive mode`);
    for (const t of STORE_TABLES) {
      // Generated columns (the search vector) are PostgreSQL's to compute: they cannot be inserted.
      const cols = (
        await client.query<{ c: string }>(
          "select column_name as c from information_schema.columns where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER' order by ordinal_position",
          [t],
        )
      ).rows
        .map((r) => r.c)
        .join(', ');
      await client.query(`delete from public.${t}`);
      await client.query(`insert into public.${t} (${cols}) select ${cols} from ${from}.${t}`);
    }
    await client.query('commit');
    return Number(process.hrtime.bigint() - started) / 1e6;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

interface ReadWindow {
  reads: number;
  failed: number;
  maxMs: number;
}

/**
 * Readers of the live timeline while takeovers run: `loops` loops of the query API's timeline read
 * (`TimelineQueries.timeline`: the customer's merged members, then a page of 50 entries) for
 * customers taken in turn. `between(a, b)` sums up the reads that
 * overlapped [a, b] (performance.now() times): how long the slowest one took is how long readers waited.
 */
function readLoad(pool: Pool, customers: number, loops = 4): { between(a: number, b: number): Promise<ReadWindow>; stop(): Promise<void> } {
  const queries = new TimelineQueries(pool);
  const reads: { loop: number; started: number; ended: number; failed: boolean }[] = [];
  let reading = true;
  const running = Array.from({ length: loops }, async (_, i) => {
    // Bounded: until stopped, at most 10 million reads per loop.
    for (let n = 0; reading && n < 10_000_000; n++) {
      const customer = (n * 7_919 + i * 104_729) % customers;
      const started = performance.now();
      const failed = await queries.timeline(TENANT, `c${customer}`, {}, { limit: 50 }).then(
        () => false,
        () => true,
      );
      reads.push({ loop: i, started, ended: performance.now(), failed });
    }
  });
  return {
    between: async (a, b) => {
      // A read blocked across `b` is recorded when it ends: wait until every loop has read again since (at most 30 s).
      for (let waited = 0; waited < 30_000 && new Set(reads.filter((r) => r.started > b).map((r) => r.loop)).size < loops; waited += 50)
        await sleep(50);
      const overlapping = reads.filter((r) => r.ended >= a && r.started <= b);
      return {
        reads: overlapping.length,
        failed: overlapping.filter((r) => r.failed).length,
        maxMs: overlapping.reduce((m, r) => Math.max(m, r.ended - r.started), 0),
      };
    },
    stop: async () => {
      reading = false;
      await Promise.all(running);
    },
  };
}

/**
 * A read model of `entries` timeline entries for `customers` customers of TENANT in `schema`,
 * written set-based in seconds (projecting them would take minutes): entries of about the real
 * size (a text of 1–7 × 33 characters, Twilio-like provider ids, 10 % with a media URL, 20 % in a
 * thread), each customer's row derived from its entries, one identity each. For takeovers only.
 */
async function syntheticReadModel(pool: Pool, schema: string, entries: number, customers: number, label: string): Promise<void> {
  await pool.query(
    `insert into ${schema}.timeline_entries (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider, thread_id)
     select gen_random_uuid(), $1, 'c' || (g % $2), g / $2 + 1, at, at, case when g % 10 < 7 then 'sms' else 'whatsapp' end,
            case when g % 5 < 3 then 'inbound' else 'outbound' end, 'message', $3 || ' ' || repeat(md5(g::text) || ' ', 1 + g % 7),
            case when g % 10 = 0 then jsonb_build_array(jsonb_build_object('url', 'https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM' || md5(g::text) || '/Media/ME0', 'contentType', 'image/jpeg')) else '[]' end,
            jsonb_build_object('name', 'twilio', 'messageId', 'SM' || md5(g::text), 'accountId', 'AC0123456789abcdef0123456789abcdef'),
            case when g % 5 = 0 then 'T' || g % 7 end
       from generate_series(0, $4::int - 1) g, lateral (select timestamptz '2026-01-01' + g * interval '1 second') t(at)`,
    [TENANT, customers, label, entries],
  );
  await pool.query(
    `insert into ${schema}.timeline_customers (tenant_id, customer_id, first_seen_at, last_seen_at, interactions, channels, preferred_channel)
     select tenant_id, customer_id, min(occurred_at), max(occurred_at), count(*), array_agg(distinct channel order by channel), min(channel)
       from ${schema}.timeline_entries group by tenant_id, customer_id`,
  );
  await pool.query(
    `insert into ${schema}.timeline_identities (tenant_id, kind, namespace, value, customer_id)
     select $1, 'phone', '', '+4479' || lpad(c::text, 8, '0'), 'c' || c from generate_series(0, $2::int - 1) c`,
    [TENANT, customers],
  );
}

interface SwapMeasure {
  result: TakeoverResult;
  totalMs: number;
  /** The reads overlapping the takeover, and those of the 3 s just before it. */
  during: ReadWindow;
  before: ReadWindow;
}

/** Before and during [a, b]: readers' windows for a takeover that ran from `a` to `b`. */
async function readsAround(
  reading: ReturnType<typeof readLoad>,
  a: number,
  b: number,
): Promise<{ during: ReadWindow; before: ReadWindow }> {
  return { during: await reading.between(a, b), before: await reading.between(a - 3_000, a) };
}

/**
 * (d') The takeover by swap, `takeOver` itself: a `TimelineRebuild` (its tables like the live ones)
 * filled by `fill`, marked as covering the log up to its head (the rows are what a rebuild would
 * have projected). Then `readers()` start reading the live timeline; `beforeSwap` may measure
 * something else first (the copy, from the same rebuild); then the takeover, with 3 s of reads
 * before it to compare with.
 */
async function takeoverSwap(
  database: string,
  pool: Pool,
  store: EventStore,
  o: {
    fill(schema: string): Promise<void>;
    readers(): ReturnType<typeof readLoad>;
    beforeSwap?(schema: string, reading: ReturnType<typeof readLoad>): Promise<void>;
  },
): Promise<SwapMeasure> {
  const rebuilt = await TimelineRebuild.create(
    {
      pool,
      store,
      logger: quiet,
      openSchemaPool: (schema) => {
        const p = new Pool({ connectionString: database, max: 4, options: `-c search_path=${schema}` });
        p.on('error', () => undefined);
        return p;
      },
    },
    { batchSize: 500 },
  );
  try {
    await o.fill(rebuilt.schema);
    const head = BigInt(
      (await pool.query<{ h: string }>('select coalesce(max(global_position), 0)::text as h from public.hub_events')).rows[0]!.h,
    );
    await new PostgresCheckpointStore(pool, { schema: rebuilt.schema }).save(REBUILD_SUBSCRIPTION_ID, head);
    const reading = o.readers();
    try {
      await o.beforeSwap?.(rebuilt.schema, reading);
      log("(d') swap takeover");
      await sleep(5_000); // reads before, to compare with (and none still blocked by what went before)
      const started = performance.now();
      const result = await takeOver(pool, rebuilt, {
        liveSchema: 'public',
        projectionId: TIMELINE_PROJECTION_ID,
        lockTimeoutMs: 30_000,
        catchUpTimeoutMs: 120_000,
        allowEmpty: false,
      });
      const ended = performance.now();
      return { result, totalMs: ended - started, ...(await readsAround(reading, started, ended)) };
    } finally {
      await reading.stop();
    }
  } finally {
    await rebuilt.drop();
  }
}

function printSwap(s: SwapMeasure): void {
  const r = s.result;
  process.stdout.write(
    `(d') takeover by swap (${r.method}${r.copyReason ? `: ${r.copyReason}` : ''}) of ${fmt(r.tables.timeline_entries.inserted)} entries replacing ${fmt(r.tables.timeline_entries.deleted)}: ` +
      `lock held ${fmt(r.lockedMs)} ms (${r.lockAttempts} attempt(s)); before the lock, unlocked, ${(r.prepareMs / 1000).toFixed(1)} s (privileges, vacuum analyze of the rebuilt tables, catch-up); ` +
      `in all ${(s.totalMs / 1000).toFixed(1)} s (the rest: lock attempts, catch-up, counting the rows after the commit)\n` +
      `     readers (4 loops of TimelineQueries.timeline): ${fmt(s.during.reads)} reads during the takeover, ${s.during.failed} failed, slowest ${s.during.maxMs.toFixed(0)} ms; ` +
      `in the 3 s before: ${fmt(s.before.reads)} reads, slowest ${s.before.maxMs.toFixed(0)} ms\n`,
  );
}

/**
 * `--takeover-only`: no events, no rebuild — the live read model and a rebuild of `--entries`
 * entries each, written set-based, then (d) the copy and (d') the swap, each replacing the live
 * entries, with readers reading throughout.
 */
async function takeoversOnly(database: string, pool: Pool, store: EventStore, entries: number, customers: number): Promise<void> {
  await new PostgresTimelineStore(pool).ensureSchema();
  await new TimelineQueries(pool).ensureSchema();
  log(`writing ${fmt(entries)} live entries for ${fmt(customers)} customers (set-based)`);
  await syntheticReadModel(pool, 'public', entries, customers, 'live');
  await pool.query('vacuum analyze');
  const swap = await takeoverSwap(database, pool, store, {
    fill: async (schema) => {
      log(`writing ${fmt(entries)} rebuilt entries into ${schema} (set-based)`);
      await syntheticReadModel(pool, schema, entries, customers, 'rebuilt');
    },
    readers: () => readLoad(pool, customers),
    beforeSwap: async (schema, reading) => {
      log('(d) copy takeover');
      await sleep(3_000);
      const started = performance.now();
      const copyMs = await takeoverCopy(pool, schema);
      const { during, before } = await readsAround(reading, started, performance.now());
      process.stdout.write(
        `(d) takeover copy (as before the swap) of ${fmt(entries)} entries replacing ${fmt(entries)}: lock held ${(copyMs / 1000).toFixed(1)} s under ACCESS EXCLUSIVE; ` +
          `${fmt(during.reads)} reads during it, ${during.failed} failed, slowest ${during.maxMs.toFixed(0)} ms; in the 3 s before: ${fmt(before.reads)} reads, slowest ${before.maxMs.toFixed(0)} ms\n`,
      );
    },
  });
  printSwap(swap);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function lagUnderLoad(database: string, pool: Pool, store: PostgresEventStore, rate: number): Promise<Record<string, string>> {
  const schema = `live_${rate}`;
  const lp = await schemaPool(database, schema, pool);
  try {
    const timeline = new PostgresTimelineStore(lp);
    await timeline.ensureSchema();
    const head = async (): Promise<bigint> =>
      BigInt((await pool.query<{ h: string }>('select coalesce(max(global_position), 0)::text as h from public.hub_events')).rows[0]!.h);
    const checkpointOf = async (): Promise<bigint> =>
      BigInt(
        (
          await pool.query<{ p: string | null }>(
            `select position::text as p from ${schema}.hub_checkpoints where subscription_id = 'bench.live'`,
          )
        ).rows[0]?.p ?? '0',
      );
    const start = await head();
    const projector = new TimelineProjector({
      store,
      timeline,
      checkpoints: await PostgresCheckpointStore.create({ pool: lp, schema }),
      subscriptionId: 'bench.live',
      fromWhenNoCheckpoint: start,
      logger: quiet,
    });
    await (
      await projector.start()
    ).caughtUp;

    // Commit time of every appended position (appends commit in about position order).
    const committed: { position: bigint; at: number }[] = [];
    const projectedLatency: number[] = [];
    let seen = 0; // committed[0..seen) are projected
    const total = rate * LAG_SECONDS;
    let launched = 0;
    let inFlight = 0;
    let failed = 0;
    const t0 = Date.now();
    let c = 0;
    const appendOne = async (): Promise<void> => {
      inFlight++;
      const customer = (c = (c * 7_919 + 13) % CUSTOMERS);
      try {
        const r = await store.appendToStream(customerStream(TENANT, `c${customer}`), [
          interaction(customer, 10_000 + launched, new Date()),
        ]);
        // Kept sorted by position: appends commit in about position order, so this shifts little.
        let i = committed.length;
        while (i > seen && committed[i - 1]!.position > r.position) i--;
        committed.splice(i, 0, { position: r.position, at: Date.now() });
      } catch {
        failed++;
      } finally {
        inFlight--;
      }
    };
    const samples: { events: number; ms: number }[] = [];
    let nextSample = t0 + 1_000;
    // Bounded: at most `total` appends, and LAG_SECONDS + 30 s in all.
    while (Date.now() - t0 < (LAG_SECONDS + 30) * 1_000) {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - t0) / 1_000) * rate));
      while (launched < due && inFlight < 32) {
        launched++;
        void appendOne();
      }
      // Which events are projected now (50 ms resolution), for the per-event latency.
      const cp = await checkpointOf();
      while (seen < committed.length && committed[seen]!.position <= cp) projectedLatency.push(Date.now() - committed[seen++]!.at);
      if (now >= nextSample && now - t0 <= LAG_SECONDS * 1_000) {
        nextSample += 1_000;
        const h = await head();
        const oldest = committed[seen];
        samples.push({ events: Number(h - cp), ms: h > cp && oldest ? Date.now() - oldest.at : 0 });
      }
      if (launched >= total && inFlight === 0 && seen >= committed.length) break;
      await sleep(launched < due ? 1 : 50);
    }
    await projector.stop();
    const seconds = (Date.now() - t0) / 1_000;
    const ev = samples.map((s) => s.events).sort((a, b) => a - b);
    const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
    const lat = [...projectedLatency].sort((a, b) => a - b);
    return {
      'target rate (events/s)': fmt(rate),
      'achieved append rate (events/s)': fmt(committed.length / Math.min(seconds, LAG_SECONDS)),
      'appends failed': String(failed),
      samples: String(samples.length),
      'lag p50 / p99 / max (events)': `${fmt(quantile(ev, 0.5))} / ${fmt(quantile(ev, 0.99))} / ${fmt(ev.at(-1) ?? 0)}`,
      'lag p50 / p99 / max (ms, oldest unprojected)': `${fmt(quantile(ms, 0.5))} / ${fmt(quantile(ms, 0.99))} / ${fmt(ms.at(-1) ?? 0)}`,
      'per-event commit→projected p50 / p99 / max (ms, ±50)': `${fmt(quantile(lat, 0.5))} / ${fmt(quantile(lat, 0.99))} / ${fmt(lat.at(-1) ?? 0)}`,
      'events projected': fmt(seen),
    };
  } finally {
    await lp.end();
  }
}

// ------------------------------------------------------------------------------------------ main
async function main(): Promise<void> {
  const server = new URL(SERVER_URL);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(server.hostname))
    throw new Error(`refusing a non-loopback database: ${server.hostname}`);
  const name = `hub_bench_replay_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: Object.assign(new URL(server.href), { pathname: '/postgres' }).href });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const database = Object.assign(new URL(server.href), { pathname: `/${name}` }).href;
  const pool = new Pool({ connectionString: database, max: 16 });
  pool.on('error', () => undefined);
  try {
    const version = (await pool.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, PostgreSQL ${version}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start, ${new Date().toISOString()}`;
    process.stdout.write(`replay benchmark — ${machine}\n`);
    const store = await PostgresEventStore.create({ pool });
    if (args['takeover-only']) {
      await takeoversOnly(database, pool, store, Number(args.entries), CUSTOMERS);
      await store.close();
      return;
    }

    log(
      `generating ${fmt(EVENTS)} events for ${fmt(CUSTOMERS)} customers, ${PER_APPEND} per append, ${GENERATION_CONCURRENCY} appends in flight`,
    );
    const gen = await generate(store);
    const stored = Number((await pool.query<{ n: string }>('select count(*) as n from hub_events')).rows[0]!.n);
    const size = (await pool.query<{ s: string }>("select pg_size_pretty(pg_total_relation_size('hub_events')) as s")).rows[0]!.s;
    process.stdout.write(
      `\ngenerated ${fmt(stored)} events in ${gen.seconds.toFixed(0)} s (${fmt(stored / gen.seconds)} events/s), ~${fmt(gen.bytes)} bytes of JSON each, hub_events ${size}\n`,
    );
    await pool.query('vacuum analyze hub_events');

    log('draining the log with readAll');
    const drained = await drain(store);
    if (args.ab !== undefined) {
      await abRebuilds(database, pool, store, args.ab, Number(args.rounds), drained);
      await store.close();
      return;
    }
    log(`rebuilding the timeline (${fmt(drained.events)} events) as hub replay does`);
    const rebuilt = await replayRebuild(database, pool, store);
    const entries = Number((await pool.query<{ n: string }>('select count(*) as n from rebuild.timeline_entries')).rows[0]!.n);
    let oneByOne: Rebuilt | undefined;
    if (args['one-by-one']) {
      log('rebuilding the timeline again with the one-by-one reference apply');
      oneByOne = await rebuild(database, pool, store, 'onebyone', OneByOneTimelineStore);
      // Every row of every table, both ways (bar the erasure's wall-clock time).
      let differing = 0;
      for (const t of STORE_TABLES) {
        const rows = (schema: string) => `select to_jsonb(x) - 'erased_at' as r from ${schema}.${t} x`;
        const d = await pool.query<{ n: string }>(
          `select (select count(*) from (${rows('rebuild')} except ${rows('onebyone')}) a) + (select count(*) from (${rows('onebyone')} except ${rows('rebuild')}) b) as n`,
        );
        differing += Number(d.rows[0]!.n);
      }
      if (differing !== 0) log(`warning: the set-based rebuild differs from the one-by-one rebuild in ${differing} rows`);
      else log(`the set-based and the one-by-one rebuilds wrote the same rows in all ${STORE_TABLES.length} tables`);
    }
    log('set-based reference rebuild');
    const reference = await setBasedRebuild(database, pool, store);
    const same = await pool.query<{ n: string }>(
      `select (select count(*) from (select * from rebuild.timeline_entries except select * from setbased.timeline_entries) d)
            + (select count(*) from (select customer_id, first_seen_at, last_seen_at, interactions, channels, preferred_channel from rebuild.timeline_customers
                                     except select customer_id, first_seen_at, last_seen_at, interactions, channels, preferred_channel from setbased.timeline_customers) d) as n`,
    );
    const drainRate = drained.events / drained.seconds;
    const rebuildRate = rebuilt.events / rebuilt.seconds;
    const referenceRate = reference.events / reference.seconds;
    process.stdout.write('\n');
    console.table([
      {
        measure: '(a) readAll drain, pages of 1000',
        events: fmt(drained.events),
        seconds: drained.seconds.toFixed(1),
        'events/s': fmt(drainRate),
        '÷ drain': '1',
      },
      {
        measure: '(b) TimelineProjector rebuild, batches of 500',
        events: fmt(rebuilt.events),
        seconds: rebuilt.seconds.toFixed(1),
        'events/s': fmt(rebuildRate),
        '÷ drain': (rebuildRate / drainRate).toFixed(3),
      },
      ...(oneByOne
        ? [
            {
              measure: '(b0) same, one-by-one apply (before)',
              events: fmt(oneByOne.events),
              seconds: oneByOne.seconds.toFixed(1),
              'events/s': fmt(oneByOne.events / oneByOne.seconds),
              '÷ drain': (oneByOne.events / oneByOne.seconds / drainRate).toFixed(3),
            },
          ]
        : []),
      {
        measure: "(b') same batches, set-based apply (reference)",
        events: fmt(reference.events),
        seconds: reference.seconds.toFixed(1),
        'events/s': fmt(referenceRate),
        '÷ drain': (referenceRate / drainRate).toFixed(3),
      },
    ]);
    if (Number(same.rows[0]!.n) !== 0)
      log(`warning: the set-based reference differs from the projector's rebuild in ${same.rows[0]!.n} rows`);
    else log('the set-based reference wrote the same entries and customer rows as the projector');

    log('takeover copy');
    await new PostgresTimelineStore(pool).ensureSchema();
    const intoEmpty = await takeoverCopy(pool);
    const replacing = await takeoverCopy(pool);
    process.stdout.write(
      `(d) takeover copy of ${fmt(entries)} entries under ACCESS EXCLUSIVE lock: ${(intoEmpty / 1000).toFixed(1)} s into empty tables, ${(replacing / 1000).toFixed(1)} s replacing them (readers wait this long)\n`,
    );
    printSwap(
      await takeoverSwap(database, pool, store, {
        fill: async (schema) => {
          for (const t of STORE_TABLES) {
            const cols = (
              await pool.query<{ c: string }>(
                "select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as c from information_schema.columns where table_schema = 'rebuild' and table_name = $1 and is_generated = 'NEVER'",
                [t],
              )
            ).rows[0]!.c;
            await pool.query(`insert into ${schema}.${t} (${cols}) select ${cols} from rebuild.${t}`);
          }
        },
        readers: () => readLoad(pool, CUSTOMERS),
      }),
    );
    for (const [label, r] of [
      ['(b) set-based', rebuilt],
      ['(b0) one-by-one', oneByOne],
    ] as const) {
      if (!r) continue;
      process.stdout.write(
        `\n${label} rebuild: ${fmt(entries)} timeline entries; ${(r.statements / r.events).toFixed(3)} SQL statements per event, ` +
          `${((r.sqlMs * 1000) / r.statements).toFixed(0)} µs each on average; ` +
          `${((r.handlerMs / 1000 / r.seconds) * 100).toFixed(0)} % of the time in the handler (apply + checkpoint), the rest reading; ` +
          `${fmt(r.handlerMs - r.sqlMs)} ms of the handler's ${fmt(r.handlerMs)} ms outside SQL round trips (planning, JSON, summaries)\n`,
      );
      console.table(
        [...r.byKind.entries()]
          .sort(([, a], [, b]) => b.ms - a.ms)
          .map(([kind, k]) => ({
            statement: kind,
            count: fmt(k.n),
            'ms in all': fmt(k.ms),
            'µs each': fmt((k.ms * 1000) / k.n),
            'µs per event': ((k.ms * 1000) / r.events).toFixed(1),
            '% of handler': ((k.ms / r.handlerMs) * 100).toFixed(1),
          })),
      );
    }

    for (const rate of LAG_RATES) {
      log(`projector lag at ${rate} events/s for ${LAG_SECONDS} s`);
      const lag = await lagUnderLoad(database, pool, store, rate);
      process.stdout.write('\n');
      console.table(lag);
    }
    await store.close();
  } finally {
    await pool.end();
    if (process.env['BENCH_KEEP_DB'] === '1') process.stdout.write(`kept database ${name}: drop database ${name} with (force);\n`);
    else await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
