import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';

/** The analysts' console's sources (apps/console) and where the query API serves its build from (QUERY_CONSOLE_DIR's default). */
export const CONSOLE_SOURCE_DIR = join('apps', 'console');
export const CONSOLE_BUILD_DIR = join('dist', 'apps', 'console');
const STAMP = '.source-hash';

/** The workspace root: the nearest folder above this file holding nx.json (whatever folder the lib sits in). */
export function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${from}`);
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? sourceFiles(join(dir, d.name)) : /\.spec\.ts$/.test(d.name) ? [] : [join(dir, d.name)]))
    .sort();
}

/** What the build is made of: the console's files (not its tests) and the locked dependency versions. */
function sourceHash(root: string): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(root, CONSOLE_SOURCE_DIR)), join(root, 'package-lock.json')]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * Build the console with Vite unless dist/apps/console already holds a build of exactly these
 * sources (a stamp of their hash; about a second when it does not). Built beside and swapped in, so
 * a query API serving the old build meanwhile never serves half of one. Returns the build's folder.
 */
export async function ensureConsoleBuilt({
  root = workspaceRoot(),
  log = (_line: string) => undefined,
}: { root?: string; log?: (line: string) => void } = {}): Promise<string> {
  const out = join(root, CONSOLE_BUILD_DIR);
  const want = sourceHash(root);
  const stampOf = (dir: string) => (existsSync(join(dir, STAMP)) ? readFileSync(join(dir, STAMP), 'utf8') : undefined);
  if (stampOf(out) === want && existsSync(join(out, 'index.html'))) return out;
  log(`console: building ${CONSOLE_SOURCE_DIR} with Vite`);
  const next = `${out}.next-${process.pid}`;
  await promisify(execFile)(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '-c',
      join(root, CONSOLE_SOURCE_DIR, 'vite.config.mts'),
      '--outDir',
      next,
      '--emptyOutDir',
    ],
    {
      cwd: root,
      maxBuffer: 16 << 20,
    },
  );
  writeFileSync(join(next, STAMP), want);
  rmSync(out, { recursive: true, force: true });
  try {
    renameSync(next, out);
  } catch (err) {
    // Another process swapped in the same build first.
    rmSync(next, { recursive: true, force: true });
    if (stampOf(out) !== want) throw err;
  }
  if (!statSync(join(out, 'index.html')).isFile()) throw new Error(`the console build in ${out} has no index.html`);
  return out;
}
