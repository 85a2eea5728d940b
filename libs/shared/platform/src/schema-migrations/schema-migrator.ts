import type { Pool, PoolClient } from 'pg';
import type * as UmzugModule from 'umzug';
import type { HubLogger } from '../logger';
import {
  migrationChecksum,
  migrationLabel,
  SchemaMigrationError,
  validateComponentSchema,
  type ComponentSchema,
  type SchemaMigration,
} from './schema-migration';

/**
 * The one record of what is applied: a row per (component, version). Created by the migrator itself
 * (it owns the table: tools/architecture/sql-ownership), never by a component.
 */
const MIGRATIONS_TABLE_DDL = `
create table if not exists hub_schema_migrations (
  component text not null,
  version integer not null check (version > 0),
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  primary key (component, version)
)`;

/**
 * umzug, loaded when there is something to apply or revert rather than at start: its index brings its
 * command line (@rushstack/ts-command-line and node-core-library, z-schema, argparse, fs-extra,
 * cli-progress: some 180 modules, 7–8 MiB of resident memory), and an app that boots on a migrated
 * database (HUB_MIGRATE=check, or auto with nothing pending) only reads `hub_schema_migrations`
 * (docs/benchmarks.md, "Session 12").
 */
let umzugLoaded: typeof UmzugModule | undefined;
function umzugModule(): typeof UmzugModule {
  umzugLoaded ??= require('umzug') as typeof UmzugModule;
  return umzugLoaded;
}

/** Session lock held while migrating: two processes booting at once never both migrate. */
const LOCK_KEY = 'hub.schema-migrations';

/**
 * - `applied`: recorded, and the code's `up` has the recorded checksum;
 * - `pending`: in the code, not recorded;
 * - `changed`: recorded, but the code's `up` differs from what was applied (a released migration was edited);
 * - `unknown`: recorded for a component this process knows, at a version its code does not have
 *   (the database was migrated by a newer release);
 * - `foreign`: recorded for a component this process does not run (another app's).
 */
export type MigrationStatus = 'applied' | 'pending' | 'changed' | 'unknown' | 'foreign';

export interface MigrationState {
  component: string;
  version: number;
  name: string;
  status: MigrationStatus;
  appliedAt: Date | null;
  /** What the code would record (null for `unknown` and `foreign`). */
  checksum: string | null;
  dropsData: boolean;
}

/** `component@version`: up to and including it; down to it (it stays applied; `@0` reverts all). */
export interface MigrationTarget {
  component: string;
  version: number;
}

interface Recorded {
  component: string;
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

interface Context {
  client: PoolClient;
}

/**
 * Versioned schema migrations, per component, on umzug (its ordering, pending/executed bookkeeping
 * and up/down runs) with a PostgreSQL storage: `hub_schema_migrations`. Each migration runs in its
 * own transaction together with its record; the whole run holds a session advisory lock.
 */
export class SchemaMigrator {
  private readonly components: readonly ComponentSchema[];

  constructor(
    private readonly pool: Pool,
    components: readonly ComponentSchema[],
    private readonly logger?: HubLogger,
  ) {
    const names = new Set<string>();
    for (const c of components) {
      validateComponentSchema(c);
      if (names.has(c.component)) throw new RangeError(`component ${c.component} is listed twice`);
      names.add(c.component);
    }
    this.components = components;
  }

  /** Every migration of the known components, and every recorded one, in component then version order. */
  async status(): Promise<MigrationState[]> {
    const client = await this.pool.connect();
    try {
      return this.statesOf(await this.recorded(client));
    } finally {
      client.release();
    }
  }

  /** Applies what is pending (all of it, or one component's up to `to`); the labels applied, in order. */
  async up(options: { to?: MigrationTarget } = {}): Promise<string[]> {
    const { to } = options;
    if (to) this.migrationOf(to.component, to.version, 'up');
    return this.locked(async (client) => {
      const states = this.statesOf(await this.recorded(client));
      refuseDrift(states);
      const applied: string[] = [];
      for (const component of this.components) {
        if (to && to.component !== component.component) continue;
        const plan = states
          .filter((s) => s.component === component.component && s.status === 'pending' && (!to || s.version <= to.version))
          .map((s) => migrationLabel(s.component, s.version));
        if (plan.length === 0) continue;
        await this.run(client, component, 'up', plan);
        applied.push(...plan);
      }
      return applied;
    });
  }

