/*
 * The oracle: what must hold after any fault, read where the hub keeps it (PostgreSQL's event and
 * read-model tables, Kafka's committed offsets, Redis's queues, /proc), never from the apps' own say.
 */
import { spawn } from 'node:child_process';
import { DEV_IDENTITY_HASH_KEY } from '@hub/contracts';
import { consumerLag } from '../../bench/pipeline/probes';
import { DemoDatabase } from '../demo/measure';
import { hubCliArgs, rssMbOf, TENANT, type FaultHub } from './hub';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verdict {
  lost: number;
  duplicated: number;
  checks: Check[];
  pass: boolean;
}

/** RSS (MB) of each process when the scenario began, or when it started if it started during the scenario. */
export type RssBaseline = Map<number, { app: string; mb: number }>;

export const RSS_GROWTH_LIMIT_MB = 100;

export function rssBaseline(hub: FaultHub, into: RssBaseline = new Map()): RssBaseline {
  for (const i of hub.instances()) {
    if (into.has(i.pid)) continue;
    const mb = rssMbOf(i.pid);
    if (mb !== undefined) into.set(i.pid, { app: i.app, mb });
  }
  return into;
}

/** The consumer groups of the apps running, and the topic each reads. */
function groupsOf(hub: FaultHub): { group: string; topic: string }[] {
  const n = hub.names;
  return [
    { group: n.groups.timelineProjector, topic: n.topics.interactions },
    { group: n.groups.nbaWorker, topic: n.topics.customerEvents },
    ...(hub.has('ingest-api') ? [{ group: n.groups.ingestApiRaw, topic: n.topics.rawInteractions }] : []),
  ];
}

async function lags(hub: FaultHub): Promise<{ group: string; lag: number }[]> {
  return Promise.all(groupsOf(hub).map(async ({ group, topic }) => ({ group, lag: await consumerLag(hub.admin, group, topic) })));
}

/**
 * Wait (polling, up to `timeoutMs`) until the hub is idle: every acknowledged event stored and on a
 * timeline, no consumer lag, no decide job pending, every customer's latest trigger decided. How long
 * that took, or undefined at the deadline (the oracle then says what is left).
 */
