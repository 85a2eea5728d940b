/*
 * The hub under test: the demo's topology as real processes (startApps / startAppProcess of
 * @hub/testing), on a database, Kafka namespace and redis-server of its own, with a fixed port per
 * app so a restarted ingestion app answers on the URL the load generator signs for.
 */
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Pool } from 'pg';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { DEV_IDENTITY_HASH_KEY, hubNames, type HubNames } from '@hub/contracts';
import {
  FaultProxy,
  freePort,
  freshDatabase,
  freshId,
  startAppProcess,
  testInfra,
  ThrowawayRedis,
  type AppProcess,
  type HubAppName,
} from '@hub/testing';
import { startApps } from '../demo/apps';
import type { Secrets } from '../../bench/pipeline/load';
import { KafkaCluster } from './kafka-cluster';

export const TENANT = 'faults';

/** Resident set size of a process in MB (VmRSS of /proc/<pid>/status); undefined once it is gone. */
export function rssMbOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface HubOptions {
  apps: readonly HubAppName[];
  logDir: string;
  /** Told of each step of the boot and of every restart. */
  log?: (line: string) => void;
  /** Settings an app gets on top of (or instead of) the hub's own `base` (a scenario's lower limits); at boot and every restart. */
  env?: (app: HubAppName, base: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  /**
   * Where the hub's Kafka is: the shared broker (the default; topics of the run's namespace), or a
   * single-node KRaft broker of the run's own on free ports (F4 SIGKILLs and SIGSTOPs it).
   */
  kafka?: HubKafka;
  /**
   * F11: the apps reach PostgreSQL, Redis and the hub's own broker (implied) through a `FaultProxy`
   * each; the broker advertises the proxy's port, so every client reconnects through it. The
   * harness's own connections (the oracle's) go straight to the servers.
   */
  proxied?: boolean;
}

export type HubKafka = 'shared' | 'own';

/** The links F11 degrades, each a proxy in front of its server. */
export interface HubLinks {
  postgres: FaultProxy;
  redis: FaultProxy;
  kafka: FaultProxy;
}

/** The run's own broker (node 1 of a one-node `KafkaCluster`). */
export interface OwnBroker {
  cluster: KafkaCluster;
  /** Its own client port (the advertised one is the proxy's when proxied). */
  port: number;
  brokers: string[];
  runDir: string;
}

/** Where one process of an app started and what it used then (the RSS oracle's baseline). */
export interface Instance {
  app: HubAppName;
  pid: number;
  process: AppProcess;
}

export class FaultHub {
  private readonly running = new Map<HubAppName, AppProcess>();
  /** Every process started, in order (restarts included): all of them are stopped at the end. */
  private readonly started: AppProcess[] = [];
  private readonly restarts = new Map<HubAppName, number>();
  /** Further instances of an app (`startExtra`), running beside the one in `running`. */
  private readonly extras = new Set<AppProcess>();
  private extraCount = 0;
  private stopped = false;

  private constructor(
    readonly ns: string,
    readonly names: HubNames,
    readonly database: { url: string; drop(): Promise<void> },
    readonly redis: ThrowawayRedis,
    readonly pool: Pool,
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly secrets: Secrets,
    readonly apiKey: string,
    private readonly ports: ReadonlyMap<HubAppName, number>,
    private readonly opts: HubOptions,
    /** The broker of the run's own, when `kafka: 'own'` or `proxied`. */
    readonly broker: OwnBroker | undefined,
    /** The proxies in front of the servers, when `proxied`. */
    readonly links: HubLinks | undefined,
  ) {}

  /** A fresh database, namespace and redis-server (and broker and proxies if asked); then every app, three at a time. */
  static async boot(opts: HubOptions): Promise<FaultHub> {
    const ns = freshId('faults').toLowerCase();
    const database = await freshDatabase('faults');
    const cleanupsOnFailure: (() => Promise<void>)[] = [() => database.drop()];
    try {
      // A redis-server of the run's own (F7 restarts it; the shared one on 6379 is never touched).
      const redis = await ThrowawayRedis.start(['--save', '', '--appendonly', 'no']);
      cleanupsOnFailure.push(() => redis.stop());
      const pool = new Pool({ connectionString: database.url, max: 6 });
      pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
      cleanupsOnFailure.push(() => pool.end());
      const proxy = async (host: string, port: number): Promise<FaultProxy> => {
        const p = await FaultProxy.start({ target: { host, port } });
        cleanupsOnFailure.push(() => p.close());
        return p;
      };
      let links: HubLinks | undefined;
      let broker: OwnBroker | undefined;
      if (opts.kafka === 'own' || opts.proxied) {
        const port = await freePort();
        // The broker's proxy first: the broker must advertise its port from the start.
        const kafkaProxy = opts.proxied ? await proxy('127.0.0.1', port) : undefined;
        const runDir = mkdtempSync(join(tmpdir(), 'hub-kafka-'));
        const cluster = new KafkaCluster({
          nodes: 1,
          port,
          controllerPort: await freePort(),
          runDir,
          ...(kafkaProxy ? { advertisedPort: kafkaProxy.port } : {}),
        });
        cleanupsOnFailure.push(async () => void (await cluster.clean()));
        opts.log?.(
          `starting a Kafka broker of the run's own on :${port}${kafkaProxy ? ` (advertised through the proxy :${kafkaProxy.port})` : ''} ...`,
        );
        opts.log?.(await cluster.start());
        broker = { cluster, port, brokers: await cluster.brokers(), runDir };
        if (kafkaProxy) {
          const pg = new URL(database.url);
          links = {
            kafka: kafkaProxy,
            postgres: await proxy(pg.hostname, Number(pg.port || 5432)),
            redis: await proxy('127.0.0.1', redis.port),
          };
        }
      }
      const kafka = new Kafka({ clientId: `hub-${ns}`, brokers: broker?.brokers ?? testInfra().kafkaBrokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      cleanupsOnFailure.push(() => admin.disconnect());
      const ports = new Map<HubAppName, number>();
      for (const app of opts.apps) ports.set(app, await freePort());
      const secrets: Secrets = {
        twilioAuthToken: randomBytes(16).toString('hex'),
        twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
        webchatSecret: randomBytes(24).toString('hex'),
      };
      const hub = new FaultHub(
        ns,
        hubNames(ns),
        database,
        redis,
        pool,
        kafka,
        admin,
        secrets,
        randomBytes(16).toString('hex'),
        ports,
        opts,
        broker,
        links,
      );
      opts.log?.(
        `booting ${opts.apps.join(', ')} (namespace ${ns}, redis :${redis.port}, kafka ${(broker?.brokers ?? testInfra().kafkaBrokers).join(',')}${links ? ', postgres and redis through proxies' : ''})`,
      );
      const apps = await startApps(opts.apps, (name) => hub.envOf(name), {
        logDir: opts.logDir,
        parallel: 3,
        onStarted: (app) => {
          hub.running.set(app.name, app);
          hub.started.push(app);
        },
      });
      for (const [name, app] of apps) hub.running.set(name, app);
      return hub;
    } catch (err) {
      for (const c of cleanupsOnFailure.reverse()) await c().catch(() => undefined);
      throw err;
    }
  }

  /** The environment of one app, as the bench and the demo give it (secrets, keys, namespace, its own port). */
  envOf(name: HubAppName): NodeJS.ProcessEnv {
    const base = this.baseEnvOf(name);
    return { ...base, ...this.opts.env?.(name, base) };
  }

  private baseEnvOf(name: HubAppName): NodeJS.ProcessEnv {
    const db = new URL(this.database.url);
    if (this.links) {
      db.hostname = '127.0.0.1';
      db.port = String(this.links.postgres.port);
    }
    return {
      DATABASE_URL: db.href,
      REDIS_URL: this.links ? `redis://127.0.0.1:${this.links.redis.port}` : this.redis.url,
      KAFKA_BROKERS: (this.broker?.brokers ?? testInfra().kafkaBrokers).join(','),
      HUB_NAMESPACE: this.ns,
      TENANT_ID: TENANT,
      // What startAppProcess gives the apps; said here so the oracle's `hub replay --diff` (envOf('query-api')) names identities alike and boots.
      IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY,
      TWILIO_AUTH_TOKEN: this.secrets.twilioAuthToken,
      TWILIO_ACCOUNT_SID: this.secrets.twilioAccountSid,
      WEBCHAT_SIGNING_SECRET: this.secrets.webchatSecret,
      HUB_API_KEYS: `${TENANT}:${createHash('sha256').update(this.apiKey).digest('hex')}`,
      PORT: String(this.ports.get(name) ?? 0),
      LOG_LEVEL: 'info',
      NBA_DEBOUNCE_MS: '250',
      NBA_OUTBOUND_EVERY_MS: '0',
    };
  }

  get apps(): HubAppName[] {
    return [...this.running.keys()];
  }

  has(app: HubAppName): boolean {
    return this.running.has(app);
  }

  /** The base URL an HTTP app answers on (the same across restarts). */
  urlOf(app: HubAppName): string {
    const port = this.ports.get(app);
    if (port === undefined) throw new Error(`${app} is not part of this hub`);
    return `http://127.0.0.1:${port}`;
  }

  /** The processes running now (extra instances included). */
  instances(): Instance[] {
    return [...this.running.values(), ...this.extras].flatMap((p) =>
      p.child.pid !== undefined ? [{ app: p.name, pid: p.child.pid, process: p }] : [],
    );
  }

  pidOf(app: HubAppName): number {
    const pid = this.running.get(app)?.child.pid;
    if (pid === undefined) throw new Error(`${app} is not running`);
    return pid;
  }

  /** Send `signal` to the app's process and wait until it has exited (SIGKILL after `graceMs` for a signal it may handle). */
  async signal(app: HubAppName, signal: NodeJS.Signals, graceMs = 20_000): Promise<void> {
    const p = this.running.get(app);
    if (!p) throw new Error(`${app} is not running`);
    this.running.delete(app);
    const { child } = p;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Start the app again, same environment and port; resolves once it is serving. */
  async start(app: HubAppName): Promise<AppProcess> {
    if (this.stopped) throw new Error('the hub is stopped');
    const n = (this.restarts.get(app) ?? 0) + 1;
    this.restarts.set(app, n);
    const p = await startAppProcess(app, this.envOf(app), { logDir: this.opts.logDir, timeoutMs: 180_000, logSuffix: `-restart${n}` });
    this.started.push(p);
    if (this.stopped) {
      await p.stop();
      throw new Error('the hub stopped while the app was starting');
    }
    this.running.set(app, p);
    this.opts.log?.(`${app} restarted (pid ${p.child.pid})`);
    return p;
  }

  /**
   * One more instance of a consuming app (timeline-projector, nba-worker) beside the running one:
   * same environment, so it joins the same consumer groups and competes for the same leader locks.
   * Its port is left to the system (two processes cannot share one; these apps serve no HTTP the
   * load needs). Resolves once it is serving; stopped at the end like every process started.
   */
  async startExtra(app: HubAppName): Promise<AppProcess> {
    if (this.stopped) throw new Error('the hub is stopped');
    const n = ++this.extraCount;
    const p = await startAppProcess(
      app,
      { ...this.envOf(app), PORT: '0' },
      { logDir: this.opts.logDir, timeoutMs: 180_000, logSuffix: `-extra${n}` },
    );
    this.started.push(p);
    if (this.stopped) {
      await p.stop();
      throw new Error('the hub stopped while the app was starting');
    }
    this.extras.add(p);
    this.opts.log?.(`${app} extra instance ${n} started (pid ${p.child.pid})`);
    return p;
  }

  /** Send `signal` to an extra instance and wait until it has exited (SIGKILL after `graceMs`); how long that took and whether it needed the SIGKILL. */
  async stopExtra(p: AppProcess, signal: NodeJS.Signals, graceMs = 20_000): Promise<{ ms: number; killed: boolean }> {
    this.extras.delete(p);
    const { child } = p;
    const started = Date.now();
    if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, killed: false };
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    return { ms: Date.now() - started, killed: signal !== 'SIGKILL' && child.signalCode === 'SIGKILL' };
  }

  /** Queues of the worker, on the hub's redis (a connection of their own, closed by `close()`). */
  async decideBacklog(): Promise<number> {
    const connection = new IORedis(this.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
    connection.on('error', () => undefined);
    const q = new Queue(this.names.queues.nbaDecide, { connection });
    try {
      const counts = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    } finally {
      await q.close().catch(() => undefined);
      connection.disconnect();
    }
  }

  logFiles(): string[] {
    return this.started.map((p) => p.logFile);
  }

  /** Stop every process started (SIGTERM, then SIGKILL), the redis-server, the broker and proxies; drop the database and the topics. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Whatever a fault left degraded, the apps must be able to drain.
    for (const link of Object.values(this.links ?? {})) link.set({ kind: 'pass' });
    await Promise.all(this.started.map((p) => p.stop(10_000).catch(() => undefined)));
    this.running.clear();
    this.extras.clear();
    await this.redis.stop().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await Promise.all(Object.values(this.links ?? {}).map((link) => link.close().catch(() => undefined)));
    if (this.broker) {
      // Its topics and groups go with its run dir.
      await this.admin.disconnect().catch(() => undefined);
      await this.broker.cluster.clean().catch(() => undefined);
      await this.database.drop().catch(() => undefined);
      return;
    }
    const ours = (await this.admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(`${this.ns}.`));
    if (ours.length > 0) await this.admin.deleteTopics({ topics: ours }).catch(() => undefined);
    // The hub's consumer groups and the harness's own readers (the dead-letter check's).
    const groups = (await this.admin.listGroups().catch(() => ({ groups: [] as { groupId: string }[] }))).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(`${this.ns}.`));
    if (groups.length > 0) await this.admin.deleteGroups(groups).catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    await this.database.drop().catch(() => undefined);
  }
}

/** The hub CLI (`npm run hub`), as a process against the hub's database: what `replay --diff` prints and its exit code. */
export { hubCliArgs } from '@hub/testing';
