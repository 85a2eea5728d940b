import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { hubCliArgs } from '@hub/testing';

const WORKSPACE = resolve(__dirname, '../../../..');

/** The one test that runs the real process, as an operator does. */
describe('node dist/apps/hub-cli/main.js (the built CLI)', () => {
  const hub = (...args: string[]) =>
    spawnSync(process.execPath, [...hubCliArgs(), ...args], {
      cwd: WORKSPACE,
      env: { ...process.env, SWC_NODE_PROJECT: join(WORKSPACE, 'tsconfig.json') },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('prints the help and exits 0', () => {
    const r = hub('--help');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: hub <command> [options]');
  });

  it('exits 2 on a usage error', () => {
    const r = hub('export', '--tenant', 'acme');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--format is required');
  });
});
