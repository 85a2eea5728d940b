import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEV_IDENTITY_HASH_KEY } from '@hub/contracts';
import { appsFrom, INGEST_PROJECT, type AppsFrom } from './app-builds';

export const HUB_APPS = ['ingest-sms', 'timeline-projector', 'nba-worker', 'query-api'] as const;
/** The core apps, the outbound sender, and any channel's ingestion app (`ingest-<channelId>`). */
export type HubAppName = (typeof HUB_APPS)[number] | 'outbound' | `ingest-${string}`;

/** The log line (pino `msg`) each app prints once it is serving. */
const READY_LINES: Record<string, string> = {
  'timeline-projector': 'projector.started',
  'nba-worker': 'nba.worker.started',
  'query-api': 'query.api.started',
  outbound: 'outbound.started',
};
const readyLine = (name: HubAppName): string => READY_LINES[name] ?? 'ingest.app.started';

/** Where each app that is not a channel's lives: under the folder of its stage (docs/architecture.md). */
const APP_FOLDERS: Record<string, string> = {
  'ingest-api': 'apps/ingest/api',
  'timeline-projector': 'apps/project/timeline-projector',
  'nba-worker': 'apps/decide/nba-worker',
  'query-api': 'apps/query/query-api',
  outbound: 'apps/deliver/outbound',
};
/** Every channel's app `ingest-<channel>` is the one ingestion program, told its channel by `INGEST_CHANNEL`. */
const INGEST_FOLDER = 'apps/ingest/webhooks';

function appProgram(name: HubAppName, from: AppsFrom, appsDir: string): { args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  const folder = APP_FOLDERS[name];
  const env: NodeJS.ProcessEnv = folder === undefined ? { INGEST_CHANNEL: name.slice('ingest-'.length) } : {};
  const project = folder === undefined ? INGEST_PROJECT : name;
  if (from === 'source') {
    return {
      args: ['-r', '@swc-node/register', join(folder ?? INGEST_FOLDER, 'src', 'main.ts')],
      env: { ...env, SWC_NODE_PROJECT: join(WORKSPACE, 'tsconfig.json') },
      cwd: WORKSPACE,
    };
  }
  const main = join(appsDir, project, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is not built: run \`npm run build\` (or set HUB_APPS_FROM=source)`);
  // From the workspace, a build finds the workspace's node_modules; an image's folder (appsDir) holds its own.
  return { args: [...sourceMapArgs(), main], env, cwd: appsDir === DIST_APPS ? WORKSPACE : join(appsDir, project) };
}

/** `node` arguments that run the hub CLI (`hub <command>`) as an operator does: its build, or its source. */
export function hubCliArgs(from: AppsFrom = appsFrom()): string[] {
  if (from === 'source') return ['-r', '@swc-node/register', join(WORKSPACE, 'apps', 'ops', 'hub-cli', 'src', 'main.ts')];
  const main = join(WORKSPACE, 'dist', 'apps', 'hub-cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is not built: run \`npm run build\` (or set HUB_APPS_FROM=source)`);
  return [...sourceMapArgs(), main];
}

/**
 * `--enable-source-maps` when asked (`HUB_SOURCE_MAPS=1`), as the images take it
 * (`NODE_OPTIONS=--enable-source-maps`): stack traces then point into the TypeScript, at 8–34 MiB of
 * resident memory per process (Node keeps the map of every module that ships one, node_modules
 * included; docs/benchmarks.md, "Session 12"). Without it a trace names the bundle's lines
 * (`main.js:1234`), which is readable JavaScript with the functions' and classes' own names.
 */
export function sourceMapArgs(): string[] {
  return process.env['HUB_SOURCE_MAPS'] === '1' ? ['--enable-source-maps'] : [];
}

/**
 * The environment every hub process runs with, in the images as here (infra/docker/Dockerfile):
 * glibc's malloc limited to two arenas. By default it opens up to 8 per core, one per thread that
 * allocates (V8's platform workers, libuv's pool), each keeping freed memory of its own: 4–6 MiB of
 * resident memory per process idle (docs/benchmarks.md, "Session 12"). A value in the environment wins.
 */
export const HUB_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export interface AppProcess {
  name: HubAppName;
  child: ChildProcess;
  logFile: string;
  /** The `url` field of the ready line, for HTTP apps. */
  url?: string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const WORKSPACE = resolve(__dirname, '../../../..');
const DIST_APPS = join(WORKSPACE, 'dist', 'apps');

/**
 * Run one hub app as its own process, exactly as in production (`node dist/apps/<project>/main.js`, or
 * from source with `HUB_APPS_FROM=source`; a channel's app with `INGEST_CHANNEL`), with its logs in
 * `logDir/<name>.log`. Resolves when the app says it is serving; rejects with the log tail if it
 * exits first.
 */
export function startAppProcess(
  name: HubAppName,
  env: NodeJS.ProcessEnv,
  {
    logDir = join(WORKSPACE, '.run', 'logs'),
    timeoutMs = 60_000,
    logSuffix = '',
    appsDir = DIST_APPS,
  }: {
    logDir?: string;
    timeoutMs?: number;
    logSuffix?: string;
    /** Where the built apps are (`<appsDir>/<project>/main.js`): an image's contents assembled elsewhere, for one. */
    appsDir?: string;
  } = {},
): Promise<AppProcess> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}${logSuffix}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const program = appProgram(name, appsDir === DIST_APPS ? appsFrom() : 'dist', appsDir);
  // A larger young generation: the apps allocate a lot of short-lived objects per message (parsed JSON,
  // validated DTOs, sealed fields), and with V8's default 16 MiB semi-space the scavenger took 11–14 %
  // of the recorder's and the worker's CPU at 300 webhooks/s; at 64 MiB, 6–9 % (docs/benchmarks.md,
  // Session 10). The same flag is what docs/operations.md advises for production.
  const semiSpace = [`--max-semi-space-size=${process.env['HUB_NODE_SEMI_SPACE_MB'] ?? '64'}`];
  const child = spawn(process.execPath, [...semiSpace, ...program.args], {
    cwd: program.cwd,
    // Tests, the demo and the benchmarks name identities under the published development key unless
    // they say otherwise: apps refuse to boot without a key outside NODE_ENV=development|test.
    env: {
      ...HUB_PROCESS_ENV,
      IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY,
      // The workers' probe servers on free ports (logged): several instances share this host.
      HEALTH_PORT: '0',
      ...process.env,
      ...env,
      ...program.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    log.end();
  };
  return new Promise<AppProcess>((resolvePromise, reject) => {
    let buffer = '';
    let ready = false;
    const timer = setTimeout(() => {
      void stop(1_000);
      reject(new Error(`${name} not ready after ${timeoutMs} ms; log: ${logFile}\n${tail.join('\n')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (ready) return;
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (!line.includes(readyLine(name))) continue;
        ready = true;
        clearTimeout(timer);
        let url: string | undefined;
        try {
          url = (JSON.parse(line) as { url?: string }).url?.replace('[::1]', '127.0.0.1');
        } catch {
          url = undefined;
        }
        resolvePromise({ name, child, logFile, ...(url ? { url } : {}), stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready; log: ${logFile}\n${tail.join('\n')}`));
    });
  });
}
