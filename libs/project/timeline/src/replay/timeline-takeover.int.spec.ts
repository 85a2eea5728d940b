import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Pool, type PoolClient } from 'pg';
import { ensurePostgresCheckpointSchema, PostgresCheckpointStore, PostgresEventStore } from '@hub/event-store';
import { eventually, freshDatabase, freshId } from '@hub/testing';
import { PostgresTimelineStore, TIMELINE_TABLES } from '../postgres.timeline.store';
import { TIMELINE_PROJECTION_ID } from '../timeline.projector';
import { TimelineQueries } from '../timeline.queries';
import { diffTimelines } from './timeline-diff';
import { dropRebuildSchema, TimelineRebuild, type ReplayDeps } from './timeline-rebuild';
import { takeOver, type TakeoverOptions } from './timeline-takeover';
import { entriesOf, fillVersion, TAKEOVER_CHILD_APPLICATION, versionIn } from './testing/takeover-fixtures';

/**
 * The takeover against real PostgreSQL, in a database of its own (it replaces every tenant's read
 * model). Each test writes an `old` version of a fresh tenant into the live tables and a `new` one
 * into a rebuild (testing/takeover-fixtures.ts), set-based, then takes over.
 */
jest.setTimeout(180_000);

const WORKSPACE = resolve(__dirname, '../../../../..');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ignore = (): void => undefined;

let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let store: PostgresEventStore;
let timeline: PostgresTimelineStore;
let queries: TimelineQueries;
let deps: ReplayDeps;
const options: TakeoverOptions = {
  liveSchema: 'public',
  projectionId: TIMELINE_PROJECTION_ID,
  lockTimeoutMs: 30_000,
  catchUpTimeoutMs: 60_000,
  allowEmpty: false,
};

beforeAll(async () => {
  db = await freshDatabase('takeover');
  pool = new Pool({ connectionString: db.url, max: 12 });
  // Connections are terminated on purpose below, and the database is dropped WITH (FORCE) at the end.
  pool.on('error', ignore);
  store = await PostgresEventStore.create({ pool });
  timeline = new PostgresTimelineStore(pool);
  queries = new TimelineQueries(pool);
  await timeline.ensureSchema();
  await queries.ensureSchema();
  await ensurePostgresCheckpointSchema(pool);
  deps = {
    pool,
    store,
    logger: quiet,
    openSchemaPool: (schema) => {
      const p = new Pool({ connectionString: db.url, max: 3, options: `-c search_path=${schema}` });
      p.on('error', ignore);
      return p;
    },
  };
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await db?.drop();
});

/** The live tables hold the tenant's `old` version; a rebuild (returned) its `new` one. */
async function given(tenant: string, customers: number): Promise<TimelineRebuild> {
  await fillVersion(pool, 'public', tenant, 'old', customers);
  await pool.query('analyze');
  const rebuild = await TimelineRebuild.create(deps, { batchSize: 500 });
  await fillVersion(pool, rebuild.schema, tenant, 'new', customers);
  return rebuild;
}

/** Indexes (name and definition) and privileges of the live tables: what a swap must keep. */
async function liveTableShape(): Promise<unknown> {
  const r = await pool.query(
    `select c.relname, c.relacl::text as acl, c.relpersistence,
            array(select i.indexname || ' ' || regexp_replace(i.indexdef, '^.* USING ', '') from pg_indexes i where i.schemaname = 'public' and i.tablename = c.relname order by 1) as indexes,
            array(select a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns
       from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname like 'timeline\\_%' and c.relkind = 'r' and c.relname <> 'timeline_replay_runs' order by 1`,
  );
  return r.rows;
}

const schemasLike = async (pattern: string) =>
  (await pool.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1 order by 1', [pattern])).rows.map(
    (r) => r.nspname,
  );

interface Read {
  reader: string;
  started: number;
  ended: number;
  version?: string;
  error?: string;
}

