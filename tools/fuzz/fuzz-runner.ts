import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { DEV_IDENTITY_HASH_KEY, hubNames } from '@hub/contracts';
import { parseJsonBody, type ChannelAdapter } from '@hub/channels-core';
import { CONFORMANCE_BASE_URL, runChannelPipeline, type ChannelTestSetup } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { createKafka, ensureTopics, hubTopicSpecs } from '@hub/messaging';
import { startIngestApp } from '@hub/ingest';
import { sha256Hex, startIngestApiApp } from '@hub/ingest-api';
import { mutationList, type Mutation } from './mutations';
import { FUZZ_API_KEY, FUZZ_API_SOURCE, fuzzTargets, type FuzzAppId, type FuzzRequest, type FuzzTarget } from './fuzz-targets';

/**
 * The fuzz campaign (issue #15 item 2): seeded, property-based mutations of every channel's recorded
 * payloads and of the generic API's bodies, each correctly signed, sent in-process (Fastify `inject`)
 * to the real ingestion apps — real app modules, validation and a real Kafka publisher on topics of a
 * fresh namespace. The property, for every payload:
 *
 *   - the answer is 2xx, or a 4xx whose body names the problem (`error` and the failing `fields`, a
 *     `reason` or the limit): never a 5xx, never a 401 (the campaign signs correctly), never a
 *     rejection that does not say why;
 *   - no crash: no unhandled rejection or uncaught exception while it runs;
 *   - nothing half-recorded: per app, the messages that reached the interactions and dead-letter
 *     topics are exactly those the 2xx answers account for (so a 4xx published nothing).
 */

export interface FuzzOptions {
  seed: number;
  /** Payloads in all, spread evenly over the targets. */
  runs: number;
  /** The apps to fuzz (channel ids and `'api'`); all by default. */
  channels?: readonly FuzzAppId[];
  /** Requests in flight per app (default 8). */
  concurrency?: number;
  /** Apps fuzzed at the same time, each on topics of its own (default 2). */
  parallelApps?: number;
  kafkaBrokers?: readonly string[];
  /** Progress lines (one per app); silent by default. */
  log?: (line: string) => void;
  /** Findings to shrink (greedy: drop mutations while it still fails); default 5. */
  shrink?: number;
}

export interface FuzzCase {
  /** Position in the seeded sequence: with the seed, replays this payload. */
  index: number;
  target: string;
  base: string;
  mutations: Mutation[];
}

export interface FuzzFinding {
  case: FuzzCase;
  status: number;
  problem: string;
  /** The response body (first 500 characters). */
  response: string;
  /** The request as sent: path, headers, size and the first 500 bytes of the body. */
  request: { path: string; bytes: number; head: string };
}

export interface TargetTally {
  payloads: number;
  accepted: number;
  rejected: number;
  serverErrors: number;
  byStatus: Record<string, number>;
}

export interface AppLedger {
  app: FuzzAppId;
  expected: { interactions: number; deadLetters: number };
  published: { interactions: number; deadLetters: number };
  /**
   * 503/429 answers from the event bus, retried. A publish that timed out may still land (kafkajs
   * #598, issue #15 item 1): then the retry publishes the same event ids again (deduplicated
   * downstream), and the ledger can only say published ≥ expected.
   */
  busRefusals: number;
}

/** Exact when the bus refused nothing; at least what the 2xx answers account for otherwise. */
export function ledgerHolds(l: AppLedger): boolean {
  if (l.busRefusals === 0)
    return l.expected.interactions === l.published.interactions && l.expected.deadLetters === l.published.deadLetters;
  return l.published.interactions >= l.expected.interactions && l.published.deadLetters >= l.expected.deadLetters;
}

export interface FuzzReport {
  seed: number;
  runs: number;
  elapsedMs: number;
  byStatus: Record<string, number>;
  byTarget: Record<string, TargetTally>;
  ledgers: AppLedger[];
  /** The first 200 findings (`findingsTotal` counts them all). */
  findings: FuzzFinding[];
  findingsTotal: number;
  crashes: string[];
  /** True when the property held for every payload. */
  ok: boolean;
}

interface Expectation {
  interactions: number;
  deadLetters: number;
}

interface Verdict {
  status: number;
  problem?: string;
  response: string;
  expect: Expectation;
}

const CASE_CHUNK = 2_000;
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

export interface GeneratedCase {
  index: number;
  target: FuzzTarget;
  baseIndex: number;
  mutations: Mutation[];
}