  /**
   * Reverts the last applied migration (of any component: the latest applied), or one component's
   * down to `to` (which stays applied). Refuses a `down` that drops data unless `force`.
   */
  async down(options: { to?: MigrationTarget; force?: boolean } = {}): Promise<string[]> {
    const { to, force = false } = options;
    if (to && to.version !== 0) this.migrationOf(to.component, to.version, 'down');
    if (to && !this.components.some((c) => c.component === to.component))
      throw new SchemaMigrationError('SCHEMA_MIGRATION_TARGET', `no component ${to.component} (known: ${this.known()})`);
    return this.locked(async (client) => {
      const states = this.statesOf(await this.recorded(client));
      refuseDrift(states);
      const applied = states.filter((s) => s.status === 'applied');
      const reverted = to
        ? applied.filter((s) => s.component === to.component && s.version > to.version).sort((a, b) => b.version - a.version)
        : applied
            .sort(
              (a, b) => b.appliedAt!.getTime() - a.appliedAt!.getTime() || b.version - a.version || b.component.localeCompare(a.component),
            )
            .slice(0, 1);
      if (reverted.length === 0) return [];
      const destructive = reverted.filter((s) => s.dropsData).map((s) => migrationLabel(s.component, s.version));
      if (destructive.length > 0 && !force)
        throw new SchemaMigrationError(
          'SCHEMA_DOWN_DROPS_DATA',
          `reverting ${destructive.join(', ')} drops data (tables or columns and their rows); back up first, then repeat with --force`,
          destructive,
        );
      const component = this.components.find((c) => c.component === reverted[0]!.component)!;
      const plan = reverted.map((s) => migrationLabel(s.component, s.version));
      await this.run(client, component, 'down', plan);
      return plan;
    });
  }

  /** Runs `plan` (labels, in order) through umzug, one transaction per migration with its record. */
  private async run(client: PoolClient, component: ComponentSchema, direction: 'up' | 'down', plan: string[]): Promise<void> {
    const { Umzug } = umzugModule();
    const umzug = new Umzug<Context>({
      migrations: component.migrations.map((m) => ({
        name: migrationLabel(component.component, m.version),
        up: async ({ context }) => context.client.query(m.up),
        down: async ({ context }) => context.client.query(m.down),
      })),
      context: { client },
      storage: new PostgresMigrationStorage(component),
      logger: undefined,
    });
    const begin = async () => void (await client.query('begin'));
    const commit = async ({ name }: { name: string }) => {
      await client.query('commit');
      this.logger?.info({ migration: name, direction }, direction === 'up' ? 'schema.migration.applied' : 'schema.migration.reverted');
    };
    umzug.on(direction === 'up' ? 'migrating' : 'reverting', begin);
    umzug.on(direction === 'up' ? 'migrated' : 'reverted', commit);
    try {
      if (direction === 'up') await umzug.up({ migrations: plan });
      else await umzug.down({ migrations: plan });
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  }

  private async locked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      // Waits as long as the other process migrates (the pool's lock_timeout would end the wait).
      await client.query('set lock_timeout = 0');
      await client.query(`select pg_advisory_lock(hashtextextended($1, 0))`, [LOCK_KEY]);
      await client.query('reset lock_timeout');
      try {
        await client.query(MIGRATIONS_TABLE_DDL);
        return await work(client);
      } finally {
        await client.query(`select pg_advisory_unlock(hashtextextended($1, 0))`, [LOCK_KEY]).catch((err: Error) => (broken = err));
      }
    } finally {
      client.release(broken);
    }
  }

  private async recorded(client: PoolClient): Promise<Recorded[]> {
    const present = await client.query<{ present: boolean }>("select to_regclass('hub_schema_migrations') is not null as present");
    if (!present.rows[0]?.present) return [];
    const r = await client.query<Recorded>(
      'select component, version, name, checksum, applied_at from hub_schema_migrations order by component, version',
    );
    return r.rows;
  }

  private statesOf(recorded: readonly Recorded[]): MigrationState[] {
    const out: MigrationState[] = [];
    for (const component of this.components) {
      for (const m of component.migrations) {
        const row = recorded.find((r) => r.component === component.component && r.version === m.version);
        const checksum = migrationChecksum(m);
        out.push({
          component: component.component,
          version: m.version,
          name: m.name,
          status: !row ? 'pending' : row.checksum === checksum ? 'applied' : 'changed',
          appliedAt: row?.applied_at ?? null,
          checksum,
          dropsData: m.dropsData,
        });
      }
    }
    for (const row of recorded) {
      const component = this.components.find((c) => c.component === row.component);
      if (component?.migrations.some((m) => m.version === row.version)) continue;
      out.push({
        component: row.component,
        version: row.version,
        name: row.name,
        status: component ? 'unknown' : 'foreign',
        appliedAt: row.applied_at,
        checksum: null,
        dropsData: false,
      });
    }
    return out;
  }