/** Real query functions, each one SQL statement over the tables it reads, and the version it saw. */
function readers(tenant: string): Record<string, () => Promise<string>> {
  const one = (texts: string[]): string => {
    const versions = new Set(texts.map((t) => t.split(' ')[0]));
    return versions.size === 1 ? [...versions][0]! : `mixed texts ${[...versions].join(',')}`;
  };
  return {
    // entries and, in the same statement, the customers merged into f0 (f1 in old, f2 in new)
    getTimeline: async () => {
      const entries = await timeline.getTimeline(tenant, 'f0', { limit: 100 });
      const version = one(entries.map((e) => e.text ?? ''));
      const members = [...new Set(entries.map((e) => e.customerId))].sort().join(',');
      const expected = version === 'old' ? 'f0,f1' : 'f0,f2';
      return members === expected ? version : `mixed: ${version} texts, members ${members}`;
    },
    // members first, then the page: two statements, each of one version
    timelinePage: async () => one((await queries.timeline(tenant, 'c42', {}, { limit: 20 })).entries.map((e) => e.text ?? '')),
    customer: async () => (await timeline.getCustomer(tenant, 'c7'))?.channels.join(',') ?? 'missing',
  };
}

/** Runs every reader in a loop until `stop` (at most 200,000 reads each), recording each read. */
function readContinuously(tenant: string): { reads: Read[]; stop(): Promise<void> } {
  const reads: Read[] = [];
  let reading = true;
  const loops = Object.entries(readers(tenant)).map(async ([reader, read]) => {
    for (let n = 0; reading && n < 200_000; n++) {
      const started = performance.now();
      try {
        const version = await read();
        reads.push({ reader, started, ended: performance.now(), version });
      } catch (err) {
        reads.push({ reader, started, ended: performance.now(), error: String(err) });
      }
    }
  });
  return {
    reads,
    stop: async () => {
      reading = false;
      await Promise.all(loops);
    },
  };
}

const readsOf = (reads: Read[], reader: string) => reads.filter((r) => r.reader === reader);