/**
 * The seeded cases: case `index` goes to target `index % targets.length` (every target its even
 * share), and each target's cases come from its own seeded stream, generated a chunk at a time — so
 * an app generates only its own cases, a 100,000-payload run stays small in memory, and a case
 * depends only on the seed, the targets and its index.
 */
export function* fuzzCases(
  targets: readonly FuzzTarget[],
  seed: number,
  runs: number,
  only: (t: FuzzTarget) => boolean = () => true,
): Generator<GeneratedCase> {
  const arb = fc.record({ base: fc.nat(), mutations: mutationList });
  const streams = targets
    .map((target, t) => ({ target, t }))
    .filter(({ target }) => only(target))
    .map(({ target, t }) =>
      (function* (): Generator<GeneratedCase> {
        const count = Math.max(0, Math.ceil((runs - t) / targets.length));
        for (let chunk = 0; chunk * CASE_CHUNK < count; chunk++) {
          const n = Math.min(CASE_CHUNK, count - chunk * CASE_CHUNK);
          const sample = fc.sample(arb, { seed: (Math.imul(seed, 31) + t * 7_919 + chunk * 104_729) | 0, numRuns: n });
          for (let i = 0; i < sample.length; i++) {
            const k = chunk * CASE_CHUNK + i;
            yield {
              index: t + k * targets.length,
              target,
              baseIndex: sample[i]!.base % target.bases.length,
              mutations: sample[i]!.mutations,
            };
          }
        }
      })(),
    );
  // Interleaved, so an app's requests in flight mix its providers.
  let live = streams;
  while (live.length > 0) {
    const next: typeof live = [];
    for (const stream of live) {
      const r = stream.next();
      if (!r.done) {
        yield r.value;
        next.push(stream);
      }
    }
    live = next;
  }
}

/**
 * Does a 4xx body name the problem? `error` plus the failing fields (each named) — the webhooks'
 * `fields`, or the generic API's `problems` (each a path, a code and a message) — a reason, or the
 * limit it broke.
 */
export function namesTheProblem(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  if (!nonEmpty(b['error'])) return false;
  const fields = b['fields'];
  // A field is named by its path ('' when the offending key is the empty string) and said what is wrong with it.
  const named = (f: unknown) => {
    const { field, messages } = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    return typeof field === 'string' && (field.length > 0 || (Array.isArray(messages) && messages.some(nonEmpty)));
  };
  if (Array.isArray(fields) && fields.length > 0) return fields.every(named);
  const problems = b['problems'];
  const located = (p: unknown) => {
    const { path, code, message } = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    return typeof path === 'string' && nonEmpty(code) && nonEmpty(message);
  };
  if (Array.isArray(problems) && problems.length > 0) return problems.every(located);
  if (nonEmpty(b['reason'])) return true;
  return ['limitBytes', 'max', 'limit'].some((k) => typeof b[k] === 'number');
}

/** The running apps of one campaign, addressed by app id. */
interface FuzzApp {
  id: FuzzAppId;
  fastify: FastifyInstance;
  /** Offline adapters, for answers that do not list what was published (Firehose's acknowledgement). */
  adapters: Map<string, ChannelAdapter>;
  close(): Promise<void>;
}

async function bootApp(id: FuzzAppId, base: Record<string, string>, tenant: string): Promise<FuzzApp> {
  if (id === 'api') {
    const api = await startIngestApiApp({
      ...base,
      INGEST_API_KEYS: `${FUZZ_API_SOURCE}:${tenant}:${sha256Hex(FUZZ_API_KEY)}`,
      INGEST_RAW_ENABLED: 'false',
    });
    return { id, fastify: api.app.getHttpAdapter().getInstance() as FastifyInstance, adapters: new Map(), close: api.close };
  }
  const setups: readonly ChannelTestSetup<object>[] = CHANNEL_TEST_SETUPS[id];
  const env = Object.assign({ ...base, TENANT_ID: tenant, PUBLIC_BASE_URL: CONFORMANCE_BASE_URL }, ...setups.map((s) => s.env)) as Record<
    string,
    string
  >;
  const running = await startIngestApp(id, env);
  const adapters = new Map(setups.map((s) => [s.definition.manifest.route.path, s.definition.create(s.config)]));
  return { id, fastify: running.app.getHttpAdapter().getInstance() as FastifyInstance, adapters, close: running.close };
}