export async function settle(
  hub: FaultHub,
  db: DemoDatabase,
  acknowledged: readonly string[],
  timeoutMs: number,
): Promise<number | undefined> {
  const started = Date.now();
  const ids = [...new Set(acknowledged)];
  for (;;) {
    try {
      const [stored, seen, lag, backlog, awaiting] = await Promise.all([
        db.stored(ids),
        db.onTimeline(TENANT, ids),
        lags(hub),
        hub.decideBacklog(),
        db.awaitingDecision(TENANT),
      ]);
      if (stored.size === ids.length && seen.size === ids.length && lag.every((l) => l.lag === 0) && backlog === 0 && awaiting === 0)
        return Date.now() - started;
    } catch {
      // a restarting app, redis coming back: ask again
    }
    if (Date.now() - started > timeoutMs) return undefined;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function rows<T extends object>(hub: FaultHub, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await hub.pool.query<T>(sql, params)).rows;
}

/** `hub replay --diff`: the live timeline against a fresh rebuild from the store (exit 0: no differences). */
async function replayDiff(hub: FaultHub): Promise<Check> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...hubCliArgs(), 'replay', '--diff'], {
      cwd: process.cwd(),
      // The development identity key unless told otherwise, as startAppProcess gives the apps (outside
      // Jest NODE_ENV is unset and the CLI would refuse to start without one).
      env: { IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY, ...process.env, ...hub.envOf('query-api'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout: out, stderr: err });
    });
  });
  let diff: { compared?: { live?: number }; customers?: number; missing?: number; extra?: number; changed?: number } | undefined;
  try {
    diff = (JSON.parse(stdout) as { diff?: typeof diff }).diff;
  } catch {
    diff = undefined;
  }
  const ok = code === 0 && diff !== undefined && (diff.customers ?? 1) === 0;
  const detail = diff
    ? `${diff.compared?.live ?? '?'} live entries compared; ${diff.customers} customers differ (missing ${diff.missing}, extra ${diff.extra}, changed ${diff.changed})`
    : `hub replay --diff exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return { name: 'timeline = rebuild', ok, detail };
}

/** Every check of the oracle, after `settle`. */
export async function judge(
  hub: FaultHub,
  db: DemoDatabase,
  acknowledged: readonly string[],
  baseline: RssBaseline,
  extra: readonly Check[] = [],
): Promise<Verdict> {
  const ids = [...new Set(acknowledged)];
  const checks: Check[] = [];

  // Every acknowledged event in the store exactly once: event ids are unique there, so "twice" is the
  // same provider message recorded under two ids.
  const stored = await db.stored(ids);
  const lost = ids.length - stored.size;
  const onTimeline = await db.onTimeline(TENANT, ids);
  checks.push({ name: 'acknowledged stored', ok: lost === 0, detail: `${stored.size}/${ids.length} stored` });
  checks.push({
    name: 'acknowledged on timeline',
    ok: onTimeline.size === ids.length,
    detail: `${onTimeline.size}/${ids.length} on a timeline`,
  });
  const twice = await rows<{ message: string; n: number }>(
    hub,
    `select data->'provider'->>'messageId' as message, count(*)::int as n from hub_events
      where event_type = 'InteractionRecorded' group by 1 having count(*) > 1`,
  );
  checks.push({
    name: 'interaction recorded once',
    ok: twice.length === 0,
    detail: twice.length === 0 ? 'no provider message recorded twice' : `${twice.length} provider messages recorded more than once`,
  });

  // No decision duplicated: one NextBestActionDecided per customer and trigger (basedOnEventId).
  const decisions = await rows<{ n: number; dup: number }>(
    hub,
    `select count(*)::int as n, coalesce(sum(c - 1), 0)::int as dup from (
       select count(*) as c from hub_events where event_type = 'NextBestActionDecided' group by stream_name, data->>'basedOnEventId') d`,
  );
  const dupDecisions = decisions[0]?.dup ?? 0;
  checks.push({
    name: 'decision once per trigger',
    ok: dupDecisions === 0,
    detail: `${decisions[0]?.n ?? 0} triggers decided, ${dupDecisions} decided again`,
  });
  const awaiting = await db.awaitingDecision(TENANT);
  checks.push({
    name: 'latest trigger decided',
    ok: awaiting === 0,
    detail: `${awaiting} customers without a decision on their latest trigger`,
  });

  // One customer per identity: an identity claimed twice (and never released) is a duplicated customer.
  const claims = await rows<{ n: number }>(
    hub,
    `select count(*)::int as n from (
       select stream_name from hub_events where stream_name like 'identity-%'
        group by stream_name
       having count(*) filter (where event_type = 'IdentityClaimed') - count(*) filter (where event_type = 'IdentityReleased') > 1) s`,
  );
  const dupClaims = claims[0]?.n ?? 0;
  checks.push({ name: 'one customer per identity', ok: dupClaims === 0, detail: `${dupClaims} identities claimed by two customers` });

  checks.push(await replayDiff(hub));

  const lag = await lags(hub);
  checks.push({
    name: 'no partition stuck',
    ok: lag.every((l) => l.lag === 0),
    detail: lag.map((l) => `${l.group.slice(hub.ns.length + 1)} lag ${l.lag}`).join(', '),
  });

  const growth = hub.instances().flatMap((i) => {
    const before = baseline.get(i.pid);
    const now = rssMbOf(i.pid);
    return before && now !== undefined ? [{ app: i.app, grew: now - before.mb, now }] : [];
  });
  const worst = growth.reduce<{ app: string; grew: number; now: number } | undefined>(
    (w, g) => (w === undefined || g.grew > w.grew ? g : w),
    undefined,
  );
  checks.push({
    name: `RSS within ${RSS_GROWTH_LIMIT_MB} MB`,
    ok: growth.every((g) => g.grew <= RSS_GROWTH_LIMIT_MB) && growth.length === hub.instances().length,
    detail: worst
      ? `largest growth ${worst.app} ${worst.grew.toFixed(0)} MB (now ${worst.now.toFixed(0)} MB) over ${growth.length} processes`
      : 'no process measured',
  });

  checks.push(...extra);
  const duplicated = twice.reduce((s, t) => s + t.n - 1, 0) + dupDecisions + dupClaims;
  return { lost, duplicated, checks, pass: checks.every((c) => c.ok) };
}