describe('takeover of the whole read model', () => {
  describe('when readers keep reading while a 50,000-entry rebuild is swapped in', () => {
    it('never fails a read, every read sees the old or the new version whole, the old before and the new after; indexes and privileges stay', async () => {
      const tenant = freshId('tk').toLowerCase();
      const customers = 4_997;
      await pool.query('grant select on timeline_entries, timeline_customers to public');
      const rebuild = await given(tenant, customers);
      const shapeBefore = await liveTableShape();
      const reading = readContinuously(tenant);
      let result: Awaited<ReturnType<typeof takeOver>>;
      let window: [number, number];
      try {
        await eventually(
          async () => (Object.keys(readers(tenant)).every((r) => readsOf(reading.reads, r).length >= 5) ? true : undefined),
          { what: 'reads before' },
        );
        const t0 = performance.now();
        result = await takeOver(pool, rebuild, options);
        window = [t0, performance.now()];
        const after = reading.reads.length;
        await eventually(async () => (reading.reads.slice(after).length >= 15 ? true : undefined), { what: 'reads after' });
      } finally {
        await reading.stop();
      }
      try {
        const { reads } = reading;
        expect(reads.filter((r) => r.error)).toEqual([]);
        expect(reads.filter((r) => r.version !== 'old' && r.version !== 'new')).toEqual([]);
        for (const reader of Object.keys(readers(tenant))) {
          const seen = readsOf(reads, reader).map((r) => r.version!);
          // old … old new … new: never back to old once new was seen
          expect(seen.join(' ')).toMatch(/^(old )+(new ?)+$/);
        }
        expect(reads.filter((r) => r.ended < window[0]).every((r) => r.version === 'old')).toBe(true);
        expect(reads.filter((r) => r.started > window[1]).every((r) => r.version === 'new')).toBe(true);

        expect(result).toMatchObject({ method: 'swap', copyReason: null, replacedTablesIn: rebuild.schema, columnsOnlyLive: {} });
        expect(result.tables.timeline_entries).toEqual({ deleted: entriesOf(customers), inserted: entriesOf(customers) });
        expect(result.tables.timeline_customers).toEqual({ deleted: customers + 3, inserted: customers + 3 });
        expect(await versionIn(pool, 'public', tenant)).toBe('new');
        expect(await versionIn(pool, rebuild.schema, tenant)).toBe('old');
        expect(await liveTableShape()).toEqual(shapeBefore);
        expect(await schemasLike('%\\_swap')).toEqual([]);

        const during = reads.filter((r) => r.ended >= window[0] && r.started <= window[1]);
        const before = reads.filter((r) => r.ended < window[0]);
        const max = (rs: Read[]) => Math.max(0, ...rs.map((r) => r.ended - r.started)).toFixed(1);
        // Reported, not asserted (no timing assertions): see the report of the change.
        process.stderr.write(
          `[takeover] ${entriesOf(customers)} entries swapped: lock held ${result.lockedMs} ms (${result.lockAttempts} attempt(s)), takeover ${(window[1] - window[0]).toFixed(0)} ms ` +
            `(prepare ${result.prepareMs} ms); ${reads.length} reads, ${during.length} during the takeover, max read latency during it ${max(during)} ms, before it ${max(before)} ms\n`,
        );
      } finally {
        await rebuild.drop();
      }
    });
  });

  describe('when the live projector writes after a swap, and a statement was prepared before it', () => {
    it('writes into the new tables and notifies hub_timeline; the prepared statement reads the new tables', async () => {
      const tenant = freshId('tw').toLowerCase();
      const rebuild = await given(tenant, 10);
      const listener = new Client({ connectionString: db.url });
      listener.on('error', ignore);
      await listener.connect();
      const prepared: PoolClient = await pool.connect();
      try {
        const notes: string[] = [];
        listener.on('notification', (n) => notes.push(n.payload ?? ''));
        await listener.query('listen hub_timeline');
        const firstText = {
          name: 'takeover-first-text',
          text: "select text from timeline_entries where tenant_id = $1 and customer_id = 'c3' order by occurred_at limit 1",
          values: [tenant],
        };
        expect((await prepared.query<{ text: string }>(firstText)).rows).toEqual([{ text: 'old c3 1' }]);

        expect((await takeOver(pool, rebuild, options)).method).toBe('swap');

        expect((await prepared.query<{ text: string }>(firstText)).rows).toEqual([{ text: 'new c3 1' }]);
        await timeline.merge(tenant, 'c5', 'c4');
        await eventually(async () => (notes.includes(`${tenant}:c4`) ? true : undefined), { what: 'the notification', timeoutMs: 10_000 });
        const merged = `select merged_into from %s.timeline_customers where tenant_id = $1 and customer_id = 'c5'`;
        expect((await pool.query(merged.replace('%s', 'public'), [tenant])).rows).toEqual([{ merged_into: 'c4' }]);
        expect((await pool.query(merged.replace('%s', rebuild.schema), [tenant])).rows).toEqual([{ merged_into: null }]);
      } finally {
        prepared.release();
        await listener.end();
        await rebuild.drop();
      }
    });
  });

  describe('when a view depends on a live table', () => {
    it('copies the rows instead of swapping (a view follows its table by oid), and says why', async () => {
      const tenant = freshId('tv').toLowerCase();
      const rebuild = await given(tenant, 20);
      await pool.query("create view timeline_texts as select tenant_id, text from timeline_entries where customer_id = 'f0'");
      try {
        const result = await takeOver(pool, rebuild, options);
        expect(result).toMatchObject({ method: 'copy', replacedTablesIn: null });
        expect(result.copyReason).toContain('view timeline_texts');
        expect(result.tables.timeline_entries.inserted).toBe(entriesOf(20));
        expect(await versionIn(pool, 'public', tenant)).toBe('new');
        const texts = await pool.query<{ text: string }>('select text from timeline_texts where tenant_id = $1', [tenant]);
        expect(new Set(texts.rows.map((r) => r.text.split(' ')[0]))).toEqual(new Set(['new']));
      } finally {
        await pool.query('drop view timeline_texts');
        await rebuild.drop();
      }
    });
  });
});