/** What a 2xx answer says was published: the events it lists, and the request itself when dead-lettered. */
async function expectationOf(app: FuzzApp, request: FuzzRequest, body: Record<string, unknown>): Promise<Expectation | string> {
  if (app.id === 'api') {
    if (typeof body['eventId'] === 'string') return { interactions: 1, deadLetters: 0 };
    if (typeof body['accepted'] === 'number') return { interactions: body['accepted'], deadLetters: 0 };
    return 'a 2xx from ingest-api that lists no event';
  }
  const ids = Array.isArray(body['eventIds']) ? body['eventIds'].length : 0;
  if (body['status'] === 'accepted') return { interactions: ids, deadLetters: 0 };
  if (body['status'] === 'dead_lettered') return { interactions: ids, deadLetters: 1 };
  // An acknowledgement in the provider's own shape: what the pipeline makes of the same request.
  const adapter = app.adapters.get(request.path.split('?')[0]!);
  if (!adapter) return 'a 2xx in an unknown shape';
  const parsedJson = request.headers['content-type']?.startsWith('application/json') ? parseJsonBody(request.body) : undefined;
  const outcome = await runChannelPipeline(adapter, {
    method: 'POST',
    url: `${CONFORMANCE_BASE_URL}${request.path}`,
    headers: request.headers,
    rawBody: request.body,
    body: parsedJson ? (parsedJson.ok ? parsedJson.value : undefined) : request.body,
  });
  if (outcome.kind === 'accepted') return { interactions: outcome.events.length, deadLetters: 0 };
  if (outcome.kind === 'unmappable') return { interactions: outcome.error.mapped.length, deadLetters: 1 };
  return `answered 2xx, but the pipeline says ${outcome.kind}`;
}

/** A 503 or 429 with Retry-After: the bus refused or timed out; the provider would send the request again. */
const busRefusal = (res: { statusCode: number; headers: Record<string, unknown> }) =>
  (res.statusCode === 503 || res.statusCode === 429) && res.headers['retry-after'] !== undefined;

async function judge(app: FuzzApp, request: FuzzRequest, refusals?: { count: number }): Promise<Verdict> {
  // A refusal by the event bus (Kafka slow or down: the hub's documented backpressure, not a parser
  // failure) is retried as a provider would, for up to a minute; the request itself is unchanged.
  const deadline = Date.now() + 60_000;
  let res = await app.fastify.inject({ method: 'POST', ...requestOf(request) });
  while (busRefusal(res) && Date.now() < deadline) {
    if (refusals) refusals.count++;
    await new Promise((r) => setTimeout(r, 500));
    res = await app.fastify.inject({ method: 'POST', ...requestOf(request) });
  }
  const status = res.statusCode;
  const response = res.body.slice(0, 500);
  const none = { interactions: 0, deadLetters: 0 };
  let body: unknown;
  try {
    body = res.body.length > 0 ? JSON.parse(res.body) : undefined;
  } catch {
    body = undefined;
  }
  if (status >= 500) return { status, problem: `server error ${status}`, response, expect: none };
  if (status === 401 || status === 403)
    return {
      status,
      problem: `refused as unauthenticated (${status}): the campaign signed it, so the payload never reached the parser`,
      response,
      expect: none,
    };
  if (status >= 400)
    return namesTheProblem(body)
      ? { status, response, expect: none }
      : { status, problem: `a ${status} that does not name the problem`, response, expect: none };
  if (status >= 200 && status < 300) {
    const expect = await expectationOf(app, request, (body ?? {}) as Record<string, unknown>);
    return typeof expect === 'string' ? { status, problem: expect, response, expect: none } : { status, response, expect };
  }
  return { status, problem: `unexpected status ${status}`, response, expect: none };
}

/**
 * Messages on the app's interactions and dead-letter topics. A fresh admin client each time: one kept
 * through a long run sits idle past the broker's `connections.max.idle.ms` and finds its connection closed.
 */
