import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const WORKSPACE = resolve(__dirname, '../../../..');

/** The one program every channel's ingestion app runs (`INGEST_CHANNEL` picks the channel). */
export const INGEST_PROJECT = 'ingest-webhooks';

/**
 * How apps run: `dist` (the default) starts each from its production build, `node
 * dist/apps/<project>/main.js` (`npm run build`; `npm test` and `npm run demo` build first, and the
 * Jest global setup builds what is stale); `source` compiles TypeScript in the process with
 * `@swc-node/register`, for quick iteration (`HUB_APPS_FROM=source`).
 */
export type AppsFrom = 'dist' | 'source';
export function appsFrom(): AppsFrom {
  const from = process.env['HUB_APPS_FROM'] ?? 'dist';
  if (from !== 'dist' && from !== 'source') throw new Error(`HUB_APPS_FROM must be dist or source, not ${from}`);
  return from;
}

/** The Nx projects whose builds `startAppProcess` runs. */
export const BUILT_APP_PROJECTS = [INGEST_PROJECT, 'ingest-api', 'timeline-projector', 'nba-worker', 'query-api', 'hub-cli'] as const;

/**
 * Build every app the tests start as a process (`nx run-many -t build`, cached: a no-op in about a
 * second when nothing changed), so end-to-end specs run what production runs and never a stale build.
 * Nothing to do when apps run from source (`HUB_APPS_FROM=source`).
 */
export function ensureAppBuilds(): void {
  if (appsFrom() === 'source') return;
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      require.resolve('nx/bin/nx', { paths: [WORKSPACE] }),
      'run-many',
      '-t',
      'build',
      `--projects=${BUILT_APP_PROJECTS.join(',')}`,
      '--output-style=static',
    ],
    { cwd: WORKSPACE, env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' }, encoding: 'utf8', timeout: 300_000 },
  );
  if (r.status !== 0) {
    throw new Error(`building the apps failed (nx run-many -t build):\n${r.stdout}\n${r.stderr}`);
  }
  process.stdout.write(
    `[hub] apps built from their sources (dist/apps, ${Date.now() - started} ms; HUB_APPS_FROM=source runs them with swc instead)\n`,
  );
}
