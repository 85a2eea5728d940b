import { createHash } from 'node:crypto';
import { HubError } from '@hub/contracts';

/**
 * One versioned change of a component's tables, as SQL (issue #18, item 4). Plain data, so that a
 * component declares its migrations beside the tables it owns (tools/architecture/sql-ownership)
 * without depending on how they are run, and so that what was applied can be checksummed.
 *
 * - `up` runs in one transaction with the record of it in `hub_schema_migrations`: both or neither.
 * - `down` undoes `up`, in one transaction with the removal of the record.
 * - `dropsData`: `down` destroys rows (a dropped table or column); `hub migrate down` then refuses
 *   unless `--force`.
 */
export interface SchemaMigration {
  /** 1, 2, 3, … in the order they apply; never reused or renumbered once released. */
  readonly version: number;
  /** A short kebab-case name (`baseline`, `timeline-entries-language`). */
  readonly name: string;
  readonly up: string;
  readonly down: string;
  readonly dropsData: boolean;
}

/** The migrations of one component (the project that owns the tables), in version order. */
export interface ComponentSchema {
  /** Stable: it keys the component's rows in `hub_schema_migrations` (`event-store`, `timeline`). */
  readonly component: string;
  readonly migrations: readonly SchemaMigration[];
}

/** What `hub_schema_migrations.checksum` holds: the SHA-256 of `up`, so an edited released migration is noticed. */
export function migrationChecksum(migration: Pick<SchemaMigration, 'up'>): string {
  return createHash('sha256').update(migration.up).digest('hex');
}

/** `component@version`, as the CLI takes and prints it. */
export function migrationLabel(component: string, version: number): string {
  return `${component}@${version}`;
}

/** A component's list is usable: versions 1..n in order, names unique and kebab-case, SQL present. */
export function validateComponentSchema(schema: ComponentSchema): void {
  if (!/^[a-z][a-z0-9-]*$/.test(schema.component))
    throw new RangeError(`component must be kebab-case, not ${JSON.stringify(schema.component)}`);
  schema.migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new RangeError(`${schema.component}: migration ${i + 1} has version ${m.version} (versions run 1, 2, 3, …)`);
    if (!/^[a-z][a-z0-9-]*$/.test(m.name)) throw new RangeError(`${migrationLabel(schema.component, m.version)}: name must be kebab-case`);
    if (m.up.trim() === '' || m.down.trim() === '')
      throw new RangeError(`${migrationLabel(schema.component, m.version)}: up and down are required`);
  });
}

export type SchemaMigrationErrorCode =
  | 'SCHEMA_MIGRATIONS_PENDING'
  | 'SCHEMA_MIGRATION_CHANGED'
  | 'SCHEMA_MIGRATION_UNKNOWN'
  | 'SCHEMA_DOWN_DROPS_DATA'
  | 'SCHEMA_MIGRATION_TARGET';

/** A schema that is not where the code needs it, or a request the migrator refuses. Permanent: an operator acts. */
export class SchemaMigrationError extends HubError {
  readonly retryable = false;
  constructor(
    readonly code: SchemaMigrationErrorCode,
    message: string,
    readonly migrations: readonly string[] = [],
  ) {
    super(message);
  }
}
