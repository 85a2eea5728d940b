import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { lineDiff } from './line-diff';

/**
 * The generator end to end, as an engineer runs it: `nx g @hub/tools:channel` in a scratch copy of
 * this workspace (its node_modules symlinked, no network), then the whole scratch workspace must
 * typecheck and the new channel's own spec (the conformance kit over the scaffolded fixtures, and
 * its given/when/then test) must pass — with no hand edit in between.
 */

const WORKSPACE = join(__dirname, '..', '..', '..', '..', '..');
/** What a clean clone has that the typecheck and the generator read (tsconfig.json includes all of these). */
const COPIED_DIRS = ['apps', 'libs', 'tools', 'bench', 'scripts'];
const NOT_COPIED = new Set(['node_modules', '.nx', '.run', 'tmp', 'dist', 'coverage']);
const NAME = 'line-chat';
const NEW_FOLDER = `libs/ingest/channels/${NAME}/`;
/** The only files outside the new folder the generator may touch, one line each. */
const SHARED_EDITS = [
  'libs/ingest/channels/registry/src/channels.ts',
  'libs/ingest/channels/registry/src/testing/setups.ts',
  'libs/shared/contracts/src/channels.ts',
];

type Snapshot = Map<string, string>;

function snapshot(root: string): Snapshot {
  const files: Snapshot = new Map();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (NOT_COPIED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        files.set(relative(root, path).split(sep).join('/'), createHash('sha1').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return files;
}

function diff(before: Snapshot, after: Snapshot): { created: string[]; modified: string[]; deleted: string[] } {
  return {
    created: [...after.keys()].filter((f) => !before.has(f)).sort(),
    modified: [...after.keys()].filter((f) => before.has(f) && before.get(f) !== after.get(f)).sort(),
    deleted: [...before.keys()].filter((f) => !after.has(f)).sort(),
  };
}

function run(cwd: string, args: string[]): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_INTERACTIVE: 'false',
    FORCE_COLOR: '0',
  };
  delete env['NX_WORKSPACE_ROOT_PATH'];
  return spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const output = (r: SpawnSyncReturns<string>): string => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

describe('given a scratch copy of the workspace', () => {
  let scratch: string;
  let before: Snapshot;
  let generated: SpawnSyncReturns<string>;
  let changes: ReturnType<typeof diff>;
  /** A CLI of the scratch workspace's (symlinked) node_modules, run with this Node. */
  const bin = (name: string) => join(scratch, 'node_modules', '.bin', name);
  const nx = (...args: string[]) => run(scratch, [bin('nx'), ...args]);

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'hub-channel-generator-'));
    for (const entry of readdirSync(WORKSPACE, { withFileTypes: true })) {
      if (entry.isFile() || COPIED_DIRS.includes(entry.name)) {
        cpSync(join(WORKSPACE, entry.name), join(scratch, entry.name), {
          recursive: true,
          filter: (src) => !NOT_COPIED.has(basename(src)),
        });
      }
    }
    symlinkSync(join(WORKSPACE, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    before = snapshot(scratch);
    generated = nx('g', '@hub/tools:channel', NAME, '--provider=line', '--displayName=LINE chat', '--no-interactive');
    changes = diff(before, snapshot(scratch));
  }, 60_000);

  afterAll(() => {
    if (!scratch) return;
    if (lstatSync(join(scratch, 'node_modules'), { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(join(scratch, 'node_modules'));
    rmSync(scratch, { recursive: true, force: true });
  });

  describe(`when nx g @hub/tools:channel ${NAME} --provider=line runs in it`, () => {
    it('then the generator succeeds', () => {
      expect(generated.status === 0 ? '' : output(generated)).toBe('');
    });

    it('then it creates the library, and files nowhere else (no app: apps/ingest/webhooks serves it)', () => {
      expect(changes.created.filter((f) => !f.startsWith(NEW_FOLDER))).toEqual([]);
      expect(changes.created).toEqual([
        `libs/ingest/channels/${NAME}/index.ts`,
        `libs/ingest/channels/${NAME}/project.json`,
        `libs/ingest/channels/${NAME}/src/__fixtures__/malformed/missing-message-id.json`,
        `libs/ingest/channels/${NAME}/src/__fixtures__/unmappable/phone-not-a-number.json`,
        `libs/ingest/channels/${NAME}/src/__fixtures__/valid/text-message.json`,
        `libs/ingest/channels/${NAME}/src/index.ts`,
        `libs/ingest/channels/${NAME}/src/${NAME}.adapter.spec.ts`,
        `libs/ingest/channels/${NAME}/src/${NAME}.adapter.ts`,
        `libs/ingest/channels/${NAME}/src/${NAME}.config.ts`,
        `libs/ingest/channels/${NAME}/src/${NAME}.payload.ts`,
        `libs/ingest/channels/${NAME}/src/testing/index.ts`,
        `libs/ingest/channels/${NAME}/src/testing/${NAME}.sign.ts`,
        `libs/ingest/channels/${NAME}/src/testing/${NAME}.test-setup.ts`,
        `libs/ingest/channels/${NAME}/testing/index.ts`,
      ]);
    });

    it(`then outside the new folder it changes exactly ${SHARED_EDITS.length} files (the registrations), three lines in all, and deletes none`, () => {
      expect(changes.modified).toEqual(SHARED_EDITS);
      expect(changes.deleted).toEqual([]);
      const diffs = SHARED_EDITS.map((f) => lineDiff(readFileSync(join(WORKSPACE, f), 'utf8'), readFileSync(join(scratch, f), 'utf8')));
      expect(diffs.map((d) => d.added.length)).toEqual([1, 1, 1]);
      // Only CHANNEL_IDS's line, changed in place; the registrations are appended.
      expect(diffs.map((d) => d.removed.length)).toEqual([0, 0, 1]);
    });

    describe('and the scratch workspace is typechecked (tsc -p tsconfig.json --noEmit)', () => {
      let tsc: SpawnSyncReturns<string>;
      beforeAll(() => {
        tsc = run(scratch, [bin('tsc'), '-p', 'tsconfig.json', '--noEmit']);
      }, 90_000);

      it('then no file the generator wrote or edited has a type error', () => {
        const ours = [...changes.created, ...changes.modified];
        const errors = tsc.stdout.split('\n').filter((line) => ours.some((file) => line.startsWith(`${file}(`)));
        expect(errors).toEqual([]);
      });

      it('then the whole workspace typechecks', () => {
        expect(tsc.status === 0 ? '' : output(tsc)).toBe('');
      });
    });

    it("then the new channel's own tests pass as generated: the conformance kit and its given/when/then test", () => {
      // The workspace's Jest config without its global setup (which checks Kafka, Redis and Postgres).
      writeFileSync(
        join(scratch, 'jest.scratch.config.js'),
        "module.exports = { ...require('./jest.config.js'), globalSetup: undefined, globalTeardown: undefined };\n",
      );
      const results = join(scratch, 'jest-results.json');
      const jest = run(scratch, [
        bin('jest'),
        '--config',
        'jest.scratch.config.js',
        '--ci',
        '--json',
        `--outputFile=${results}`,
        `libs/ingest/channels/${NAME}`,
      ]);
      expect(jest.status === 0 ? '' : output(jest)).toBe('');
      const summary = JSON.parse(readFileSync(results, 'utf8')) as {
        numTotalTestSuites: number;
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
      };
      expect(summary.numTotalTestSuites).toBe(1);
      expect(summary.numFailedTests).toBe(0);
      // Channel definition (4), valid fixture (9 + 4 signature), malformed (2 + 4), unmappable (2), given/when/then (2);
      // the scaffold signs no timestamp, so its fourth signature test checks the verdict ignores the clock.
      expect(summary.numPassedTests).toBe(27);
      expect(summary.numPendingTests).toBe(0);
    }, 90_000);

    it("then the pure specs over every channel stay green with it: each channel library's and the demo's", () => {
      // What `npm test` runs over every channel besides its own spec: the other channels' specs
      // (through the @hub/channels-* alias) and the demo day plan, which leaves a channel without
      // a demo builder out of the day instead of failing.
      writeFileSync(
        join(scratch, 'jest.scratch.config.js'),
        "module.exports = { ...require('./jest.config.js'), globalSetup: undefined, globalTeardown: undefined };\n",
      );
      const results = join(scratch, 'jest-shared-results.json');
      const jest = run(scratch, [
        bin('jest'),
        '--config',
        'jest.scratch.config.js',
        '--ci',
        '--json',
        `--outputFile=${results}`,
        '--testPathIgnorePatterns',
        '\\.(int|e2e)\\.spec\\.ts$',
        '--',
        'libs/ingest/channels',
        'scripts/demo',
      ]);
      expect(jest.status === 0 ? '' : output(jest)).toBe('');
      const summary = JSON.parse(readFileSync(results, 'utf8')) as { numFailedTests: number; testResults: { name: string }[] };
      expect(summary.testResults.map((r) => relative(scratch, r.name).split(sep).join('/'))).toEqual(
        expect.arrayContaining(['scripts/demo/day-plan.spec.ts', `libs/ingest/channels/${NAME}/src/${NAME}.adapter.spec.ts`]),
      );
      expect(summary.numFailedTests).toBe(0);
    }, 240_000);

    it('then running it again is refused, naming what exists, and changes nothing', () => {
      const generatedState = snapshot(scratch);
      const again = nx('g', '@hub/tools:channel', NAME, '--provider=line', '--no-interactive');
      expect(again.status).not.toBe(0);
      expect(`${again.stdout}${again.stderr}`).toContain(`channel "${NAME}" already exists`);
      expect(diff(generatedState, snapshot(scratch))).toEqual({ created: [], modified: [], deleted: [] });
    }, 30_000);
  });
});
