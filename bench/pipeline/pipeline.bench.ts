/*
 * bench/pipeline: the whole hub as real processes, fed open-loop at fixed rates, beside this
 * machine's ceiling measured in the same run (docs/benchmarks.md, "Pipeline (bench/pipeline)").
 *
 *   node -r @swc-node/register bench/pipeline/pipeline.bench.ts [--rates 50,100,200,400] [--seconds 30]
 *        [--recorders 1] [--workers 1] [--debounce 250] [--configs hub,ingest,bare] [--json out.json]
 *
 * On a fresh database (hub_bench_pipeline_<time>, dropped at the end) and fresh namespaces it runs
 * three configurations, interleaved rate by rate so each rate sees them under the same conditions:
 * - hub: ingest-sms, ingest-webchat, timeline-projector × --recorders, nba-worker × --workers, query-api,
 *   on a population of --customers seeded through the production stores (--history interactions each);
 * - ingest-sms alone: SMS only, nothing behind it but Kafka (the edge's own capacity);
 * - bare pipeline (bare-pipeline.ts): Fastify + kafkajs + pg doing the same input and output.
 * Per rate: acknowledged, refused, latency from the send to stored (hub_events.created_at), on the
 * timeline (timeline_entries polled every 50 ms) and decision published (the NextBestActionDecided
 * answering it, or a later interaction of the same customer, arriving on hub.customer-events.v1);
 * the backlog; CPU seconds per process. A rate is sustainable when every webhook is acknowledged at
 * the rate asked, the backlog drains within --grace seconds and decision p99 < 1 s + debounce.
 */