  private migrationOf(component: string, version: number, direction: 'up' | 'down'): SchemaMigration {
    const c = this.components.find((x) => x.component === component);
    if (!c) throw new SchemaMigrationError('SCHEMA_MIGRATION_TARGET', `no component ${component} (known: ${this.known()})`);
    const m = c.migrations.find((x) => x.version === version);
    if (!m)
      throw new SchemaMigrationError(
        'SCHEMA_MIGRATION_TARGET',
        `${component} has no version ${version} to migrate ${direction} to (it has 1..${c.migrations.length})`,
      );
    return m;
  }

  private known(): string {
    return this.components.map((c) => c.component).join(', ');
  }
}

/** Refuses to go on while the database disagrees with the code about what was applied. */
function refuseDrift(states: readonly MigrationState[]): void {
  const changed = states.filter((s) => s.status === 'changed').map((s) => migrationLabel(s.component, s.version));
  if (changed.length > 0)
    throw new SchemaMigrationError(
      'SCHEMA_MIGRATION_CHANGED',
      `applied migrations were edited since (checksum differs): ${changed.join(', ')}; released migrations are never changed: add a new version instead`,
      changed,
    );
  const unknown = states.filter((s) => s.status === 'unknown').map((s) => migrationLabel(s.component, s.version));
  if (unknown.length > 0)
    throw new SchemaMigrationError(
      'SCHEMA_MIGRATION_UNKNOWN',
      `the database has migrations this release does not know: ${unknown.join(', ')} (migrated by a newer release: run that release's hub migrate down first)`,
      unknown,
    );
}

/** umzug's storage for one component: its rows of `hub_schema_migrations`, written on the migration's own transaction. */
class PostgresMigrationStorage implements UmzugModule.UmzugStorage<Context> {
  private readonly byLabel: Map<string, SchemaMigration>;

  constructor(private readonly component: ComponentSchema) {
    this.byLabel = new Map(component.migrations.map((m) => [migrationLabel(component.component, m.version), m]));
  }

  async logMigration({ name, context }: { name: string; context: Context }): Promise<void> {
    const m = this.byLabel.get(name)!;
    await context.client.query('insert into hub_schema_migrations (component, version, name, checksum) values ($1, $2, $3, $4)', [
      this.component.component,
      m.version,
      m.name,
      migrationChecksum(m),
    ]);
  }

  async unlogMigration({ name, context }: { name: string; context: Context }): Promise<void> {
    const m = this.byLabel.get(name)!;
    await context.client.query('delete from hub_schema_migrations where component = $1 and version = $2', [
      this.component.component,
      m.version,
    ]);
  }

  async executed({ context }: { context: Context }): Promise<string[]> {
    const r = await context.client.query<{ version: number }>(
      'select version from hub_schema_migrations where component = $1 order by version',
      [this.component.component],
    );
    return r.rows.map((row) => migrationLabel(this.component.component, row.version));
  }
}

/** `auto`: apply what is pending at boot; `check`: refuse to start while anything is pending. */
export type SchemaMigrateMode = 'auto' | 'check';

/**
 * What an app runs before it touches its tables: in `auto` mode it migrates its components (under
 * the lock: the first instance migrates, the others wait and find nothing to do); in `check` mode
 * it throws, naming what is pending, unless `hub migrate up` was run. Either way it refuses a
 * database whose applied migrations were edited or are newer than this release.
 */
export async function migrateAtBoot(
  pool: Pool,
  components: readonly ComponentSchema[],
  mode: SchemaMigrateMode,
  logger?: HubLogger,
): Promise<void> {
  const migrator = new SchemaMigrator(pool, components, logger);
  if (mode === 'auto') {
    const applied = await migrator.up();
    if (applied.length > 0) logger?.info({ applied }, 'schema.migrations.up_at_boot');
    return;
  }
  const states = await migrator.status();
  refuseDrift(states);
  const pending = states.filter((s) => s.status === 'pending').map((s) => `${migrationLabel(s.component, s.version)} (${s.name})`);
  if (pending.length > 0)
    throw new SchemaMigrationError(
      'SCHEMA_MIGRATIONS_PENDING',
      `the database schema is not migrated: pending ${pending.join(', ')}. Run \`hub migrate up\` (or start with HUB_MIGRATE=auto)`,
      pending,
    );
}