describe('takeover of one tenant', () => {
  describe('when a reader holds the live tables in an open transaction', () => {
    it("copies the tenant's rows without waiting for the reader (only writers are locked out), and leaves the other tenants alone", async () => {
      const [tenant, other] = [freshId('t1').toLowerCase(), freshId('t2').toLowerCase()];
      await fillVersion(pool, 'public', tenant, 'old', 10);
      await fillVersion(pool, 'public', other, 'old', 10);
      const rebuild = await TimelineRebuild.create(deps, { tenantId: tenant, batchSize: 500 });
      const reader = await pool.connect();
      try {
        await fillVersion(pool, rebuild.schema, tenant, 'new', 10);
        await reader.query('begin');
        await reader.query('select count(*) from timeline_entries where tenant_id = $1', [tenant]);

        const result = await takeOver(pool, rebuild, { ...options, lockTimeoutMs: 5_000 });

        expect(result).toMatchObject({ method: 'copy', copyReason: expect.stringContaining('one tenant'), checkpoint: null });
        expect(result.tables.timeline_entries).toEqual({ deleted: entriesOf(10), inserted: entriesOf(10) });
        const seen = await reader.query<{ text: string }>(
          "select text from timeline_entries where tenant_id = $1 and customer_id = 'c1' order by occurred_at limit 1",
          [tenant],
        );
        expect(seen.rows).toEqual([{ text: 'new c1 1' }]);
        await reader.query('commit');
        expect(await versionIn(pool, 'public', tenant)).toBe('new');
        expect(await versionIn(pool, 'public', other)).toBe('old');
      } finally {
        await reader.query('rollback').catch(ignore);
        reader.release();
        await rebuild.drop();
      }
    });
  });
});

describe('when another component added a column to a live table', () => {
  it('the rebuild has it too but does not project it: the diff leaves it out, the swap keeps it (at its default) and reports it', async () => {
    const tenant = freshId('tc').toLowerCase();
    await pool.query("alter table timeline_entries add column hub_test_note text not null default 'none'");
    const rebuild = await given(tenant, 10);
    try {
      expect(rebuild.columnsNotProjected).toEqual({ timeline_entries: ['hub_test_note'] });
      await pool.query("update timeline_entries set hub_test_note = 'noted' where tenant_id = $1", [tenant]);
      const diff = await diffTimelines(pool, store, {
        liveSchema: 'public',
        rebuildSchema: rebuild.schema,
        tenantId: tenant,
        rebuiltUpTo: 0n,
        projectionId: TIMELINE_PROJECTION_ID,
        limit: 1,
        notProjected: ['hub_test_note'],
      });
      expect(diff).toMatchObject({ changed: entriesOf(10), columnsOnlyLive: ['hub_test_note'], columnsOnlyRebuilt: [] });
      expect(diff.first[0]!.changed[0]!.columns).toEqual(['text']);

      const result = await takeOver(pool, rebuild, options);
      expect(result).toMatchObject({ method: 'swap', columnsOnlyLive: { timeline_entries: ['hub_test_note'] } });
      const notes = await pool.query<{ note: string }>('select distinct hub_test_note as note from timeline_entries where tenant_id = $1', [
        tenant,
      ]);
      expect(notes.rows).toEqual([{ note: 'none' }]);
    } finally {
      await pool.query('alter table timeline_entries drop column hub_test_note');
      await rebuild.drop();
    }
  });
});

