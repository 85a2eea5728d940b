/*
 * One run of the harness: boot the hub once, then per scenario drive the load, inject the fault a
 * third of the way in, let the hub settle and ask the oracle.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubAppName } from '@hub/testing';
import { DemoDatabase } from '../demo/measure';
import { FaultHub } from './hub';
import { runLoad } from './load';
import { judge, rssBaseline, settle, type Check, type Verdict } from './oracle';
import type { Fault, FaultOutcome } from './scenarios';

export interface RunOptions {
  scenarios: readonly Fault[];
  rate: number;
  seconds: number;
  seed: number;
  /** How long the hub may take to settle after a scenario. */
  settleSeconds: number;
  logDir: string;
  log(line: string): void;
  /** SIGINT/SIGTERM of this process stop the hub first (the CLI; not under Jest). */
  stopOnSignals?: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  rate: number;
  seconds: number;
  sent: number;
  faults: number;
  acknowledged: number;
  refused: Record<string, number>;
  retried: number;
  settledMs?: number;
  verdict: Verdict;
}

/** The apps of the demo's topology a run needs: the load's two ingestion apps, the core, and what its scenarios add. */
export function appsFor(scenarios: readonly Fault[]): HubAppName[] {
  const core: HubAppName[] = ['timeline-projector', 'ingest-sms', 'ingest-webchat', 'nba-worker', 'query-api'];
  return [...new Set([...core, ...scenarios.flatMap((s) => s.needs ?? [])])];
}

