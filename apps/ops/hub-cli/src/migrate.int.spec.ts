import { Pool } from 'pg';
import { createCustomerStores } from '@hub/customer-records';
import { OUTBOUND_SENDS_DDL } from '@hub/deliver-outbound';
import { PostgresCheckpointStore, runDdl } from '@hub/event-store';
import { PostgresOutcomeTallyStore } from '@hub/nba-outcomes';
import { PostgresKeyStore } from '@hub/platform';
import { freshDatabase, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { PostgresReplayRuns, PostgresTimelineStore, TimelineQueries } from '@hub/timeline';
import { PostgresWorkItemStore } from '@hub/work-items';
import { WEBHOOKS_SCHEMA } from '@hub/webhook-deliveries';
import { HUB_SCHEMA } from './migrate/migrate.command';
import { runCli, TEST_KEK } from './testing/cli-harness';

jest.setTimeout(60_000);

/** What the old boot code created, before migrations: each component's own `ensure…`/`create`, as the apps ran them. */
async function createTheOldWay(pool: Pool): Promise<void> {
  const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, kek: TEST_KEK });
  await stores.store.close();
  await PostgresCheckpointStore.create({ pool });
  await new PostgresTimelineStore(pool).ensureSchema();
  await new TimelineQueries(pool).ensureSchema();
  await new PostgresReplayRuns(pool).ensureSchema();
  await PostgresOutcomeTallyStore.create(pool);
  await PostgresWorkItemStore.create(pool);
  // The webhooks' tables came with migrations (issue #19): no boot code ever made them; version 1 is idempotent SQL.
  await pool.query(WEBHOOKS_SCHEMA.migrations[0].up);
  await new PostgresKeyStore(pool).ensureSchema();
  // The send ledger was born with migrations: its version 1 is this DDL.
  await runDdl(pool, OUTBOUND_SENDS_DDL);
}

/** The schema as the catalogue has it: columns in order, constraints, indexes, functions and triggers (not the migrations' own table). */
async function catalogue(pool: Pool): Promise<string[]> {
  const r = await pool.query<{ line: string }>(`
    select 'column ' || c.table_name || '.' || c.column_name || ' #' || c.ordinal_position || ' ' || c.data_type || ' ' || c.is_nullable
           || ' ' || coalesce(c.column_default, '') || ' ' || coalesce(c.generation_expression, '') as line
      from information_schema.columns c where c.table_schema = 'public' and c.table_name <> 'hub_schema_migrations'
    union all
    select 'constraint ' || t.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
      from pg_constraint k join pg_class t on t.oid = k.conrelid join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'public' and t.relname <> 'hub_schema_migrations'
    union all
    select 'index ' || indexdef from pg_indexes where schemaname = 'public' and tablename <> 'hub_schema_migrations'
    union all
    select 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(p.prosrc)
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'
    union all
    select 'trigger ' || pg_get_triggerdef(g.oid) from pg_trigger g join pg_class t on t.oid = g.tgrelid join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'public' and not g.tgisinternal
    order by 1`);
  return r.rows.map((row) => row.line);
}

const components = HUB_SCHEMA.map((c) => c.component);
const allV1 = components.map((c) => `applied ${c}@1`);