describe('free-text search after a takeover', () => {
  /** The live search column is still generated from text and indexed, and finds the new version's text, not the old one's. */
  async function searchServesNew(tenant: string): Promise<void> {
    const column = await pool.query(
      "select is_generated from information_schema.columns where table_schema = 'public' and table_name = 'timeline_entries' and column_name = 'search'",
    );
    expect(column.rows).toEqual([{ is_generated: 'ALWAYS' }]);
    const index = await pool.query("select indexdef from pg_indexes where schemaname = 'public' and indexname = 'timeline_entries_search'");
    expect(index.rows[0]?.indexdef).toContain('USING gin (search)');
    expect((await queries.timeline(tenant, 'c0', { q: 'new c0' })).entries).toHaveLength(10);
    expect((await queries.timeline(tenant, 'c0', { q: 'old' })).entries).toEqual([]);
    expect((await queries.searchCustomers(tenant, { q: 'c1' })).customers.map((c) => c.customerId)).toEqual(['c1']);
  }

  it('when the whole read model is swapped in, the rebuilt tables (created LIKE the live ones) carry the search column and its index', async () => {
    const tenant = freshId('ts').toLowerCase();
    const rebuild = await given(tenant, 3);
    try {
      expect(await takeOver(pool, rebuild, options)).toMatchObject({ method: 'swap' });
      await searchServesNew(tenant);
    } finally {
      await rebuild.drop();
    }
  });

  it("when one tenant's rows are copied, the live table computes the search column of the copied text", async () => {
    const tenant = freshId('ts').toLowerCase();
    await fillVersion(pool, 'public', tenant, 'old', 3);
    const rebuild = await TimelineRebuild.create(deps, { tenantId: tenant, batchSize: 500 });
    try {
      await fillVersion(pool, rebuild.schema, tenant, 'new', 3);
      expect(await takeOver(pool, rebuild, options)).toMatchObject({ method: 'copy' });
      await searchServesNew(tenant);
    } finally {
      await rebuild.drop();
    }
  });
});

