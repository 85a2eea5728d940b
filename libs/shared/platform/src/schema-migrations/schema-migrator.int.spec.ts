import { Pool } from 'pg';
import { freshDatabase } from '@hub/testing';
import { migrateAtBoot, SchemaMigrator } from './schema-migrator';
import { SchemaMigrationError, type ComponentSchema } from './schema-migration';

/** Two components of their own (the real ones are exercised by `hub migrate`'s spec). */
const notes: ComponentSchema = {
  component: 'notes',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: 'create table if not exists notes (id int primary key)',
      down: 'drop table notes',
      dropsData: true,
    },
    {
      version: 2,
      name: 'notes-index',
      up: 'create index notes_id_desc on notes (id desc)',
      down: 'drop index notes_id_desc',
      dropsData: false,
    },
  ],
};
const tags: ComponentSchema = {
  component: 'tags',
  migrations: [{ version: 1, name: 'baseline', up: 'create table tags (name text primary key)', down: 'drop table tags', dropsData: true }],
};

describe('SchemaMigrator', () => {
  let db: { url: string; drop(): Promise<void> };
  let pool: Pool;
  const exists = async (name: string) =>
    (await pool.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [name])).rows[0]!.ok;
  const recorded = async () =>
    (
      await pool.query<{ l: string }>("select component || '@' || version as l from hub_schema_migrations order by component, version")
    ).rows.map((r) => r.l);

  beforeEach(async () => {
    db = await freshDatabase('migrator');
    pool = new Pool({ connectionString: db.url, max: 4 });
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  describe('when the database is empty', () => {
    it('up applies every component in order and records each version with its checksum', async () => {
      const migrator = new SchemaMigrator(pool, [notes, tags]);
      expect((await migrator.status()).map((s) => s.status)).toEqual(['pending', 'pending', 'pending']);

      expect(await migrator.up()).toEqual(['notes@1', 'notes@2', 'tags@1']);

      expect(await exists('notes_id_desc')).toBe(true);
      expect(await exists('tags')).toBe(true);
      expect(await recorded()).toEqual(['notes@1', 'notes@2', 'tags@1']);
      expect((await migrator.status()).every((s) => s.status === 'applied' && s.appliedAt instanceof Date)).toBe(true);
      expect(await migrator.up()).toEqual([]);
    });

    it('up --to stops at that version of that component', async () => {
      const migrator = new SchemaMigrator(pool, [notes, tags]);
      expect(await migrator.up({ to: { component: 'notes', version: 1 } })).toEqual(['notes@1']);
      expect((await migrator.status()).map((s) => `${s.component}@${s.version} ${s.status}`)).toEqual([
        'notes@1 applied',
        'notes@2 pending',
        'tags@1 pending',
      ]);
      await expect(migrator.up({ to: { component: 'notes', version: 3 } })).rejects.toThrow('notes has no version 3');
    });

    it('a failing migration leaves neither its change nor its record (one transaction each)', async () => {
      const broken: ComponentSchema = {
        component: 'broken',
        migrations: [{ version: 1, name: 'half', up: 'create table half (id int); select 1/0', down: 'drop table half', dropsData: true }],
      };
      await expect(new SchemaMigrator(pool, [notes, broken]).up()).rejects.toThrow(/broken@1 \(up\) failed.*division by zero/);
      expect(await exists('half')).toBe(false);
      expect(await recorded()).toEqual(['notes@1', 'notes@2']);
    });
  });

  describe('when two processes migrate at once', () => {
    it('the migrations are applied once: the second waits for the lock and finds nothing pending', async () => {
      const other = new Pool({ connectionString: db.url, max: 4 });
      try {
        // Not idempotent: had both applied it, one would fail on the existing table.
        const strict: ComponentSchema = {
          component: 'strict',
          migrations: [
            { version: 1, name: 'baseline', up: 'create table strict_once (id int)', down: 'drop table strict_once', dropsData: true },
          ],
        };
        const [a, b] = await Promise.all([new SchemaMigrator(pool, [strict, tags]).up(), new SchemaMigrator(other, [strict, tags]).up()]);
        expect([...a, ...b].sort()).toEqual(['strict@1', 'tags@1']);
        expect(a.length === 0 || b.length === 0).toBe(true);
        expect(await recorded()).toEqual(['strict@1', 'tags@1']);
      } finally {
        await other.end();
      }
    });
  });

  describe('when migrations were applied', () => {
    let migrator: SchemaMigrator;
    beforeEach(async () => {
      migrator = new SchemaMigrator(pool, [notes, tags]);
      await migrator.up();
      await pool.query('insert into notes values (1)');
    });

    it('down reverts the latest applied migration only, and a down that keeps the rows needs no --force', async () => {
      // tags@1 was applied last, and it drops data: refused without force.
      await expect(migrator.down()).rejects.toMatchObject({ code: 'SCHEMA_DOWN_DROPS_DATA', migrations: ['tags@1'] });
      expect(await exists('tags')).toBe(true);

      expect(await migrator.down({ to: { component: 'notes', version: 1 } })).toEqual(['notes@2']);
      expect(await exists('notes_id_desc')).toBe(false);
      expect((await pool.query('select id from notes')).rows).toEqual([{ id: 1 }]);
    });

    it('down --to component@0 --force reverts the whole component; up then brings it back (round trip)', async () => {
      await expect(migrator.down({ to: { component: 'notes', version: 0 } })).rejects.toThrow(
        'reverting notes@1 drops data (tables or columns and their rows); back up first, then repeat with --force',
      );
      expect(await migrator.down({ to: { component: 'notes', version: 0 }, force: true })).toEqual(['notes@2', 'notes@1']);
      expect(await exists('notes')).toBe(false);
      expect(await recorded()).toEqual(['tags@1']);

      expect(await migrator.up()).toEqual(['notes@1', 'notes@2']);
      expect(await exists('notes_id_desc')).toBe(true);
      expect(await recorded()).toEqual(['notes@1', 'notes@2', 'tags@1']);
    });

    it('an applied migration edited since is reported as changed, and up and boot refuse', async () => {
      const edited: ComponentSchema = {
        ...notes,
        migrations: [{ ...notes.migrations[0]!, up: 'create table if not exists notes (id bigint primary key)' }, notes.migrations[1]!],
      };
      const after = new SchemaMigrator(pool, [edited, tags]);
      expect((await after.status()).map((s) => s.status)).toEqual(['changed', 'applied', 'applied']);
      await expect(after.up()).rejects.toMatchObject({ code: 'SCHEMA_MIGRATION_CHANGED', migrations: ['notes@1'] });
      await expect(migrateAtBoot(pool, [edited, tags], 'check')).rejects.toThrow(/edited since \(checksum differs\): notes@1/);
    });

    it('a version recorded by a newer release is unknown, and boot refuses it; another component’s rows are foreign and ignored', async () => {
      const older = new SchemaMigrator(pool, [{ ...notes, migrations: [notes.migrations[0]!] }]);
      expect((await older.status()).map((s) => `${s.component}@${s.version} ${s.status}`)).toEqual([
        'notes@1 applied',
        'notes@2 unknown',
        'tags@1 foreign',
      ]);
      await expect(migrateAtBoot(pool, [{ ...notes, migrations: [notes.migrations[0]!] }], 'auto')).rejects.toMatchObject({
        code: 'SCHEMA_MIGRATION_UNKNOWN',
      });
      await expect(migrateAtBoot(pool, [tags], 'check')).resolves.toBeUndefined();
    });
  });

  describe('at boot', () => {
    it('check mode refuses while anything is pending, naming it; auto mode applies it', async () => {
      const error = await migrateAtBoot(pool, [notes], 'check').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SchemaMigrationError);
      expect((error as SchemaMigrationError).message).toBe(
        'the database schema is not migrated: pending notes@1 (baseline), notes@2 (notes-index). Run `hub migrate up` (or start with HUB_MIGRATE=auto)',
      );
      expect(await exists('notes')).toBe(false);
      await migrateAtBoot(pool, [notes], 'auto');
      await expect(migrateAtBoot(pool, [notes], 'check')).resolves.toBeUndefined();
    });
  });

  it('refuses a component whose versions do not run 1, 2, 3', () => {
    expect(() => new SchemaMigrator(pool, [{ component: 'gap', migrations: [{ ...notes.migrations[1]! }] }])).toThrow(
      'gap: migration 1 has version 2',
    );
  });
});
