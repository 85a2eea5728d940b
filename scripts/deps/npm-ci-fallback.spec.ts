import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Plain CommonJS: it runs before node_modules exists, so it cannot be TypeScript.
const { decide } = require('./npm-ci-fallback.cjs') as {
  decide: (input: {
    log: string;
    lock: unknown;
    pkg: unknown;
    platform: { os: string; cpu: string };
    manifest: (name: string, spec: string) => { os?: string[]; cpu?: string[] } | null;
  }) => { fallback: boolean; reason: string };
};

const fixtures = join(__dirname, '__fixtures__');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const versioned = read('npm-ci-refused.versioned.txt'); // what npm 11 printed on 2026-12-06
const versionless = read('npm-ci-refused.versionless.txt'); // what it printed while the registry served none
const lock = JSON.parse(read('package-lock.trimmed.json'));
const pkg = { dependencies: { bullmq: '5.81.5' }, devDependencies: { nx: '23.2.1' } };
const linuxX64 = { os: 'linux', cpu: 'x64' };

/** The registry as the platform binaries' own manifests describe them: os and cpu are in the name. */
const registry = (name: string) => {
  const m = /-(darwin|linux|win32|android|freebsd|openharmony)-([a-z0-9]+)/.exec(name);
  return m ? { os: [m[1]], cpu: [m[2] === 'arm' ? 'arm' : m[2]] } : {};
};

describe('npm ci fallback', () => {
  describe('when npm refuses the lock only for other platforms\u2019 optional binaries', () => {
    it.each([
      ['with the version the registry now serves', versioned],
      ['with an empty version (the registry served none)', versionless],
    ])('falls back, %s', (_shape, log) => {
      const d = decide({ log, lock, pkg, platform: linuxX64, manifest: registry });
      expect(d).toEqual({ fallback: true, reason: expect.stringContaining('21 other platforms') });
    });

    it('falls back when the registry does not serve them at all', () => {
      expect(decide({ log: versionless, lock, pkg, platform: linuxX64, manifest: () => null }).fallback).toBe(true);
    });

    it('decides the same when npm rewords its sentence around the names', () => {
      const reworded = versioned.replace(/Missing: (\S+) from lock file/g, 'lockfile lacks "$1" (optional)');
      expect(reworded).not.toContain('Missing:');
      expect(decide({ log: reworded, lock, pkg, platform: linuxX64, manifest: registry }).fallback).toBe(true);
    });
  });

  describe('when the refusal is anything else', () => {
    it('stops for this platform\u2019s own binary', () => {
      const d = decide({ log: versioned, lock, pkg, platform: { os: 'darwin', cpu: 'arm64' }, manifest: registry });
      expect(d).toEqual({ fallback: false, reason: expect.stringContaining('built for this platform') });
    });

    it('stops for a stale lock (a locked version that no longer satisfies package.json)', () => {
      const stale = versioned.replace(
        'npm error Missing: @unrs/resolver-binding-win32-x64-msvc@1.13.0 from lock file',
        "npm error Invalid: lock file's bullmq@5.81.5 does not satisfy bullmq@5.90.0",
      );
      const d = decide({ log: stale, lock, pkg, platform: linuxX64, manifest: registry });
      expect(d).toEqual({ fallback: false, reason: expect.stringContaining('bullmq') });
    });

    it('stops for a package that is no locked package\u2019s optional dependency', () => {
      const log = versioned.replace('@unrs/resolver-binding-win32-x64-msvc@1.13.0', 'left-pad@1.3.0');
      expect(decide({ log, lock, pkg, platform: linuxX64, manifest: registry })).toEqual({
        fallback: false,
        reason: expect.stringContaining('left-pad is not an optional dependency'),
      });
    });

    it('stops for a failure that is not a lock refusal', () => {
      const log =
        'npm error code ECONNRESET\nnpm error network aborted while fetching @msgpackr-extract/msgpackr-extract-darwin-x64@3.0.7\n';
      expect(decide({ log, lock, pkg, platform: linuxX64, manifest: registry }).fallback).toBe(false);
    });
  });
});

