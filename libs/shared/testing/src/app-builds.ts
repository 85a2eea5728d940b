import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

/**
 * The build list: every Nx project under apps/ whose `build` target bundles it for Node with esbuild
 * (dist/apps/<project>/main.js: what `startAppProcess` runs, what infra/docker/Dockerfile copies and
 * what the deployment files are checked against). Read from the project files, so a new app is on it
 * the moment it has a build target. The console's build is Vite's static files, served by query-api.
 */
export function builtNodeApps(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry === 'node_modules' || entry === 'src') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === 'project.json') {
        const project = JSON.parse(readFileSync(path, 'utf8')) as { name: string; targets?: Record<string, { executor?: string }> };
        if (project.targets?.['build']?.executor === '@nx/esbuild:esbuild') found.push(project.name);
      }
    }
  };
  walk(join(WORKSPACE, 'apps'));
  return found.sort();
}

/** The Nx projects whose builds `startAppProcess` runs: the build list (`builtNodeApps`). */
export const BUILT_APP_PROJECTS: readonly string[] = builtNodeApps();

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
