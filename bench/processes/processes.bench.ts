/*
 * bench/processes: what each hub process costs to start and to keep, compiled (the production way,
 * `node dist/apps/<project>/main.js`) and from source (the old way, `HUB_APPS_FROM=source`: swc in the
 * process), beside a bare NestJS-on-Fastify hello compiled the same way, in the same run
 * (docs/benchmarks.md, "Session 11: lean processes").
 *
 *   node -r @swc-node/register bench/processes/processes.bench.ts [--load-seconds 60] [--rate 100]
 *        [--rounds 3] [--idle 5] [--settled 60] [--no-breakdown] [--no-source] [--json out.json]
 *
 * It builds first (`nx run-many -t build`, cached) and compiles bench/ingest/hello-nest.ts with esbuild
 * and the workspace's plugin (tools/build/esbuild.config.cjs) into dist/bench/hello-nest/main.js.
 * Then, --rounds times, interleaved (hello compiled, hello from source, then each app compiled and
 * from source, the order reversed every other round), each process alone on a fresh database (migrated
 * by `hub migrate up` first, the app booting with HUB_MIGRATE=check as in production) and a fresh
 * HUB_NAMESPACE:
 * - ready: from the spawn to its ready line (HTTP apps: serving); for timeline-projector and nba-worker
 *   to their `consumer.joined` line (kafkajs's GROUP_JOIN: `consumer.run` and so the ready line come
 *   before the join);
 * - idle RSS: VmRSS after --idle seconds of doing nothing once ready (and with --settled, again that
 *   many seconds after ready: once V8's memory reducer has run).
 * Then the whole hub (ingest-sms, ingest-api, timeline-projector, nba-worker, query-api), compiled and
 * from source, under --load-seconds of signed Twilio SMS at --rate/s open-loop into ingest-sms, and the
 * hello under the same rate of POST /hello: VmRSS after the load and the peak (VmHWM). Figures are
 * medians over the rounds; each beside the hello's, with the ratios and the targets (idle RSS ≤ 1.5×
 * the hello's, ready ≤ 1.5 s). With the breakdown (the default), one more compiled start of each app
 * with memory-report.cjs preloaded says where its memory goes (heap by space, external, packages
 * loaded). RSS is robust to a busy machine; ready times much less so: the load average is printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { Client, Pool } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { Queue } from 'bullmq';
import { DEV_IDENTITY_HASH_KEY, hubNames } from '@hub/contracts';
import { SchemaMigrator } from '@hub/platform';
import {
  ensureAppBuilds,
  freshId,
  hubCliArgs,
  HUB_PROCESS_ENV,
  sourceMapArgs,
  startAppProcess,
  type AppProcess,
  type HubAppName,
} from '@hub/testing';
import { SAVED_QUERIES_SCHEMA } from '../../apps/query/query-api/src/saved-queries/saved-queries.schema-migrations';
import { nowMs, prepareRequests, prng, refusedByStatus, sendOpenLoop, type PreparedRequest, type Secrets } from '../pipeline/load';

const { values: args } = parseArgs({
  options: {
    'load-seconds': { type: 'string', default: '60' },
    rate: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    idle: { type: 'string', default: '5' },
    settled: { type: 'string', default: '0' },
    'no-breakdown': { type: 'boolean', default: false },
    'no-source': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const LOAD_SECONDS = Number(args['load-seconds']);
const RATE = Number(args.rate);
const ROUNDS = Number(args.rounds);
const IDLE_MS = Number(args.idle) * 1000;
/**
 * `--settled 60`: a second idle sample that long after ready. V8's memory reducer runs some 20–45 s
 * into a quiet spell and gives back what the boot left in the young generation (about 30 MiB in a
 * hub app): the 5 s figure is a process just started, this one a process at rest.
 */
const SETTLED_MS = Number(args.settled) * 1000;
/** Compiled only (`--no-source`): half the starts, for iterating on the compiled apps' cuts. */
const FROMS: readonly From[] = args['no-source'] ? ['compiled'] : ['compiled', 'source'];
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const TENANT = 'bench';
const ROOT = resolve(__dirname, '../..');
/** This run's own folder: the log lines read back (consumer.joined, bench.memory) must be this run's. */
const LOG_DIR = join(ROOT, '.run', 'logs', 'bench-processes', new Date().toISOString().replace(/[:.]/g, '-'));
const HELLO_SOURCE = join(ROOT, 'bench', 'ingest', 'hello-nest.ts');
const HELLO_BUILD = join(ROOT, 'dist', 'bench', 'hello-nest', 'main.js');
const MEMORY_REPORT = join(__dirname, 'memory-report.cjs');
/** The targets of issue #18. */
const TARGET_IDLE_RATIO = 1.5;
const TARGET_READY_MS = 1_500;