/**
 * The real scripts/ensure-deps.sh in a scratch copy of the project, with an `npm` on PATH that
 * answers as the registry and npm did (refusal, manifests) and records what it is asked to install.
 */
describe('scripts/ensure-deps.sh', () => {
  const root = join(__dirname, '..', '..');
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ensure-deps-'));
    mkdirSync(join(dir, 'scripts', 'deps'), { recursive: true });
    mkdirSync(join(dir, 'infra', 'kafka'), { recursive: true });
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(root, 'scripts', 'ensure-deps.sh'), join(dir, 'scripts', 'ensure-deps.sh'));
    copyFileSync(join(__dirname, 'npm-ci-fallback.cjs'), join(dir, 'scripts', 'deps', 'npm-ci-fallback.cjs'));
    writeFileSync(join(dir, 'infra', 'kafka', 'kafka.sh'), '#!/usr/bin/env bash\nexit 0\n');
    chmodSync(join(dir, 'infra', 'kafka', 'kafka.sh'), 0o755);
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
    const fakeNpm = `#!/usr/bin/env node
const fs = require('fs');
const [cmd, spec] = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(join(dir, 'npm-calls'))}, process.argv.slice(2).join(' ') + '\\n');
if (cmd === 'ci') { process.stderr.write(fs.readFileSync(process.env.FAKE_NPM_CI_LOG, 'utf8')); process.exit(1); }
if (cmd === 'view') {
  const m = /-(darwin|linux|win32|android|freebsd|openharmony)-([a-z0-9]+)/.exec(spec);
  process.stdout.write(JSON.stringify(m ? { os: [m[1]], cpu: [m[2]] } : {})); process.exit(0);
}
if (cmd === 'install') {
  fs.mkdirSync('node_modules', { recursive: true });
  fs.appendFileSync('package-lock.json', ' '); // what a real install may do to the lock
  process.exit(0);
}
process.exit(2);
`;
    writeFileSync(join(dir, 'bin', 'npm'), fakeNpm);
    chmodSync(join(dir, 'bin', 'npm'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (log: string) => {
    writeFileSync(join(dir, 'ci.log'), log);
    return spawnSync('bash', ['scripts/ensure-deps.sh'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, FAKE_NPM_CI_LOG: join(dir, 'ci.log') },
    });
  };
  const calls = () => (existsSync(join(dir, 'npm-calls')) ? readFileSync(join(dir, 'npm-calls'), 'utf8') : '');

  it.each([
    ['with a version', versioned],
    ['without a version', versionless],
  ])('falls back in one line and leaves the committed lock as it was, %s', (_shape, log) => {
    const before = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    const r = run(log);
    expect(r.status).toBe(0);
    const said = r.stdout.split('\n').filter((l) => l.includes('other platforms'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^deps: npm ci refused the lock only for 21 other platforms.*installing the locked versions/);
    expect(calls()).toMatch(/^install --no-save/m);
    expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(dir, 'node_modules', '.hub-lock-hash'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stops with npm\u2019s own message for a stale lock, installing nothing', () => {
    const stale = `${versioned}npm error Invalid: lock file's bullmq@5.81.5 does not satisfy bullmq@5.90.0\n`;
    const r = run(stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Invalid: lock file's bullmq@5.81.5 does not satisfy bullmq@5.90.0");
    expect(r.stderr).toContain('deps: npm ci failed (bullmq is one of this project');
    expect(calls()).not.toMatch(/^install/m);
    expect(existsSync(join(dir, 'node_modules', '.hub-lock-hash'))).toBe(false);
  });

  it('is accepted by npm ci itself with the committed lock (no fallback needed)', () => {
    const out = execFileSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).not.toMatch(/Missing:/);
  });
});
