import { Pool } from 'pg';
import { freshDatabase, freshId } from '@hub/testing';
import { cliWorld, history, projectLive, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(60_000);

/**
 * An analyst who points the CLI at the wrong database, or mistypes a tenant, must get an error
 * naming what was looked at — never a clean "no differences", an empty export or "unknown customer".
 */
describe('hub on the wrong database or tenant', () => {
  let empty: { url: string; drop(): Promise<void> };
  let emptyEnv: NodeJS.ProcessEnv;
  let world: CliWorld;
  const tenant = freshId('wd').toLowerCase();

  beforeAll(async () => {
    empty = await freshDatabase('cli_not_hub');
    world = await cliWorld('cli_wrong_db');
    emptyEnv = { ...world.env, DATABASE_URL: empty.url };
    await world.stores.customers.append(tenant, 'c1', history(tenant, 'c1', 3));
    await projectLive(world);
  });
  afterAll(async () => {
    await world?.close();
    await empty?.drop();
  });

  const dbName = (url: string) => new URL(url).pathname.slice(1);

  it.each([
    ['replay --diff', ['replay', '--diff']],
    ['replay --tenant', ['replay', '--tenant', 'acme']],
    ['export', ['export', '--tenant', 'acme', '--format', 'ndjson']],
    ['state', ['state', 'acme', 'c1']],
    ['timeline', ['timeline', 'acme', 'c1']],
    ['nba explain', ['nba', 'explain', '00000000-0000-4000-8000-000000000000']],
  ])('%s on a database without the hub exits 1 naming the database, and creates nothing in it', async (_name, argv) => {
    const r = await runCli(argv, emptyEnv);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`database "${dbName(empty.url)}"`);
    expect(r.stderr).toContain('no hub event store');
    const pool = new Pool({ connectionString: empty.url, max: 1 });
    try {
      const tables = await pool.query("select table_name from information_schema.tables where table_schema = 'public'");
      expect(tables.rows).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it.each([
    ['replay --diff --tenant', (t: string) => ['replay', '--diff', '--tenant', t]],
    ['export', (t: string) => ['export', '--tenant', t, '--format', 'csv']],
    ['state', (t: string) => ['state', t, 'c1']],
    ['timeline', (t: string) => ['timeline', t, 'c1']],
  ])('%s for a tenant with no events exits 1 naming the tenant and the database', async (_name, argv) => {
    const typo = `${tenant}x`;
    const r = await runCli(argv(typo), world.env);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`tenant "${typo}" has no events in database "${dbName(world.env['DATABASE_URL']!)}"`);
  });

  it('the same commands for the right tenant still succeed', async () => {
    const diff = await runCli(['replay', '--diff', '--tenant', tenant], world.env);
    expect({ code: diff.code, stderr: diff.stderr }).toMatchObject({ code: 0 });
    const exported = await runCli(['export', '--tenant', tenant, '--format', 'ndjson'], world.env);
    expect(exported.code).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(3);
    expect((await runCli(['state', tenant, 'c1'], world.env)).code).toBe(0);
  });

  it('an unknown customer of a known tenant names the database it was looked up in', async () => {
    const r = await runCli(['state', tenant, 'nobody'], world.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`unknown customer ${tenant}/nobody in database "${dbName(world.env['DATABASE_URL']!)}"`);
  });
});