describe('an interrupted takeover', () => {
  /** Holds the live checkpoint's row: the takeover, which sets it after exchanging the tables, waits there (in its transaction). */
  async function holdCheckpointRow(): Promise<{ release(): Promise<void> }> {
    await new PostgresCheckpointStore(pool).save(TIMELINE_PROJECTION_ID, 0n);
    const holder = await pool.connect();
    await holder.query('begin');
    await holder.query('select * from hub_checkpoints where subscription_id = $1 for update', [TIMELINE_PROJECTION_ID]);
    return {
      release: async () => {
        await holder.query('rollback');
        holder.release();
      },
    };
  }

  /** Backends waiting for a lock in a statement on hub_checkpoints (the takeover's checkpoint). */
  const waitingOnCheckpoint = async (application?: string): Promise<number[]> =>
    (
      await pool.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'
            and query like '%hub_checkpoints%' and ($1::text is null or application_name = $1)`,
        [application ?? null],
      )
    ).rows.map((r) => r.pid);

  /**
   * The rebuilt tables `pid` holds ACCESS EXCLUSIVE: all TIMELINE_TABLES once its transaction exchanged them (nothing
   * else in a takeover locks them so), whatever the catalog says outside that transaction.
   */
  const exchangedBy = async (pid: number, schema: string): Promise<number> =>
    Number(
      (
        await pool.query<{ n: string }>(
          `select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation
            where l.pid = $1 and l.mode = 'AccessExclusiveLock' and l.granted and c.relnamespace = $2::regnamespace and c.relkind = 'r' and c.relname like 'timeline\\_%'`,
          [pid, schema],
        )
      ).rows[0]!.n,
    );

  describe('when its connection is killed after the tables were exchanged, before the commit', () => {
    it('leaves the old version live, whole, and the rebuild unchanged; taking over again then works', async () => {
      const tenant = freshId('tx').toLowerCase();
      const rebuild = await given(tenant, 200);
      const holder = await holdCheckpointRow();
      let outcome: { error?: unknown } | undefined;
      try {
        const running = takeOver(pool, rebuild, { ...options, lockTimeoutMs: 120_000 }).then(
          () => (outcome = {}),
          (error: unknown) => (outcome = { error }),
        );
        // It retries after a lock timeout: terminate whichever attempt is waiting, until it gives up.
        const exchanged: number[] = [];
        await eventually(
          async () => {
            for (const pid of await waitingOnCheckpoint()) {
              if ((await exchangedBy(pid, rebuild.schema)) !== TIMELINE_TABLES.length) continue;
              exchanged.push(pid);
              await pool.query('select pg_terminate_backend($1)', [pid]);
            }
            await Promise.race([running, new Promise((r) => setTimeout(r, 100))]);
            return outcome;
          },
          { what: 'the takeover to fail', timeoutMs: 60_000, intervalMs: 10 },
        );
        expect(String(outcome!.error)).toMatch(/terminating connection|Connection terminated/);
        expect(exchanged.length).toBeGreaterThan(0);
        expect(await versionIn(pool, 'public', tenant)).toBe('old');
      } finally {
        await holder.release();
      }
      try {
        expect(await versionIn(pool, 'public', tenant)).toBe('old');
        expect(await new PostgresCheckpointStore(pool).load(TIMELINE_PROJECTION_ID)).toBe(0n);
        expect(await versionIn(pool, rebuild.schema, tenant)).toBe('new');
        expect(await schemasLike('%\\_swap')).toEqual([]);

        expect((await takeOver(pool, rebuild, options)).method).toBe('swap');
        expect(await versionIn(pool, 'public', tenant)).toBe('new');
      } finally {
        await rebuild.drop();
      }
    });
  });

  describe('when the process taking over is killed (SIGKILL) after the tables were exchanged, before the commit', () => {
    it('leaves the old version live, whole; its rebuild schema is left behind for the cleanup', async () => {
      const tenant = freshId('tk').toLowerCase();
      await fillVersion(pool, 'public', tenant, 'old', 200);
      const holder = await holdCheckpointRow();
      const child = spawn(
        process.execPath,
        ['-r', '@swc-node/register', join('libs', 'project', 'timeline', 'src', 'replay', 'testing', 'takeover-child.ts')],
        {
          cwd: WORKSPACE,
          env: {
            ...process.env,
            DATABASE_URL: db.url,
            TENANT: tenant,
            CUSTOMERS: '200',
            SWC_NODE_PROJECT: join(WORKSPACE, 'tsconfig.json'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
      let schema = '';
      try {
        // Killed while its transaction has exchanged the tables and waits to set the checkpoint.
        await eventually(
          async () => {
            schema = /rebuild (\S+)/.exec(out)?.[1] ?? '';
            for (const pid of schema ? await waitingOnCheckpoint(TAKEOVER_CHILD_APPLICATION) : [])
              if ((await exchangedBy(pid, schema)) === TIMELINE_TABLES.length) return true;
            return undefined;
          },
          { what: `the child's takeover to wait (output: ${out})`, timeoutMs: 90_000, intervalMs: 10 },
        );
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await holder.release();
      }
      // Its server sessions end when they next read from the dead client: no commit ever came.
      await eventually(
        async () =>
          (await pool.query('select 1 from pg_stat_activity where application_name = $1', [TAKEOVER_CHILD_APPLICATION])).rowCount === 0
            ? true
            : undefined,
        { what: "the child's sessions to end" },
      );
      expect(await versionIn(pool, 'public', tenant)).toBe('old');
      expect(await new PostgresCheckpointStore(pool).load(TIMELINE_PROJECTION_ID)).toBe(0n);
      expect(await schemasLike('%\\_swap')).toEqual([]);
      expect(schema).toMatch(/^timeline_rebuild_\d{14}$/);
      expect(await versionIn(pool, schema, tenant)).toBe('new');
      await dropRebuildSchema(pool, schema);
      expect(await schemasLike('timeline\\_rebuild\\_%')).toEqual([]);
    });
  });
});

describe('a rebuild', () => {
  it('commits asynchronously (synchronous_commit off on its connections): it is never resumed, a crashed one is dropped', async () => {
    const rebuild = await TimelineRebuild.create(deps, { batchSize: 500 });
    try {
      expect((await rebuild.pool.query<{ synchronous_commit: string }>('show synchronous_commit')).rows[0]!.synchronous_commit).toBe('off');
    } finally {
      await rebuild.drop();
    }
  });
});