import { randomBytes, createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'pg';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { hubNames, type CustomerEventMessage } from '@hub/contracts';
import { createCustomerStores, recordInteraction } from '@hub/customer-records';
import { ensureTopics } from '@hub/messaging';
import { freshId, startAppProcess, type AppProcess, TEST_IDENTITY_NAMING } from '@hub/testing';
import { historyOf, nowMs, prepareRequests, prng, refusedByStatus, sendOpenLoop, type Mix, type Outcome, type Secrets } from './load';
import {
  consumerLag,
  cpuDelta,
  cpuSnapshot,
  fixedGroup,
  fmtQ,
  machineBusySeconds,
  matchingGroup,
  quantiles,
  type ProcessGroup,
  type Quantiles,
} from './probes';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,200,400' },
    seconds: { type: 'string', default: '30' },
    recorders: { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    debounce: { type: 'string', default: '250' },
    configs: { type: 'string', default: 'hub,ingest,bare' },
    customers: { type: 'string', default: '1000' },
    history: { type: 'string', default: '5' },
    connections: { type: 'string', default: '256' },
    grace: { type: 'string', default: '10' },
    settle: { type: 'string', default: '90' },
    warmup: { type: 'string', default: '5' },
    idle: { type: 'string', default: '10' },
    'new-share': { type: 'string', default: '0.1' },
    'burst-share': { type: 'string', default: '0.1' },
    'webchat-share': { type: 'string', default: '0.3' },
    'max-minutes': { type: 'string', default: '60' },
    'keep-going': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const RECORDERS = Number(args.recorders);
const WORKERS = Number(args.workers);
const DEBOUNCE_MS = Number(args.debounce);
const CONFIGS = new Set(args.configs.split(','));
const CUSTOMERS = Number(args.customers);
const HISTORY = Number(args.history);
const GRACE_MS = Number(args.grace) * 1000;
const SETTLE_MS = Number(args.settle) * 1000;
const WARMUP_S = Number(args.warmup);
const IDLE_MS = Number(args.idle) * 1000;
const MIX_SHARES = {
  newShare: Number(args['new-share']),
  burstShare: Number(args['burst-share']),
  webchatShare: Number(args['webchat-share']),
};
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const TENANT = 'bench';
const ROOT = resolve(__dirname, '../..');
const LOG_DIR = join(ROOT, '.run', 'logs');
const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type ConfigName = 'hub' | 'ingest-sms alone' | 'bare pipeline';

interface Backlog {
  /** Kafka lag of the recording consumers (projector's group / bare recorder). */
  recordLag: number;
  /** Kafka lag of the deciding consumers (nba-worker's group / bare decider). */
  decideLag: number;
  /** BullMQ decide jobs waiting, delayed or active. */
  queued: number;
  /** Accepted interactions not yet on the timeline (hub). */
  notProjected: number;
}

interface Target {
  name: ConfigName;
  base: string;
  smsOnly: boolean;
  processes: ProcessGroup[];
  backlog(): Promise<Backlog>;
  /** Stored time (epoch ms) of each event, with the customer's stream and revision when there is one. */
  stored?(ids: readonly string[]): Promise<Map<string, StoredAt>>;
  /** The decision latency of each interaction, or undefined while none covers it. */
  decidedAt?(ids: readonly string[], stored: Map<string, StoredAt>): Map<string, number>;
  /** Where the decision latency goes (hub): each interaction's time per hop, from the same clocks. */
  hops?(ids: readonly string[], stored: Map<string, StoredAt>): Promise<Record<string, Quantiles | undefined>>;
  debounceMs: number;
  failed: boolean;
  newCustomers: number;
}

/** Where each app log was read up to, so each rate reports only its own warnings. */
const logOffsets = new Map<string, number>();
const logFilesOf = new Map<ConfigName, string[]>();

/** Warnings and errors (pino level ≥ 40) the target's apps logged since the last call, counted by app and message. */
function appWarnings(t: Target): string {
  const counts = new Map<string, number>();
  for (const file of logFilesOf.get(t.name) ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const from = logOffsets.get(file) ?? 0;
    logOffsets.set(file, text.length);
    for (const line of text.slice(from).split('\n')) {
      const m = /^\{"level":(\d+).*"app":"([^"]+)".*"msg":"([^"]{0,120})/.exec(line);
      // kafkajs says this of every idempotent producer at start-up: not news.
      if (!m || Number(m[1]) < 40 || m[3]!.includes('Limiting retries for the idempotent producer')) continue;
      const key = `${m[2]}: ${m[3]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join('; ');
}

interface StoredAt {
  at: number;
  stream: string;
  revision: number;
}

interface RateResult {
  config: ConfigName;
  rate: number;
  webhooks: number;
  sentPerSecond: number;
  latenessP99Ms: number;
  ackedPerSecond: number;
  refused: Record<string, number>;
  ack?: Quantiles;
  stored?: Quantiles;
  timeline?: Quantiles;
  decision?: Quantiles;
  hops?: Record<string, Quantiles | undefined>;
  backlogAtEnd: Backlog;
  drainedAfterMs?: number;
  notStored: number;
  notDecided: number;
  windowSeconds: number;
  cpuSeconds: Record<string, number>;
  machineBusyCores: number;
  sustainable: boolean;
  keepsUp: boolean;
  why: string[];
  /** Warnings and errors the apps logged during the rate (pino level ≥ 40), by message. */
  warnings?: string;
}

const cleanups: (() => Promise<void>)[] = [];
let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
  })();
  return cleaningUp;
}

/** A bench script as its own process (the bare pipeline's stages), ready when it prints `"msg":"ready"`. */
function startScript(
  name: string,
  file: string,
  env: NodeJS.ProcessEnv,
  suffix: string,
): Promise<{ child: ChildProcess; url?: string; stop(): Promise<void> }> {
  mkdirSync(LOG_DIR, { recursive: true });
  const out = createWriteStream(join(LOG_DIR, `${name}${suffix}.log`), {
    flags: 'a',
  });
  const child = spawn(process.execPath, ['-r', '@swc-node/register', file], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
    out.end();
  };
  return new Promise((ok, fail) => {
    let ready = false;
    child.stderr.pipe(out);
    child.stdout.on('data', (b: Buffer) => {
      out.write(b);
      if (ready) return;
      const line = b
        .toString()
        .split('\n')
        .find((l) => l.includes('"msg":"ready"'));
      if (!line) return;
      ready = true;
      const url = (JSON.parse(line) as { url?: string }).url;
      ok({ child, ...(url ? { url } : {}), stop });
    });
    child.once('exit', (code) => {
      if (!ready) fail(new Error(`${name} exited (${code}) before it was ready; see ${LOG_DIR}/${name}${suffix}.log`));
    });
  });
}

async function follow(kafka: Kafka, topic: string, onMessage: (value: Buffer, at: number) => void): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: freshId('bench-pipeline-follow'),
    maxWaitTimeInMs: 20,
  });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  // A throwaway group: nothing to commit (its commits were a request per batch, counted in the broker's CPU).
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => onMessage(message.value!, nowMs()),
  });
  await joined;
  return consumer;
}

/** Interactions not yet in `timeline_entries`, polled every 50 ms: when each became visible to the query API. */
class TimelinePoller {
  private readonly pending = new Map<string, number>();
  readonly seenAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  constructor(private readonly pool: Pool) {}

  add(ids: readonly string[]): void {
    for (const id of ids) if (!this.seenAt.has(id)) this.pending.set(id, 0);
  }
  get size(): number {
    return this.pending.size;
  }
  start(): void {
    this.timer = setInterval(() => void this.poll(), 50);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
  private async poll(): Promise<void> {
    if (this.busy || this.pending.size === 0) return;
    this.busy = true;
    try {
      const ids = [...this.pending.keys()];
      for (let i = 0; i < ids.length; i += 5_000) {
        const found = await this.pool.query<{ id: string }>(
          'select event_id::text as id from timeline_entries where event_id = any($1::uuid[])',
          [ids.slice(i, i + 5_000)],
        );
        const at = nowMs();
        for (const r of found.rows) {
          this.pending.delete(r.id);
          this.seenAt.set(r.id, at);
        }
      }
    } catch {
      // the table appears with the projector's schema; the next poll tries again
    } finally {
      this.busy = false;
    }
  }
}

async function main(): Promise<void> {
  const runStarted = Date.now();
  const hardStop = setTimeout(
    () => {
      log(`--max-minutes ${args['max-minutes']} reached: stopping everything`);
      void cleanup().finally(() => process.exit(2));
    },
    Number(args['max-minutes']) * 60_000,
  );
  hardStop.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const dbName = `hub_bench_pipeline_${Date.now()}`;
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });
  const databaseUrl = Object.assign(new URL(SERVER_URL), {
    pathname: `/${dbName}`,
  }).href;
  const pool = new Pool({ connectionString: databaseUrl, max: 8 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  /** The backends serving this script's own queries (the timeline poller, backlog counts): their CPU is the bench's, not the hub's. */
  const benchBackends = new Set<number>();
  pool.on('connect', (client) => {
    client.query<{ pid: number }>('select pg_backend_pid() as pid').then(
      (r) => benchBackends.add(r.rows[0]!.pid),
      () => undefined,
    );
  });
  cleanups.push(() => pool.end());

  const ns = freshId('bench-pipe').toLowerCase();
  const nsAlone = `${ns}-alone`;
  const names = hubNames(ns);
  const kafka = new Kafka({
    clientId: freshId('bench-pipeline'),
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const kafkaAdmin: Admin = kafka.admin();
  await kafkaAdmin.connect();
  const bareTopics = {
    interactions: `${ns}.bare.interactions`,
    customerEvents: `${ns}.bare.customer-events`,
    decisions: `${ns}.bare.decisions`,
  };
  cleanups.push(async () => {
    const ours = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(`${ns}.`) || t.startsWith(`${nsAlone}.`));
    if (ours.length > 0) await kafkaAdmin.deleteTopics({ topics: ours }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  });
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const decideQueue = new Queue(names.queues.nbaDecide, { connection: redis });
  cleanups.push(async () => {
    for (const q of [decideQueue, new Queue(names.queues.nbaFollowUp, { connection: redis })]) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    redis.disconnect();
  });

  const secrets: Secrets = {
    twilioAuthToken: randomBytes(16).toString('hex'),
    twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
    webchatSecret: randomBytes(24).toString('hex'),
  };
  const apiKey = randomBytes(16).toString('hex');
  const hubEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    KAFKA_BROKERS: BROKERS.join(','),
    HUB_NAMESPACE: ns,
    TENANT_ID: TENANT,
    TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
    TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
    WEBCHAT_SIGNING_SECRET: secrets.webchatSecret,
    HUB_API_KEYS: `${TENANT}:${createHash('sha256').update(apiKey).digest('hex')}`,
    PORT: '0',
    LOG_LEVEL: 'info',
    NBA_DEBOUNCE_MS: String(DEBOUNCE_MS),
    NBA_OUTBOUND_EVERY_MS: '0',
    // The seeded customers' triggers are not what is measured (the worker starts at the end of the relayed history).
    NBA_RECONCILE_AT_START: 'off',
    // The request rate limits stay on (their cost is part of what is measured); the defaults already
    // allow 3,000 req/s from one address, these keep any --rates out of their reach.
    RATE_LIMIT_PER_ADDRESS: '100000000',
    RATE_LIMIT_PER_SOURCE: '100000000',
    RATE_LIMIT_PER_KEY: '100000000',
  };
  const apps: AppProcess[] = [];
  cleanups.push(async () => void (await Promise.all(apps.map((a) => a.stop()))));
  const scripts: { stop(): Promise<void> }[] = [];
  cleanups.push(async () => void (await Promise.all(scripts.map((s) => s.stop()))));
  const consumers: Consumer[] = [];
  cleanups.push(async () => void (await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)))));
  const agents = new Set<Agent>();
  cleanups.push(async () => agents.forEach((a) => a.destroy()));

  const shared: ProcessGroup[] = [
    matchingGroup('kafka', (c) => c.includes('kafka.Kafka')),
    matchingGroup('postgres (this db)', (c) => c.startsWith('postgres:') && c.includes(dbName)).withoutPids(benchBackends),
    matchingGroup('postgres (bench probes)', (c) => c.startsWith('postgres:') && c.includes(dbName)).onlyPids(benchBackends),
    matchingGroup('postgres (all)', (c) => c.startsWith('postgres')),
    matchingGroup('redis', (c) => c.startsWith('redis-server')),
    fixedGroup('bench (sender)', [process.pid]),
  ];
  const targets: Target[] = [];

  // ── hub ────────────────────────────────────────────────────────────────────────────────────────
  const decisionsByStream = new Map<string, { basedOn: string; at: number; eventId: string }[]>();
  const decisionLog: { customerId: string; basedOn: string; at: number; eventId: string }[] = [];
  /** When each interaction came out of the relay on hub.customer-events.v1 (by event id). */
  const relayedAt = new Map<string, number>();
  /** The decision (event id, published at) that first answered each interaction. */
  const answeredBy = new Map<string, { eventId: string; at: number }>();
  const knownEvents = new Map<string, StoredAt>();
  const timeline = new TimelinePoller(pool);
  if (CONFIGS.has('hub')) {
    // A population with history, through the production stores (identity claims, sealed fields), before the apps start.
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const seed = randomBytes(4).toString('hex');
    const seedStarted = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < CUSTOMERS) {
          const n = next++;
          for (const interaction of historyOf(n, HISTORY, TENANT, seed))
            await recordInteraction(stores, interaction, interaction.metadata.recordedAt);
        }
      }),
    );
    log(
      `hub: ${CUSTOMERS} customers × ${HISTORY} interactions seeded through the production stores in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    // Everything but the worker first: the projector projects the seeded history and relays it to
    // hub.customer-events.v1. The worker then starts at the end of that topic, so the history does
    // not become a thousand decisions at once before the first measurement (those customers are
    // decided when they write again, on a stream that holds their history).
    const startAll = async (starting: Promise<AppProcess>[]) => {
      const started = await Promise.allSettled(starting);
      for (const s of started) if (s.status === 'fulfilled') apps.push(s.value);
      const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) throw failure.reason;
    };
    const starting: Promise<AppProcess>[] = [];
    for (let i = 0; i < RECORDERS; i++) starting.push(startAppProcess('timeline-projector', hubEnv, { logSuffix: `-${ns}-${i}` }));
    starting.push(
      startAppProcess('ingest-sms', hubEnv, { logSuffix: `-${ns}` }),
      startAppProcess('ingest-webchat', hubEnv, { logSuffix: `-${ns}` }),
    );
    starting.push(startAppProcess('query-api', hubEnv, { logSuffix: `-${ns}` }));
    await startAll(starting);
    const caughtUp = Date.now() + 300_000;
    for (;;) {
      const store = await pool.query<{ events: string; interactions: string }>(
        `select count(*) filter (where stream_name like 'customer-%') as events, count(*) filter (where event_type = 'InteractionRecorded') as interactions
           from hub_events`,
      );
      const projected = await pool.query<{ n: string }>('select count(*) as n from timeline_entries').catch(() => ({ rows: [{ n: '0' }] }));
      const relayed = (await kafkaAdmin.fetchTopicOffsets(names.topics.customerEvents)).reduce(
        (sum, p) => sum + Number(p.high) - Number(p.low),
        0,
      );
      const row = store.rows[0]!;
      if (relayed >= Number(row.events) && Number(projected.rows[0]!.n) >= Number(row.interactions)) break;
      if (Date.now() > caughtUp)
        throw new Error(`the projector did not catch up with the seeded history in 300 s (relayed ${relayed} of ${row.events})`);
      await sleep(500);
    }
    await kafkaAdmin.resetOffsets({ groupId: names.groups.nbaWorker, topic: names.topics.customerEvents, earliest: false });
    log('hub: seeded history projected and relayed; the worker starts at the end of hub.customer-events.v1');
    await startAll(Array.from({ length: WORKERS }, (_, i) => startAppProcess('nba-worker', hubEnv, { logSuffix: `-${ns}-${i}` })));
    const byName = (name: string) => apps.filter((a) => a.name === name);
    const sms = byName('ingest-sms')[0]!;
    const webchat = byName('ingest-webchat')[0]!;
    const smsUrl = new URL(sms.url!);
    const webchatUrl = new URL(webchat.url!);
    if (smsUrl.host === webchatUrl.host) throw new Error('ingest-sms and ingest-webchat on one port?');

    consumers.push(
      await follow(kafka, names.topics.customerEvents, (value, at) => {
        const text = value.toString();
        if (!text.includes('"InteractionRecorded"') && !text.includes('"NextBestActionDecided"')) return;
        const m = JSON.parse(text) as CustomerEventMessage;
        if (m.type === 'InteractionRecorded') {
          relayedAt.set(m.metadata.eventId, at);
          return;
        }
        if (m.type !== 'NextBestActionDecided') return;
        const basedOn = (m.data as { basedOnEventId?: string }).basedOnEventId;
        if (typeof basedOn !== 'string') return;
        decisionLog.push({ customerId: m.customerId, basedOn, at, eventId: m.metadata.eventId });
      }),
    );
    timeline.start();
    cleanups.push(async () => timeline.stop());

    const hub: Target = {
      name: 'hub',
      // Two ingestion apps: the sender picks the app by path (see routeOf below).
      base: sms.url!,
      smsOnly: false,
      processes: ['ingest-sms', 'ingest-webchat', 'timeline-projector', 'nba-worker', 'query-api'].map((n) =>
        fixedGroup(
          n,
          byName(n).map((a) => a.child.pid!),
        ),
      ),
      backlog: async () => {
        const [recordLag, decideLag, counts] = await Promise.all([
          consumerLag(kafkaAdmin, names.groups.timelineProjector, names.topics.interactions),
          consumerLag(kafkaAdmin, names.groups.nbaWorker, names.topics.customerEvents),
          decideQueue.getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
        ]);
        return {
          recordLag,
          decideLag,
          queued: Object.values(counts).reduce((a, b) => a + b, 0),
          notProjected: timeline.size,
        };
      },
      stored: async (ids) => {
        const out = new Map<string, StoredAt>();
        for (let i = 0; i < ids.length; i += 5_000) {
          const rows = await pool.query<{
            id: string;
            at: number;
            stream: string;
            revision: string;
          }>(
            `select event_id::text as id, extract(epoch from created_at) * 1000 as at, stream_name as stream, stream_revision as revision
               from hub_events where event_id = any($1::uuid[])`,
            [ids.slice(i, i + 5_000)],
          );
          for (const r of rows.rows) {
            const s = {
              at: Number(r.at),
              stream: r.stream,
              revision: Number(r.revision),
            };
            out.set(r.id, s);
            knownEvents.set(r.id, s);
          }
        }
        return out;
      },
      decidedAt: (ids, stored) => {
        // File every decision received so far under the stream and revision of the event it answers.
        for (const d of decisionLog.splice(0)) {
          const basedOn = knownEvents.get(d.basedOn);
          if (!basedOn) continue;
          const list = decisionsByStream.get(basedOn.stream) ?? [];
          list.push({ basedOn: d.basedOn, at: d.at, eventId: d.eventId });
          decisionsByStream.set(basedOn.stream, list);
        }
        // An interaction is answered by the first decision on its customer's stream based on it or on a later event (debounce folds a burst into one).
        const out = new Map<string, number>();
        for (const id of ids) {
          const s = stored.get(id);
          if (!s) continue;
          let first: { at: number; eventId: string } | undefined;
          for (const d of decisionsByStream.get(s.stream) ?? []) {
            if (knownEvents.get(d.basedOn)!.revision >= s.revision && (first === undefined || d.at < first.at)) first = d;
          }
          if (first !== undefined) {
            out.set(id, first.at);
            answeredBy.set(id, first);
          }
        }
        return out;
      },
      hops: async (ids, stored) => {
        const decisionIds = [...new Set(ids.flatMap((id) => (answeredBy.has(id) ? [answeredBy.get(id)!.eventId] : [])))];
        const decisionStoredAt = new Map<string, number>();
        for (let i = 0; i < decisionIds.length; i += 5_000) {
          const rows = await pool.query<{ id: string; at: number }>(
            `select event_id::text as id, extract(epoch from created_at) * 1000 as at from hub_events where event_id = any($1::uuid[])`,
            [decisionIds.slice(i, i + 5_000)],
          );
          for (const r of rows.rows) decisionStoredAt.set(r.id, Number(r.at));
        }
        const hop = (f: (id: string) => number | undefined) =>
          quantiles(ids.flatMap((id) => [f(id)].filter((v): v is number => v !== undefined && Number.isFinite(v))));
        const relayed = (id: string) => relayedAt.get(id);
        const decStored = (id: string) => {
          const d = answeredBy.get(id);
          return d ? decisionStoredAt.get(d.eventId) : undefined;
        };
        const storedAt = (id: string) => stored.get(id)?.at;
        const between = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : b - a);
        // The decide jobs of the window (kept after completion, up to 10,000): how late BullMQ started each after its delay, how long each ran.
        const from = Math.min(...ids.flatMap((id) => (relayed(id) !== undefined ? [relayed(id)!] : [])));
        const jobs = (await decideQueue.getJobs(['completed', 'failed'], 0, 20_000)).filter(
          (j) => j.processedOn !== undefined && j.timestamp >= from,
        );
        return {
          'stored → relayed': hop((id) => between(storedAt(id), relayed(id))),
          'decide job start after its delay': quantiles(jobs.map((j) => j.processedOn! - j.timestamp - (j.delay ?? 0))),
          'decide job run': quantiles(jobs.map((j) => j.finishedOn! - j.processedOn!)),
          'relayed → decision stored (debounce included)': hop((id) => between(relayed(id), decStored(id))),
          'decision stored → published': hop((id) => between(decStored(id), answeredBy.get(id)?.at)),
        };
      },
      debounceMs: DEBOUNCE_MS,
      failed: false,
      newCustomers: 0,
    };
    hub.base = `http://${smsUrl.host}|http://${webchatUrl.host}`;
    targets.push(hub);
    logFilesOf.set(
      'hub',
      apps.map((a) => a.logFile),
    );
    log(`hub up: ${RECORDERS} timeline-projector, ${WORKERS} nba-worker, ingest-sms, ingest-webchat, query-api (namespace ${ns})`);
  }

  // ── ingest-sms alone ───────────────────────────────────────────────────────────────────────────
  if (CONFIGS.has('ingest')) {
    const alone = await startAppProcess('ingest-sms', { ...hubEnv, HUB_NAMESPACE: nsAlone }, { logSuffix: `-${nsAlone}` });
    apps.push(alone);
    logFilesOf.set('ingest-sms alone', [alone.logFile]);
    targets.push({
      name: 'ingest-sms alone',
      base: alone.url!,
      smsOnly: true,
      processes: [fixedGroup('ingest-sms', [alone.child.pid!])],
      backlog: async () => ({
        recordLag: 0,
        decideLag: 0,
        queued: 0,
        notProjected: 0,
      }),
      debounceMs: 0,
      failed: false,
      newCustomers: 0,
    });
  }

  // ── bare pipeline ──────────────────────────────────────────────────────────────────────────────
  const bareDecided = new Map<string, number>();
  if (CONFIGS.has('bare')) {
    await ensureTopics(
      kafka,
      Object.values(bareTopics).map((topic) => ({ topic, numPartitions: 6 })),
    );
    const bareEnv = {
      KAFKA_BROKERS: BROKERS.join(','),
      DATABASE_URL: databaseUrl,
      TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
      WEBCHAT_SIGNING_SECRET: secrets.webchatSecret,
      BARE_TOPIC_INTERACTIONS: bareTopics.interactions,
      BARE_TOPIC_CUSTOMER_EVENTS: bareTopics.customerEvents,
      BARE_TOPIC_DECISIONS: bareTopics.decisions,
    };
    const file = join('bench', 'pipeline', 'bare-pipeline.ts');
    const [bIngest, bRecorder, bDecider] = await Promise.all([
      startScript('bare-ingest', file, { ...bareEnv, BARE_ROLE: 'ingest' }, `-${ns}`),
      startScript(
        'bare-recorder',
        file,
        {
          ...bareEnv,
          BARE_ROLE: 'recorder',
          BARE_GROUP: `${ns}.bare.recorder`,
        },
        `-${ns}`,
      ),
      startScript('bare-decider', file, { ...bareEnv, BARE_ROLE: 'decider', BARE_GROUP: `${ns}.bare.decider` }, `-${ns}`),
    ]);
    scripts.push(bIngest, bRecorder, bDecider);
    consumers.push(
      await follow(kafka, bareTopics.decisions, (value, at) => {
        const d = JSON.parse(value.toString()) as {
          data: { basedOnEventId: string };
        };
        if (!bareDecided.has(d.data.basedOnEventId)) bareDecided.set(d.data.basedOnEventId, at);
      }),
    );
    targets.push({
      name: 'bare pipeline',
      base: `${bIngest.url!}|${bIngest.url!}`,
      smsOnly: false,
      processes: [
        fixedGroup('bare ingest', [bIngest.child.pid!]),
        fixedGroup('bare recorder', [bRecorder.child.pid!]),
        fixedGroup('bare decider', [bDecider.child.pid!]),
      ],
      backlog: async () => {
        const [recordLag, decideLag] = await Promise.all([
          consumerLag(kafkaAdmin, `${ns}.bare.recorder`, bareTopics.interactions),
          consumerLag(kafkaAdmin, `${ns}.bare.decider`, bareTopics.customerEvents),
        ]);
        return { recordLag, decideLag, queued: 0, notProjected: 0 };
      },
      stored: async (ids) => {
        const out = new Map<string, StoredAt>();
        for (let i = 0; i < ids.length; i += 5_000) {
          const rows = await pool.query<{
            id: string;
            at: number;
            stream: string;
          }>(
            `select event_id::text as id, extract(epoch from created_at) * 1000 as at, customer_key as stream
               from bare_events where event_id = any($1::uuid[])`,
            [ids.slice(i, i + 5_000)],
          );
          for (const r of rows.rows) out.set(r.id, { at: Number(r.at), stream: r.stream, revision: 0 });
        }
        return out;
      },
      decidedAt: (ids) => new Map(ids.flatMap((id) => (bareDecided.has(id) ? [[id, bareDecided.get(id)!] as const] : []))),
      debounceMs: 0,
      failed: false,
      newCustomers: 0,
    });
    log('bare pipeline up: Fastify ingest, kafkajs→pg recorder, kafkajs read/insert/produce decider');
  }

  /** Wait until the backlog is zero and every accepted webhook is stored (and decided, where the target decides); how long that took. */
  const idle = async (t: Target, timeoutMs: number, ids: readonly string[] = []): Promise<number | undefined> => {
    const started = nowMs();
    const stored = new Map<string, StoredAt>();
    for (;;) {
      const b = await t.backlog();
      let done = b.recordLag === 0 && b.decideLag === 0 && b.queued === 0 && b.notProjected === 0;
      if (done && t.stored && ids.length > 0) {
        const missing = ids.filter((id) => !stored.has(id));
        for (const [id, s] of await t.stored(missing)) stored.set(id, s);
        done = stored.size === ids.length && (!t.decidedAt || t.decidedAt(ids, stored).size === ids.length);
      }
      if (done) return nowMs() - started;
      if (nowMs() - started > timeoutMs) return undefined;
      await sleep(250);
    }
  };

  /** Send `count` webhooks at `rate` to the target (through both ingestion apps for a mixed load). */
  const drive = async (t: Target, rate: number, count: number, tag: string): Promise<Outcome[]> => {
    const random = prng(createHash('sha256').update(tag).digest().readUInt32BE(0));
    const mix: Mix = {
      population: CUSTOMERS,
      firstNew: CUSTOMERS + 100_000 + t.newCustomers,
      ...MIX_SHARES,
      ...(t.smsOnly ? { webchatShare: 0 } : {}),
    };
    const [smsBase, webchatBase] = t.base.split('|') as [string, string | undefined];
    // Requests are signed for the app that receives them: sms ones for smsBase, web chat ones for webchatBase.
    const prepared = prepareRequests(count, smsBase, mix, secrets, tag.replace(/[^A-Za-z0-9]/g, ''), random);
    t.newCustomers += prepared.newCustomers;
    const reqs = prepared.requests.map((r) =>
      r.path === '/webhooks/webchat' && webchatBase ? { ...r, base: webchatBase } : { ...r, base: smsBase },
    );
    // One schedule over the whole sequence (slot i at i/rate), split by destination app, each request keeping its slot.
    const byBase = new Map<string, number[]>();
    reqs.forEach((r, i) => byBase.set(r.base, [...(byBase.get(r.base) ?? []), i]));
    const outcomes: Outcome[] = new Array<Outcome>(reqs.length);
    const start = nowMs() + 50;
    const onAccepted = (ids: string[]) => (t.name === 'hub' ? timeline.add(ids) : undefined);
    // Fresh connections for every rate: a keep-alive socket left idle between rates is closed by the
    // server (Node's 5 s keepAliveTimeout), and reusing it as the close arrives fails with ECONNRESET.
    const agent = new Agent({ keepAlive: true, maxSockets: Number(args.connections) });
    agents.add(agent);
    await Promise.all(
      [...byBase].map(async ([base, index]) => {
        const res = await sendOpenLoop(
          agent,
          base,
          index.map((i) => reqs[i]!),
          { start, offsetsMs: index.map((i) => (i * 1000) / rate) },
          onAccepted,
        );
        res.forEach((o, k) => (outcomes[index[k]!] = o));
      }),
    );
    agent.destroy();
    agents.delete(agent);
    return outcomes;
  };

  // ── warm-up ───────────────────────────────────────────────────────────────────────────────────
  for (const t of targets) {
    const rate = RATES[0]!;
    const warm = await drive(t, rate, Math.round(rate * WARMUP_S), `warmup-${t.name}-${ns}`);
    await idle(
      t,
      SETTLE_MS,
      warm.flatMap((o) => o.eventIds),
    );
    const warmupWarnings = appWarnings(t); // and the start-up's: each rate then reports only its own
    log(`${t.name}: warmed up (${WARMUP_S} s at ${rate}/s, not measured)${warmupWarnings ? `; app logs: ${warmupWarnings}` : ''}`);
  }

  // ── idle: what the running processes cost with nothing to do (pollers, heartbeats, the broker) ──
  for (const t of targets) {
    const groups = [...t.processes, ...shared];
    const before = cpuSnapshot(groups);
    const busyBefore = machineBusySeconds();
    await sleep(IDLE_MS);
    const cpu = cpuDelta(before, cpuSnapshot(groups));
    const perSecond = Object.entries(cpu)
      .filter(([name, sec]) => sec >= 0.01 && name !== 'postgres (all)')
      .map(([name, sec]) => `${name} ${((sec / IDLE_MS) * 1e5).toFixed(1)}%`)
      .join(', ');
    log(
      `${t.name}: idle for ${IDLE_MS / 1000} s, CPU per process (% of one core): ${perSecond}; machine ${((machineBusySeconds() - busyBefore) / (IDLE_MS / 1000)).toFixed(2)} cores busy`,
    );
  }

  // ── the rates, interleaved ────────────────────────────────────────────────────────────────────
  const results: RateResult[] = [];
  for (const rate of RATES) {
    for (const t of targets) {
      if (t.failed && !args['keep-going']) continue;
      const count = Math.round(rate * SECONDS);
      const groups = [...t.processes, ...shared];
      const cpuBefore = cpuSnapshot(groups);
      const busyBefore = machineBusySeconds();
      const windowStart = nowMs();
      log(`${t.name}: ${rate}/s for ${SECONDS} s (${count} webhooks)`);
      const outcomes = await drive(t, rate, count, `${t.name}-${rate}-${ns}`);
      const sendEnd = nowMs();
      const backlogAtEnd = await t.backlog();
      const acceptedIds = outcomes.flatMap((o) => o.eventIds);
      const drainedAfterMs = await idle(t, GRACE_MS, acceptedIds);
      const cpuAfter = cpuSnapshot(groups);
      const windowSeconds = (nowMs() - windowStart) / 1000;
      const machineBusyCores = (machineBusySeconds() - busyBefore) / windowSeconds;

      const accepted = outcomes.filter((o) => o.status >= 200 && o.status < 300);
      const ids = accepted.flatMap((o) => o.eventIds);
      const sentAtOf = new Map<string, number>();
      for (const o of accepted) for (const id of o.eventIds) sentAtOf.set(id, o.sentAt);
      const stored = t.stored ? await t.stored(ids) : new Map<string, StoredAt>();
      const decided = t.decidedAt ? t.decidedAt(ids, stored) : new Map<string, number>();
      const lat = (at: Map<string, number>) => quantiles(ids.filter((id) => at.has(id)).map((id) => at.get(id)! - sentAtOf.get(id)!));
      const first = outcomes[0]!;
      const last = outcomes.at(-1)!;
      const sentPerSecond = outcomes.length > 1 ? (outcomes.length - 1) / ((last.sentAt - first.sentAt) / 1000) : 0;
      const refused = refusedByStatus(outcomes);
      const r: RateResult = {
        config: t.name,
        rate,
        webhooks: outcomes.length,
        sentPerSecond,
        latenessP99Ms: quantiles(outcomes.map((o) => o.sentAt - o.scheduledAt))!.p99,
        ackedPerSecond: accepted.length / ((sendEnd - first.sentAt) / 1000),
        refused,
        ...(quantiles(accepted.map((o) => o.answeredAt - o.sentAt))
          ? { ack: quantiles(accepted.map((o) => o.answeredAt - o.sentAt))! }
          : {}),
        ...(t.stored ? { stored: lat(new Map([...stored].map(([id, s]) => [id, s.at]))) } : {}),
        ...(t.name === 'hub' ? { timeline: lat(timeline.seenAt) } : {}),
        ...(t.decidedAt ? { decision: lat(decided) } : {}),
        ...(t.hops ? { hops: await t.hops(ids, stored) } : {}),
        backlogAtEnd,
        ...(drainedAfterMs !== undefined ? { drainedAfterMs } : {}),
        notStored: t.stored ? ids.filter((id) => !stored.has(id)).length : 0,
        notDecided: t.decidedAt ? ids.filter((id) => !decided.has(id)).length : 0,
        windowSeconds,
        cpuSeconds: cpuDelta(cpuBefore, cpuAfter),
        machineBusyCores,
        sustainable: false,
        keepsUp: false,
        why: [],
      };
      if (Object.keys(refused).length > 0)
        r.why.push(
          `refused ${Object.entries(refused)
            .map(([k, v]) => `${v}×${k}`)
            .join(' ')}`,
        );
      if (sentPerSecond < rate * 0.95) r.why.push(`sender reached only ${sentPerSecond.toFixed(0)}/s`);
      if (drainedAfterMs === undefined) r.why.push(`backlog not drained ${GRACE_MS / 1000} s after the rate`);
      if (r.notStored > 0) r.why.push(`${r.notStored} not stored`);
      if (r.notDecided > 0) r.why.push(`${r.notDecided} without a decision`);
      if (t.decidedAt && (r.decision?.p99 ?? Infinity) >= 1_000 + t.debounceMs) r.why.push(`decision p99 ≥ ${1_000 + t.debounceMs} ms`);
      if (!t.decidedAt && (r.ack?.p99 ?? Infinity) >= 1_000) r.why.push('202 p99 ≥ 1 s');
      r.sustainable = r.why.length === 0;
      // Keeping up is the throughput half: every webhook acknowledged at the rate asked, stored and decided, and the backlog drained.
      r.keepsUp = !r.why.some((w) => !w.startsWith('decision p99') && !w.startsWith('202 p99'));
      results.push(r);
      log(`${t.name} @ ${rate}/s: ${r.sustainable ? 'sustainable' : `not sustainable (${r.why.join('; ')})`}`);
      // A rate that only misses the latency target still says something about the next one; one the pipeline cannot keep up with ends the climb.
      if (!r.keepsUp) t.failed = true;
      // Start the next measurement on an idle pipeline.
      const warnings = appWarnings(t);
      if (warnings) {
        r.warnings = warnings;
        log(`${t.name} @ ${rate}/s: warnings and errors in the app logs: ${warnings}`);
      }
      if (drainedAfterMs === undefined && (await idle(t, SETTLE_MS, acceptedIds)) === undefined) {
        log(`${t.name}: backlog still not drained ${SETTLE_MS / 1000} s later; no higher rate for it`);
        t.failed = true;
      }
    }
    if (targets.every((t) => t.failed) && !args['keep-going']) break;
  }

  report(results, { dbName, ns, runSeconds: (Date.now() - runStarted) / 1000 });
  if (args.json)
    writeFileSync(
      args.json,
      JSON.stringify(
        {
          args,
          cores: cpus().length,
          node: process.version,
          at: new Date().toISOString(),
          results,
        },
        null,
        2,
      ),
    );
}

/** CPU groups that are not the pipeline's own work: the whole server, the sender, the bench's probe queries. */
const NOT_THE_PIPELINE = new Set(['postgres (all)', 'bench (sender)', 'postgres (bench probes)']);

/** CPU the pipeline spent per webhook: its own processes, Kafka, the postgres backends of its database, Redis (not the sender, not the bench's probe queries). */
const cpuPerWebhook = (r: RateResult): number =>
  (1000 * Object.entries(r.cpuSeconds).reduce((sum, [name, s]) => (NOT_THE_PIPELINE.has(name) ? sum : sum + s), 0)) / r.webhooks;

/** The highest rate that passed (`sustainable`, or only `keepsUp`), 0 if none. */
function capacity(results: readonly RateResult[], config: ConfigName, pass: 'sustainable' | 'keepsUp' = 'sustainable'): number {
  return Math.max(0, ...results.filter((r) => r.config === config && r[pass]).map((r) => r.rate));
}

/** `≥400/s` when the highest rate tried passed, `<50/s` when none did, else the highest that passed. */
function capacityText(results: readonly RateResult[], config: ConfigName, pass: 'sustainable' | 'keepsUp' = 'sustainable'): string {
  const rs = results.filter((r) => r.config === config);
  if (rs.length === 0) return 'not run';
  const best = capacity(results, config, pass);
  if (best === 0) return `<${rs[0]!.rate}/s`;
  return `${best === Math.max(...RATES) ? '≥' : ''}${best}/s`;
}

function report(results: readonly RateResult[], run: { dbName: string; ns: string; runSeconds: number }): void {
  const configs = [...new Set(results.map((r) => r.config))];
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padStart(n);
  for (const c of configs) {
    lines.push('', `${c} — ${SECONDS} s per rate; latency from the send, ms p50/p99/max`);
    lines.push(
      [
        pad('rate', 6),
        pad('sent/s', 7),
        pad('2xx/s', 7),
        pad('refused', 9),
        pad('202', 16),
        pad('stored', 18),
        pad('timeline', 18),
        pad('decision', 18),
        pad('backlog@end rec/dec/q', 22),
        pad('drained', 8),
        pad('missing', 8),
        '  verdict',
      ].join(' '),
    );
    for (const r of results.filter((x) => x.config === c)) {
      const refused = Object.values(r.refused).reduce((a, b) => a + b, 0);
      lines.push(
        [
          pad(String(r.rate), 6),
          pad(r.sentPerSecond.toFixed(0), 7),
          pad(r.ackedPerSecond.toFixed(0), 7),
          pad(String(refused), 9),
          pad(fmtQ(r.ack), 16),
          pad(r.stored ? fmtQ(r.stored) : '—', 18),
          pad(r.timeline ? fmtQ(r.timeline) : '—', 18),
          pad(r.decision ? fmtQ(r.decision) : '—', 18),
          pad(`${r.backlogAtEnd.recordLag}/${r.backlogAtEnd.decideLag}/${r.backlogAtEnd.queued}`, 22),
          pad(r.drainedAfterMs === undefined ? `>${GRACE_MS / 1000}s` : `${(r.drainedAfterMs / 1000).toFixed(1)}s`, 8),
          pad(String(r.notStored + r.notDecided), 8),
          `  ${r.sustainable ? 'ok' : r.why.join('; ')}`,
        ].join(' '),
      );
      if (r.hops)
        lines.push(
          `${pad('', 6)}   hops, ms p50/p99/max: ${Object.entries(r.hops)
            .map(([k, q]) => `${k} ${fmtQ(q)}`)
            .join('; ')}`,
        );
    }
    lines.push(
      `  CPU seconds per process over each rate's window (send + drain), and the machine's busy cores (all processes, other engineers' too):`,
    );
    for (const r of results.filter((x) => x.config === c)) {
      const cpu = Object.entries(r.cpuSeconds)
        .filter(([, s]) => s >= 0.05)
        .map(([name, s]) => `${name} ${s.toFixed(1)}`)
        .join(', ');
      lines.push(
        `  ${pad(String(r.rate), 6)}/s, ${r.windowSeconds.toFixed(0)} s: ${cpu}; ${cpuPerWebhook(r).toFixed(1)} CPU ms per webhook; ` +
          `machine ${r.machineBusyCores.toFixed(2)} of ${cpus().length} cores busy; sender lateness p99 ${r.latenessP99Ms.toFixed(0)} ms`,
      );
    }
  }
  const hub = capacity(results, 'hub');
  const alone = capacity(results, 'ingest-sms alone');
  const bare = capacity(results, 'bare pipeline');
  const ratio = (a: number, b: number) => (a > 0 && b > 0 ? (a / b).toFixed(2) : 'n/a');
  // CPU per webhook at the highest rate every configuration ran: a figure the other engineers' load disturbs less than latency.
  const common = Math.max(0, ...RATES.filter((rate) => configs.every((c) => results.some((r) => r.config === c && r.rate === rate))));
  const cpuAt = configs
    .map((c) => results.find((r) => r.config === c && r.rate === common))
    .filter((r): r is RateResult => r !== undefined)
    .map((r) => `${r.config} ${cpuPerWebhook(r).toFixed(1)}`)
    .join(', ');
  console.log(lines.join('\n'));
  console.log(
    `\nbench/pipeline: sustainable end-to-end capacity — hub ${capacityText(results, 'hub')} (keeps up to ${capacityText(results, 'hub', 'keepsUp')}) ` +
      `(${RECORDERS} recorder(s), ${WORKERS} worker(s), debounce ${DEBOUNCE_MS} ms), ` +
      `ingest-sms alone ${capacityText(results, 'ingest-sms alone')} (keeps up to ${capacityText(results, 'ingest-sms alone', 'keepsUp')}), ` +
      `bare pipeline ${capacityText(results, 'bare pipeline')} ` +
      `(keeps up to ${capacityText(results, 'bare pipeline', 'keepsUp')}); ` +
      `hub/ingest-sms ${ratio(hub, alone)}, hub/bare ${ratio(hub, bare)} (targets ≥ 0.5 each and ≥ 1,000/s); ` +
      `keeping up only: hub/ingest-sms ${ratio(capacity(results, 'hub', 'keepsUp'), capacity(results, 'ingest-sms alone', 'keepsUp'))}, ` +
      `hub/bare ${ratio(capacity(results, 'hub', 'keepsUp'), capacity(results, 'bare pipeline', 'keepsUp'))}; ` +
      `CPU ms per webhook at ${common}/s: ${cpuAt || 'n/a'}; rates ${RATES.join(',')}, ${SECONDS} s each; ${CUSTOMERS} seeded customers; ` +
      `${cpus().length} cores, node ${process.version}, ${new Date().toISOString()}, run ${(run.runSeconds / 60).toFixed(1)} min`,
  );
}

main().then(
  () => cleanup().then(() => process.exit(0)),
  (err: unknown) => {
    console.error(err);
    void cleanup().finally(() => process.exit(1));
  },
);