async function publishedCounts(brokers: readonly string[], namespace: string): Promise<{ interactions: number; deadLetters: number }> {
  const names = hubNames(namespace);
  const admin = new Kafka({ clientId: `${namespace}-count`, brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const sum = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    return { interactions: await sum(names.topics.interactions), deadLetters: await sum(names.topics.deadLetter) };
  } finally {
    await admin.disconnect();
  }
}

async function mapLimit<T>(items: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const iterator = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as
    | AsyncIterator<T>
    | Iterator<T>;
  let done = false;
  const worker = async (): Promise<void> => {
    while (!done) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        return;
      }
      await fn(next.value);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/**
 * The first publishes of a fresh producer on fresh topics can outlast the send timeout (partition
 * leaders still settling) and answer 503: an unmutated valid payload is sent until one is taken, so
 * the campaign measures the parsers, not the broker's start. Its messages land before the ledger's
 * starting point.
 */
async function warmUp(app: FuzzApp, targets: readonly FuzzTarget[], timeoutMs = 60_000): Promise<void> {
  const target = targets[0]!;
  const base = target.bases.find((b) => b.name.startsWith('valid/')) ?? target.bases[0]!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.fastify.inject({ method: 'POST', ...requestOf(target.build(base.value, [], Date.now())) });
    if (res.statusCode >= 200 && res.statusCode < 300) return;
    if (Date.now() > deadline)
      throw new Error(
        `fuzz: ${app.id} did not take its warm-up payload ${base.name} within ${timeoutMs} ms (last answer ${res.statusCode} ${res.body.slice(0, 200)})`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

const requestOf = (r: FuzzRequest) => ({ url: r.path, headers: r.headers, payload: r.body });

/** Greedy shrink: drop each mutation while the request still breaks the property the same way. */
async function shrink(app: FuzzApp, target: FuzzTarget, baseIndex: number, mutations: Mutation[], problem: string): Promise<Mutation[]> {
  let current = mutations;
  for (let i = current.length - 1; i >= 0 && current.length > 1; i--) {
    const fewer = current.filter((_, j) => j !== i);
    const verdict = await judge(app, target.build(target.bases[baseIndex]!.value, fewer, Date.now()));
    if (verdict.problem !== undefined && verdict.problem.split(' ')[0] === problem.split(' ')[0]) current = fewer;
  }
  return current;
}

/** Runs the campaign; resolves with the report (it does not throw on a finding: read `ok`). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const brokers = [...(options.kafkaBrokers ?? (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','))];
  const namespace = `fuzz${options.seed >>> 0}x${Date.now().toString(36)}`;
  const tenant = `fuzz-tenant-${options.seed >>> 0}`;
  const targets = fuzzTargets(options.channels);
  // The slowest app (raw MIME and multipart parsing) first, so the others run beside it.
  const apps = [...new Set(targets.map((t) => t.app))].sort((a, b) => Number(b === 'email') - Number(a === 'email'));

  const crashes: string[] = [];
  const onCrash = (err: unknown) => crashes.push(String((err as Error)?.stack ?? err));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);

  // A namespace (topics) per app: apps run side by side, and each ledger counts only its own app.
  const namespaceOf = (app: FuzzAppId) => `${namespace}-${app}`;
  const kafka = createKafka({ brokers, clientId: `${namespace}-admin` });
  for (const app of apps) await ensureTopics(kafka, hubTopicSpecs(hubNames(namespaceOf(app))));

  // The published development identity key, as every test and bench app gets (the apps refuse to boot without one outside development and test).
  const baseEnv = {
    KAFKA_BROKERS: brokers.join(','),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY,
  };
  const byStatus: Record<string, number> = {};
  const byTarget: Record<string, TargetTally> = Object.fromEntries(
    targets.map((t) => [t.name, { payloads: 0, accepted: 0, rejected: 0, serverErrors: 0, byStatus: {} }]),
  );
  const ledgers: AppLedger[] = [];
  const findings: FuzzFinding[] = [];
  let findingsTotal = 0;
  const toShrink: { app: FuzzApp; target: FuzzTarget; baseIndex: number; finding: FuzzFinding }[] = [];

  // A line a minute on long runs: what was sent so far.
  const progress = setInterval(() => {
    const sent = Object.values(byTarget).reduce((n, t) => n + t.payloads, 0);
    log(
      `fuzz progress: ${sent}/${options.runs} payloads in ${((Date.now() - started) / 1000).toFixed(0)} s; by status ${JSON.stringify(byStatus)}; findings ${findingsTotal}, crashes ${crashes.length}`,
    );
  }, 60_000);
  progress.unref();
  try {
    await mapLimit(apps, options.parallelApps ?? 2, async (appId) => {
      const appTargets = targets.filter((t) => t.app === appId);
      const app = await bootApp(appId, { ...baseEnv, HUB_NAMESPACE: namespaceOf(appId) }, tenant);
      try {
        await warmUp(app, appTargets);
        const before = await publishedCounts(brokers, namespaceOf(appId));
        const expected = { interactions: 0, deadLetters: 0 };
        const refusals = { count: 0 };
        const appStarted = Date.now();
        let sent = 0;
        // The campaign's cases for this app, in the seeded order.
        const cases = fuzzCases(targets, options.seed, options.runs, (t) => t.app === appId);
        await mapLimit(cases, options.concurrency ?? 8, async ({ index, target, baseIndex, mutations }) => {
          const base = target.bases[baseIndex]!;
          const request = target.build(base.value, mutations, Date.now());
          const verdict = await judge(app, request, refusals);
          sent++;
          const tally = byTarget[target.name]!;
          tally.payloads++;
          tally.byStatus[verdict.status] = (tally.byStatus[verdict.status] ?? 0) + 1;
          byStatus[verdict.status] = (byStatus[verdict.status] ?? 0) + 1;
          if (verdict.status >= 500) tally.serverErrors++;
          else if (verdict.status >= 400) tally.rejected++;
          else tally.accepted++;
          expected.interactions += verdict.expect.interactions;
          expected.deadLetters += verdict.expect.deadLetters;
          if (verdict.problem !== undefined) {
            const finding: FuzzFinding = {
              case: { index, target: target.name, base: base.name, mutations },
              status: verdict.status,
              problem: verdict.problem,
              response: verdict.response,
              request: { path: request.path, bytes: request.body.length, head: request.body.subarray(0, 500).toString('utf8') },
            };
            findingsTotal++;
            if (findings.length < 200) findings.push(finding);
            if (
              toShrink.length < (options.shrink ?? 5) &&
              !toShrink.some((s) => s.finding.case.target === target.name && s.finding.problem === verdict.problem)
            ) {
              toShrink.push({ app, target, baseIndex, finding });
            }
          }
        });
        const after = await publishedCounts(brokers, namespaceOf(appId));
        const published = { interactions: after.interactions - before.interactions, deadLetters: after.deadLetters - before.deadLetters };
        ledgers.push({ app: appId, expected, published, busRefusals: refusals.count });
        log(
          `fuzz ${appId}: ${sent} payloads in ${((Date.now() - appStarted) / 1000).toFixed(1)} s; published ${published.interactions}/${expected.interactions} interactions, ${published.deadLetters}/${expected.deadLetters} dead letters`,
        );
        for (const s of toShrink.filter((x) => x.app === app))
          s.finding.case.mutations = await shrink(app, s.target, s.baseIndex, s.finding.case.mutations, s.finding.problem);
      } finally {
        await app.close();
      }
    });
  } finally {
    clearInterval(progress);
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  }

  const ledgerOk = ledgers.every(ledgerHolds);
  return {
    seed: options.seed,
    runs: options.runs,
    elapsedMs: Date.now() - started,
    byStatus,
    byTarget,
    ledgers,
    findings,
    findingsTotal,
    crashes,
    ok: findingsTotal === 0 && crashes.length === 0 && ledgerOk,
  };
}

/** The report as a few lines: totals, per target, the ledgers, and the first findings with how to replay them. */
export function formatFuzzReport(report: FuzzReport, maxFindings = 10): string {
  const total = Object.values(report.byTarget).reduce((n, t) => n + t.payloads, 0);
  const sum = (f: (t: TargetTally) => number) => Object.values(report.byTarget).reduce((n, t) => n + f(t), 0);
  const lines = [
    `fuzz seed=${report.seed} payloads=${total} time=${(report.elapsedMs / 1000).toFixed(1)}s 2xx=${sum((t) => t.accepted)} 4xx=${sum((t) => t.rejected)} 5xx=${sum((t) => t.serverErrors)} findings=${report.findingsTotal} crashes=${report.crashes.length} → ${report.ok ? 'PASS' : 'FAIL'}`,
    `  by status: ${Object.entries(report.byStatus)
      .sort()
      .map(([s, n]) => `${s}=${n}`)
      .join(' ')}`,
    ...Object.entries(report.byTarget).map(
      ([name, t]) =>
        `  ${name.padEnd(24)} ${String(t.payloads).padStart(7)} payloads  2xx=${t.accepted} 4xx=${t.rejected} 5xx=${t.serverErrors}`,
    ),
    ...report.ledgers.map(
      (l) =>
        `  ledger ${String(l.app).padEnd(10)} interactions ${l.published.interactions}/${l.expected.interactions} dead letters ${l.published.deadLetters}/${l.expected.deadLetters}${l.busRefusals ? ` (${l.busRefusals} bus refusals retried: at least)` : ''}${ledgerHolds(l) ? '' : '  ← MISMATCH: something was published that no 2xx accounts for (or the reverse)'}`,
    ),
    ...report.findings
      .slice(0, maxFindings)
      .map(
        (f) =>
          `  FINDING ${f.problem} — seed ${report.seed}, case #${f.case.index}, ${f.case.target} from ${f.case.base}\n    mutations: ${JSON.stringify(f.case.mutations).slice(0, 1_500)}\n    request: POST ${f.request.path} (${f.request.bytes} bytes) ${JSON.stringify(f.request.head.slice(0, 300))}\n    response: ${f.response}`,
      ),
    ...report.crashes.slice(0, 5).map((c) => `  CRASH ${c.slice(0, 1_000)}`),
  ];
  return lines.join('\n');
}