describe('hub migrate', () => {
  let db: { url: string; drop(): Promise<void> };
  let pool: Pool;
  let env: NodeJS.ProcessEnv;
  let oldWay: string[];

  beforeAll(async () => {
    // The catalogue the old boot code produced, to compare with what the migrations make.
    const reference = await freshDatabase('cli_migrate_ref');
    const refPool = new Pool({ connectionString: reference.url, max: 4 });
    try {
      await createTheOldWay(refPool);
      oldWay = await catalogue(refPool);
    } finally {
      await refPool.end();
      await reference.drop();
    }
    expect(oldWay.filter((l) => l.startsWith('column ')).length).toBeGreaterThan(50);
  });

  beforeEach(async () => {
    db = await freshDatabase('cli_migrate');
    pool = new Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined);
    env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      HUB_KEK: TEST_KEK,
      LOG_LEVEL: 'error',
      NODE_ENV: 'test',
    };
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  describe('on an empty database', () => {
    it('status lists every component’s version 1 as pending; up applies them and makes the tables the old boot code made', async () => {
      const before = await runCli(['migrate', 'status'], env);
      expect(before.code).toBe(0);
      expect(before.stdout.split('\n')[0]).toMatch(/^COMPONENT\s+VERSION\s+NAME\s+STATUS\s+APPLIED AT\s+DOWN$/);
      for (const c of components) expect(before.stdout).toMatch(new RegExp(`^${c}\\s+1\\s+baseline\\s+pending\\s+drops data$`, 'm'));

      const up = await runCli(['migrate', 'up'], env);
      expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: '' });
      expect(up.stdout.trim().split('\n')).toEqual(allV1);
      expect(await catalogue(pool)).toEqual(oldWay);

      const again = await runCli(['migrate', 'up'], env);
      expect(again).toEqual({ code: 0, stdout: '', stderr: 'nothing to apply\n' });
      expect((await runCli(['migrate', 'status'], env)).stdout).not.toContain('pending');
    });
  });

  describe('on a database the old boot code created (a release before migrations)', () => {
    it('up records every version 1 without error, changes nothing, and keeps the rows', async () => {
      await createTheOldWay(pool);
      await pool.query("insert into hub_tenants (tenant_id, name) values ('acme', 'Acme')");

      const up = await runCli(['migrate', 'up'], env);
      expect({ code: up.code, stdout: up.stdout.trim().split('\n'), stderr: up.stderr }).toEqual({ code: 0, stdout: allV1, stderr: '' });
      expect(await catalogue(pool)).toEqual(oldWay);
      expect((await pool.query('select tenant_id from hub_tenants')).rows).toEqual([{ tenant_id: 'acme' }]);
      const recorded = await pool.query<{ component: string; version: number; name: string; checksum: string }>(
        'select component, version, name, checksum from hub_schema_migrations order by component',
      );
      expect(recorded.rows.map((r) => `${r.component}@${r.version} ${r.name}`)).toEqual(
        [...components].sort().map((c) => `${c}@1 baseline`),
      );
      expect(recorded.rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
    });
  });

  describe('after up', () => {
    beforeEach(async () => {
      expect((await runCli(['migrate', 'up'], env)).code).toBe(0);
    });

    it('down refuses to drop data without --force, naming the migration; nothing is reverted', async () => {
      const down = await runCli(['migrate', 'down'], env);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/^hub migrate: reverting api-keys@1 drops data .*repeat with --force\n$/);
      expect(await catalogue(pool)).toEqual(oldWay);
    });

    it('down --to timeline@0 --force drops the timeline only; up brings it back as it was (round trip)', async () => {
      const down = await runCli(['migrate', 'down', '--to', 'timeline@0', '--force'], env);
      expect({ code: down.code, stdout: down.stdout }).toEqual({ code: 0, stdout: 'reverted timeline@1\n' });
      const without = await catalogue(pool);
      expect(without.some((l) => l.includes('timeline_'))).toBe(false);
      expect(without.some((l) => l.includes('hub_events'))).toBe(true);
      expect((await runCli(['migrate', 'status'], env)).stdout).toMatch(/^timeline\s+1\s+baseline\s+pending/m);

      const up = await runCli(['migrate', 'up'], env);
      expect({ code: up.code, stdout: up.stdout }).toEqual({ code: 0, stdout: 'applied timeline@1\n' });
      expect(await catalogue(pool)).toEqual(oldWay);
    });

    it('a release whose migration differs from the applied one is told so by status and refused by up', async () => {
      await pool.query("update hub_schema_migrations set checksum = repeat('0', 64) where component = 'nba-outcomes'");
      expect((await runCli(['migrate', 'status'], env)).stdout).toMatch(/^nba-outcomes\s+1\s+baseline\s+changed/m);
      const up = await runCli(['migrate', 'up'], env);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain('applied migrations were edited since (checksum differs): nba-outcomes@1');
    });
  });

  it.each([
    [['migrate'], 'missing <status|up|down>'],
    [['migrate', 'sideways'], 'unknown subcommand "sideways"'],
    [['migrate', 'up', '--to', 'timeline'], '--to must be <component>@<version>'],
    [['migrate', 'status', '--to', 'timeline@1'], '--to is for up and down'],
    [['migrate', 'up', '--force'], '--force is for down'],
  ])('%j is a usage error (exit 2), nothing connects', async (argv, message) => {
    const r = await runCli(argv, { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('an unknown component or version is refused before anything runs', async () => {
    const r = await runCli(['migrate', 'up', '--to', 'nothing@1'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no component nothing (known: ${components.join(', ')})`);
    expect((await pool.query("select to_regclass('hub_schema_migrations') is null as none")).rows).toEqual([{ none: true }]);
  });
});