/** The settings the run's scenarios give the apps (`Fault.env`), each on top of the previous one's. */
export function envFor(scenarios: readonly Fault[]): (app: HubAppName, base: NodeJS.ProcessEnv) => NodeJS.ProcessEnv {
  return (app, base) => scenarios.reduce<NodeJS.ProcessEnv>((env, s) => ({ ...env, ...s.env?.(app, env) }), base);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runScenario(hub: FaultHub, db: DemoDatabase, fault: Fault, o: RunOptions): Promise<ScenarioResult> {
  const tag = `${fault.id.toLowerCase()}${hub.ns.slice(-6)}`;
  const log = (line: string) => o.log(`${fault.id}: ${line}`);
  const baseline = rssBaseline(hub);
  const queues = new QueueSampler(hub);
  const loading = runLoad(hub, { rate: o.rate, seconds: o.seconds, seed: o.seed, tag });
  // Processes started during the scenario are measured from their start.
  const sampler = setInterval(() => rssBaseline(hub, baseline), 200);
  queues.start();
  let outcome: FaultOutcome | undefined;
  let injectFailure: unknown;
  try {
    await sleep((o.seconds * 1000) / 3);
    outcome = await fault.inject(hub, { seconds: o.seconds, tag, log, sleep });
  } catch (err) {
    injectFailure = err;
  }
  // A failed injection still lets the load finish first: its requests are in flight.
  const load = await loading;
  clearInterval(sampler);
  rssBaseline(hub, baseline);
  log(
    `load done: ${load.sent} sent, ${load.acknowledged.length} acknowledged, ${load.retried} retries (first attempts refused: ${JSON.stringify(load.firstRefused)}), refused in the end ${JSON.stringify(load.refused)}`,
  );
  if (outcome === undefined)
    throw injectFailure instanceof Error ? injectFailure : new Error(`${fault.id}: the injection failed: ${String(injectFailure)}`);
  const acknowledged = [...load.acknowledged, ...(outcome.acknowledged ?? [])];
  writeFileSync(join(o.logDir, `acknowledged-${fault.id}.txt`), `${acknowledged.join('\n')}\n`);
  const settledMs = await settle(hub, db, acknowledged, o.settleSeconds * 1000);
  log(settledMs === undefined ? `not settled after ${o.settleSeconds} s` : `settled in ${(settledMs / 1000).toFixed(1)} s`);
  await queues.stop();
  const extra: Check[] = [queues.check(), ...(outcome.checks ? await outcome.checks(hub) : [])];
  const verdict = await judge(hub, db, acknowledged, baseline, extra);
  for (const c of verdict.checks) log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return {
    id: fault.id,
    title: fault.title,
    rate: o.rate,
    seconds: o.seconds,
    sent: load.sent,
    faults: outcome.faults,
    acknowledged: new Set(acknowledged).size,
    refused: load.refused,
    retried: load.retried,
    ...(settledMs !== undefined ? { settledMs } : {}),
    verdict,
  };
}

/** What a scenario needs of the hub's boot: the shared broker, a broker of its own, or that and proxies (F11). */
export function hubKindOf(fault: Fault): 'shared' | 'own' | 'proxied' {
  return fault.hub?.proxied ? 'proxied' : (fault.hub?.kafka ?? 'shared');
}

/**
 * Boot, run every scenario in order on the same hub, stop everything. Scenarios that need a hub
 * booted otherwise (a broker of its own, proxies) get a hub of their kind, one per kind.
 */
export async function runFaults(o: RunOptions, onResult?: (r: ScenarioResult) => void): Promise<ScenarioResult[]> {
  const byKind = new Map<ReturnType<typeof hubKindOf>, Fault[]>();
  for (const f of o.scenarios) byKind.set(hubKindOf(f), [...(byKind.get(hubKindOf(f)) ?? []), f]);
  const results: ScenarioResult[] = [];
  for (const [kind, scenarios] of byKind) results.push(...(await runOnOneHub(kind, { ...o, scenarios }, onResult)));
  return results;
}

async function runOnOneHub(
  kind: ReturnType<typeof hubKindOf>,
  o: RunOptions,
  onResult?: (r: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  mkdirSync(o.logDir, { recursive: true });
  const hub = await FaultHub.boot({
    apps: appsFor(o.scenarios),
    logDir: o.logDir,
    log: o.log,
    env: envFor(o.scenarios),
    ...(kind === 'own' ? { kafka: 'own' as const } : {}),
    ...(kind === 'proxied' ? { proxied: true } : {}),
  });
  const db = new DemoDatabase(hub.database.url);
  const results: ScenarioResult[] = [];
  // Ctrl-C of the command: stop every process and drop what the run created before exiting.
  const interrupted = (signal: NodeJS.Signals) => {
    o.log(`${signal}: stopping the hub`);
    void hub.stop().finally(() => process.exit(130));
  };
  if (o.stopOnSignals) for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, interrupted);
  try {
    for (const fault of o.scenarios) {
      const r = await runScenario(hub, db, fault, o);
      results.push(r);
      onResult?.(r);
    }
  } finally {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.removeListener(s, interrupted);
    await db.pool.end().catch(() => undefined);
    await hub.stop();
  }
  return results;
}

/** `F1 projector SIGKILL  load=100/s×20s faults=2 acknowledged=1987 lost=0 duplicated=0 verdict=PASS` (and what failed). */
export function resultLine(r: ScenarioResult): string {
  const failed = r.verdict.checks.filter((c) => !c.ok);
  return (
    `${r.id} ${r.title}  load=${r.rate}/s×${r.seconds}s faults=${r.faults} acknowledged=${r.acknowledged} lost=${r.verdict.lost} duplicated=${r.verdict.duplicated} ` +
    `verdict=${r.verdict.pass ? 'PASS' : 'FAIL'}${failed.length ? `  (${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')})` : ''}`
  );
}

/** The ingestion apps whose publisher queues in the process (each answers /metrics?format=json with `publisher.queued_bytes` and its bound). */
const QUEUEING_APPS: readonly HubAppName[] = ['ingest-sms', 'ingest-webchat'];

/**
 * Samples every ingestion app's in-process publish queue (its /metrics) every 250 ms through the
 * scenario, load and settle: the oracle's "no in-process queue exceeds its configured bound". An
 * app that is down (killed, restarting) is skipped for that sample.
 */
class QueueSampler {
  private readonly peak = new Map<HubAppName, { bytes: number; maxBytes: number; samples: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly hub: FaultHub) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, 250);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
  }

  check(): Check {
    const seen = [...this.peak].filter(([, p]) => p.samples > 0);
    const over = seen.filter(([, p]) => p.bytes > p.maxBytes);
    const detail = seen.map(([app, p]) => `${app} peak ${p.bytes} B of ${p.maxBytes} B (${p.samples} samples)`).join(', ');
    return {
      name: 'in-process queues within bounds',
      ok: seen.length > 0 && over.length === 0,
      detail: seen.length > 0 ? detail : 'no ingestion app answered /metrics',
    };
  }

  private async sample(): Promise<void> {
    await Promise.all(
      QUEUEING_APPS.filter((app) => this.hub.has(app)).map(async (app) => {
        try {
          const res = await fetch(`${this.hub.urlOf(app)}/metrics?format=json`, { signal: AbortSignal.timeout(2_000) });
          const m = (await res.json()) as Record<string, number>;
          const bytes = m['publisher.queued_bytes'];
          const maxBytes = m['publisher.max_queued_bytes'];
          if (typeof bytes !== 'number' || typeof maxBytes !== 'number') return;
          const p = this.peak.get(app) ?? { bytes: 0, maxBytes, samples: 0 };
          this.peak.set(app, { bytes: Math.max(p.bytes, bytes), maxBytes, samples: p.samples + 1 });
        } catch {
          // Down for the moment (a fault): the next sample asks again.
        }
      }),
    );
  }
}