/** The apps measured (hub-cli is a command that exits, not a process that serves: not here). */
const APPS = ['ingest-sms', 'ingest-api', 'timeline-projector', 'nba-worker', 'query-api'] as const;
type App = (typeof APPS)[number];
/** Ready for these is the group join, which their ready line precedes. */
const CONSUMERS: ReadonlySet<App> = new Set(['timeline-projector', 'nba-worker']);
type From = 'compiled' | 'source';

const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uptime = (): string =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;

/** VmRSS and VmHWM (the peak) of a live process, in MiB. */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ── what is started ────────────────────────────────────────────────────────────────────────────────

interface Started {
  pid: number;
  /** Spawn to serving (the ready line seen), ms. */
  readyMs: number;
  url: string;
  logFile?: string;
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
const kafka = new Kafka({ clientId: freshId('bench-processes'), brokers: BROKERS, logLevel: logLevel.NOTHING });
const admin = new Client({ connectionString: SERVER_URL });
const namespaces: string[] = [];
const secrets: Secrets = {
  twilioAuthToken: randomBytes(16).toString('hex'),
  twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
  webchatSecret: randomBytes(24).toString('hex'),
};
const apiKey = randomBytes(16).toString('hex');

/** A fresh database and namespace, and the hub's settings on them (those of bench/pipeline). */
async function freshHubEnv(): Promise<NodeJS.ProcessEnv> {
  const ns = freshId('bench-proc').toLowerCase();
  namespaces.push(ns);
  const dbName = `hub_bench_processes_${ns.replace(/[^a-z0-9]/g, '_')}`;
  await admin.query(`create database ${dbName}`);
  cleanups.push(async () => void (await admin.query(`drop database if exists ${dbName} with (force)`)));
  const keyHash = createHash('sha256').update(apiKey).digest('hex');
  const databaseUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).href;
  // Migrated first by the CLI, and the apps only check it (HUB_MIGRATE=check), as production runs them
  // (docs/operations.md, "Schema migrations"): an app that migrates at boot loads umzug to do it.
  const migrated = spawnSync(process.execPath, [...hubCliArgs(), 'migrate', 'up'], {
    cwd: ROOT,
    env: { ...process.env, IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY, DATABASE_URL: databaseUrl, HUB_NAMESPACE: ns, TENANT_ID: TENANT },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (migrated.status !== 0) throw new Error(`hub migrate up failed (${migrated.status}):\n${migrated.stdout}\n${migrated.stderr}`);
  // The query API's own component (its saved queries, which it applies at boot in either mode and
  // `hub migrate` does not know): applied here, as its first boot on the database would have, so
  // every start measured is a restart on a migrated database, not a first boot loading umzug.
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await new SchemaMigrator(pool, [SAVED_QUERIES_SCHEMA]).up();
  } finally {
    await pool.end();
  }
  return {
    DATABASE_URL: databaseUrl,
    HUB_MIGRATE: 'check',
    REDIS_URL,
    KAFKA_BROKERS: BROKERS.join(','),
    HUB_NAMESPACE: ns,
    TENANT_ID: TENANT,
    TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
    TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
    WEBCHAT_SIGNING_SECRET: secrets.webchatSecret,
    HUB_API_KEYS: `${TENANT}:${keyHash}`,
    INGEST_API_KEYS: `bench:${TENANT}:${keyHash}`,
    PORT: '0',
    LOG_LEVEL: 'info',
    NBA_OUTBOUND_EVERY_MS: '0',
    RATE_LIMIT_PER_ADDRESS: '100000000',
    RATE_LIMIT_PER_SOURCE: '100000000',
    RATE_LIMIT_PER_KEY: '100000000',
  };
}

/** The epoch ms of the first log line of `file` whose msg is `msg` (pino's own clock), once it is there. */
async function loggedAt(file: string, msg: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes(`"msg":"${msg}"`)) continue;
      const { time } = JSON.parse(line) as { time: number | string };
      return typeof time === 'number' ? time : Date.parse(time);
    }
    if (Date.now() > deadline) throw new Error(`no ${msg} in ${file} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function startApp(app: App, from: From, env: NodeJS.ProcessEnv, suffix: string): Promise<Started> {
  const previous = process.env['HUB_APPS_FROM'];
  process.env['HUB_APPS_FROM'] = from === 'compiled' ? 'dist' : 'source';
  const spawnedAt = Date.now();
  const t0 = performance.now();
  let started: Promise<AppProcess>;
  try {
    started = startAppProcess(app as HubAppName, env, { logDir: LOG_DIR, logSuffix: suffix, timeoutMs: 120_000 });
  } finally {
    if (previous === undefined) delete process.env['HUB_APPS_FROM'];
    else process.env['HUB_APPS_FROM'] = previous;
  }
  const p = await started;
  let readyMs = performance.now() - t0;
  if (CONSUMERS.has(app)) readyMs = Math.max(readyMs, (await loggedAt(p.logFile, 'consumer.joined')) - spawnedAt);
  return { pid: p.child.pid!, readyMs, url: p.url ?? '', logFile: p.logFile, stop: () => p.stop() };
}

/** The hello, compiled (dist/bench/hello-nest/main.js) or from source, ready on its `"msg":"ready"` line. */
function startHello(from: From): Promise<Started> {
  const program = from === 'compiled' ? [...sourceMapArgs(), HELLO_BUILD] : ['-r', '@swc-node/register', HELLO_SOURCE];
  const t0 = performance.now();
  // The same flags and environment as the apps (startAppProcess), so the processes compare.
  const child: ChildProcess = spawn(
    process.execPath,
    [`--max-semi-space-size=${process.env['HUB_NODE_SEMI_SPACE_MB'] ?? '64'}`, ...program],
    { cwd: ROOT, env: { ...HUB_PROCESS_ENV, ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((ok, fail) => {
    let buffer = '';
    child.stdout!.on('data', (b: Buffer) => {
      buffer += b.toString();
      const line = buffer.split('\n').find((l) => l.includes('"ready"'));
      if (!line) return;
      buffer = '';
      ok({
        pid: child.pid!,
        readyMs: performance.now() - t0,
        url: (JSON.parse(line) as { url: string }).url,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => fail(new Error(`hello (${from}) exited ${code}`)));
  });
}

/** Compile the hello as the apps are: esbuild, node_modules external, the workspace's decorator plugin. */
async function buildHello(): Promise<void> {
  const config = require(join(ROOT, 'tools', 'build', 'esbuild.config.cjs')) as Pick<BuildOptions, 'plugins' | 'keepNames'>;
  await build({
    entryPoints: [HELLO_SOURCE],
    outfile: HELLO_BUILD,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    plugins: config.plugins ?? [],
    keepNames: config.keepNames ?? true,
    logLevel: 'warning',
  });
}

// ── the measurements ───────────────────────────────────────────────────────────────────────────────

type Variant = `${App}|${From}` | `hello|${From}`;
interface IdleSample {
  variant: Variant;
  round: number;
  readyMs: number;
  idleRssMb: number;
  /** With --settled: VmRSS that long after ready. */
  settledRssMb?: number;
}
interface LoadSample {
  target: App | 'hello';
  from: From;
  rssAfterMb: number;
  peakMb: number;
  sent: number;
  accepted: number;
  refused: Record<string, number>;
}
interface Breakdown {
  app: App | 'hello';
  report: Record<string, unknown>;
}

async function idleSample(variant: Variant, round: number): Promise<IdleSample> {
  const [target, from] = variant.split('|') as [App | 'hello', From];
  let started: Started;
  if (target === 'hello') started = await startHello(from);
  else started = await startApp(target, from, await freshHubEnv(), `-${from}-r${round}`);
  try {
    await sleep(IDLE_MS);
    const { rssMb } = memoryOf(started.pid);
    let settledRssMb: number | undefined;
    if (SETTLED_MS > IDLE_MS) {
      await sleep(SETTLED_MS - IDLE_MS);
      settledRssMb = memoryOf(started.pid).rssMb;
    }
    const settled = settledRssMb === undefined ? '' : `, after ${SETTLED_MS / 1000} s ${settledRssMb.toFixed(1)} MiB`;
    log(`  ${variant.padEnd(30)} ready ${Math.round(started.readyMs)} ms, idle RSS ${rssMb.toFixed(1)} MiB${settled}`);
    return { variant, round, readyMs: started.readyMs, idleRssMb: rssMb, ...(settledRssMb === undefined ? {} : { settledRssMb }) };
  } finally {
    await started.stop();
  }
}

/** One more compiled start of each, with memory-report.cjs preloaded: where the idle memory goes. */
async function breakdowns(): Promise<Breakdown[]> {
  const out: Breakdown[] = [];
  const preload = { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require ${MEMORY_REPORT}`.trim() };
  for (const app of APPS) {
    const started = await startApp(app, 'compiled', { ...(await freshHubEnv()), ...preload }, '-breakdown');
    try {
      await sleep(IDLE_MS);
      process.kill(started.pid, 'SIGUSR2');
      const deadline = Date.now() + 10_000;
      let line: string | undefined;
      while (!line && Date.now() < deadline) {
        await sleep(100);
        line = readFileSync(started.logFile!, 'utf8')
          .split('\n')
          .find((l) => l.includes('"msg":"bench.memory"'));
      }
      if (line) out.push({ app, report: JSON.parse(line) as Record<string, unknown> });
    } finally {
      await started.stop();
    }
  }
  return out;
}

/** Open loop at RATE for LOAD_SECONDS: the prepared requests to `base`. */
async function load(base: string, requests: readonly PreparedRequest[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const offsetsMs = requests.map((_, i) => (i * 1000) / RATE);
    const outcomes = await sendOpenLoop(agent, base, requests, { start: nowMs() + 100, offsetsMs }, () => undefined);
    return {
      sent: outcomes.length,
      accepted: outcomes.filter((o) => o.status >= 200 && o.status < 300).length,
      refused: refusedByStatus(outcomes),
    };
  } finally {
    agent.destroy();
  }
}

/** The whole hub, one of each app, under signed SMS at RATE into ingest-sms. */
async function hubUnderLoad(from: From): Promise<LoadSample[]> {
  const env = await freshHubEnv();
  const started = await Promise.all(APPS.map(async (app) => [app, await startApp(app, from, env, `-${from}-load`)] as const));
  try {
    await sleep(IDLE_MS);
    const sms = started.find(([app]) => app === 'ingest-sms')![1];
    const { requests } = prepareRequests(
      RATE * LOAD_SECONDS,
      sms.url,
      { population: 1_000, firstNew: 1_000, newShare: 0.1, burstShare: 0.1, webchatShare: 0 },
      secrets,
      randomBytes(4).toString('hex'),
      prng(11),
    );
    log(`  hub (${from}): ${requests.length} signed SMS at ${RATE}/s`);
    const result = await load(sms.url, requests);
    // The backlog behind ingest-sms (recording, deciding) settles a moment after the last answer.
    await sleep(2_000);
    return started.map(([app, s]) => {
      const { rssMb, peakMb } = memoryOf(s.pid);
      return { target: app, from, rssAfterMb: rssMb, peakMb, ...result };
    });
  } finally {
    await Promise.all(started.map(([, s]) => s.stop()));
    const names = hubNames(env['HUB_NAMESPACE']!);
    const connection = { url: REDIS_URL };
    for (const name of [names.queues.nbaDecide, names.queues.nbaFollowUp]) {
      const q = new Queue(name, { connection });
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
  }
}

async function helloUnderLoad(): Promise<LoadSample> {
  const hello = await startHello('compiled');
  try {
    await sleep(IDLE_MS);
    const { requests } = prepareRequests(
      RATE * LOAD_SECONDS,
      hello.url,
      { population: 1_000, firstNew: 1_000, newShare: 0.1, burstShare: 0.1, webchatShare: 0 },
      secrets,
      randomBytes(4).toString('hex'),
      prng(11),
    );
    const asHello = requests.map((r) => ({ ...r, path: '/hello' }));
    log(`  hello: ${asHello.length} POST /hello at ${RATE}/s`);
    const result = await load(hello.url, asHello);
    await sleep(2_000);
    const { rssMb, peakMb } = memoryOf(hello.pid);
    return { target: 'hello', from: 'compiled', rssAfterMb: rssMb, peakMb, ...result };
  } finally {
    await hello.stop();
  }
}

// ── the report ─────────────────────────────────────────────────────────────────────────────────────

const f1 = (n: number) => n.toFixed(1);
const ok = (pass: boolean) => (pass ? '✓' : '✗');

function report(idle: IdleSample[], loaded: LoadSample[]) {
  const med = (variant: Variant, key: 'readyMs' | 'idleRssMb' | 'settledRssMb') =>
    median(idle.filter((s) => s.variant === variant).map((s) => s[key] ?? NaN));
  const helloSettled = med('hello|compiled', 'settledRssMb');
  /** The settled figure and its ratio, with --settled. */
  const settledOf = (variant: Variant) => {
    if (SETTLED_MS <= IDLE_MS) return {};
    const rss = med(variant, 'settledRssMb');
    return { [`RSS at ${SETTLED_MS / 1000} s MiB`]: f1(rss), [`at ${SETTLED_MS / 1000} s × hello`]: (rss / helloSettled).toFixed(2) };
  };
  const helloRss = med('hello|compiled', 'idleRssMb');
  const helloReady = med('hello|compiled', 'readyMs');
  const idleRows = FROMS.map((from) => {
    const rss = med(`hello|${from}`, 'idleRssMb');
    const ready = med(`hello|${from}`, 'readyMs');
    return {
      process: `hello (${from})`,
      'idle RSS MiB': f1(rss),
      '× hello': (rss / helloRss).toFixed(2),
      'ready ms': Math.round(ready),
      'ready × hello': (ready / helloReady).toFixed(2),
      ...settledOf(`hello|${from}`),
      targets: '',
    };
  });
  for (const app of APPS)
    for (const from of FROMS) {
      const rss = med(`${app}|${from}`, 'idleRssMb');
      const ready = med(`${app}|${from}`, 'readyMs');
      idleRows.push({
        process: `${app} (${from})`,
        'idle RSS MiB': f1(rss),
        '× hello': (rss / helloRss).toFixed(2),
        'ready ms': Math.round(ready),
        'ready × hello': (ready / helloReady).toFixed(2),
        ...settledOf(`${app}|${from}`),
        targets: `RSS ≤ ${TARGET_IDLE_RATIO}× ${ok(rss <= TARGET_IDLE_RATIO * helloRss)}, ready ≤ ${TARGET_READY_MS} ms ${ok(ready <= TARGET_READY_MS)}`,
      });
    }
  const hello = loaded.find((l) => l.target === 'hello');
  const loadRows = loaded.map((l) => ({
    process: `${l.target} (${l.from})`,
    'RSS after load MiB': f1(l.rssAfterMb),
    '× hello': hello ? (l.rssAfterMb / hello.rssAfterMb).toFixed(2) : '',
    'peak MiB': f1(l.peakMb),
    'peak × hello': hello ? (l.peakMb / hello.peakMb).toFixed(2) : '',
    'accepted/sent': `${l.accepted}/${l.sent}`,
  }));
  return { idleRows, loadRows };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadBefore = uptime();
  log(`building (nx run-many -t build, cached) and compiling the hello; ${loadBefore}`);
  ensureAppBuilds();
  await buildHello();
  mkdirSync(LOG_DIR, { recursive: true });
  await admin.connect();
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  cleanups.push(async () => {
    const ours = (await kafkaAdmin.listTopics()).filter((t) => namespaces.some((ns) => t.startsWith(`${ns}.`)));
    if (ours.length > 0) await kafkaAdmin.deleteTopics({ topics: ours }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  });

  const variants: Variant[] = [
    ...FROMS.map((from): Variant => `hello|${from}`),
    ...APPS.flatMap((a) => FROMS.map((from): Variant => `${a}|${from}`)),
  ];
  const idle: IdleSample[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS}: each process alone, ready and idle RSS after ${IDLE_MS / 1000} s (${uptime()})`);
    for (const v of round % 2 ? variants : [...variants].reverse()) idle.push(await idleSample(v, round));
  }
  log(`under load: ${LOAD_SECONDS} s at ${RATE}/s (${uptime()})`);
  const loaded: LoadSample[] = [await helloUnderLoad()];
  for (const from of FROMS) loaded.push(...(await hubUnderLoad(from)));
  const memory = args['no-breakdown'] ? [] : await breakdowns();
  const loadAfter = uptime();

  const { idleRows, loadRows } = report(idle, loaded);
  console.log(`\nbench/processes — ${startedAt}, ${ROUNDS} rounds (medians), idle ${IDLE_MS / 1000} s; ${loadBefore} → ${loadAfter}`);
  console.table(idleRows);
  console.log(`\nUnder load: ${LOAD_SECONDS} s of signed SMS at ${RATE}/s into ingest-sms (the hello: POST /hello at the same rate)`);
  console.table(loadRows);
  for (const b of memory) {
    const r = b.report as {
      rssMb: number;
      heapUsedMb: number;
      heapTotalMb: number;
      externalMb: number;
      spacesMb: Record<string, number>;
      modules: number;
      packages: { name: string; modules: number; sourceKb: number }[];
    };
    console.log(
      `${b.app}: rss ${r.rssMb} MiB, heap ${r.heapUsedMb}/${r.heapTotalMb} MiB (code ${r.spacesMb['code_space']}, old ${r.spacesMb['old_space']}, large ${r.spacesMb['large_object_space']}), external ${r.externalMb} MiB; ${r.modules} modules, largest: ${r.packages
        .slice(0, 8)
        .map((p) => `${p.name} ${p.sourceKb} kB/${p.modules}`)
        .join(', ')}`,
    );
  }
  if (args.json)
    writeFileSync(args.json, JSON.stringify({ startedAt, loadBefore, loadAfter, args, idle, loaded, memory, idleRows, loadRows }, null, 2));
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    await admin.end().catch(() => undefined);
  });
