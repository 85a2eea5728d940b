import type { Pool } from 'pg';
import { TimelineQueries, type ExportedItem } from '@hub/timeline';
import { CliFailure } from '../cli.errors';

/**
 * An entry of the live timeline read model as the CLI prints and exports it (the timeline query
 * side's `ExportedItem`). `customerId` is the customer whose stream holds the entry;
 * `timelineCustomerId` the customer whose timeline shows it (the survivor once merged).
 */
export type TimelineRow = ExportedItem;

/** Fails readably when the database has no timeline read model (the projector never ran there). */
export async function requireReadModel(pool: Pool, where = 'this database'): Promise<void> {
  if (!(await new TimelineQueries(pool).hasReadModel()))
    throw new CliFailure(
      'CLI_NO_READ_MODEL',
      `${where} has no timeline read model (timeline_entries): has the timeline projector ever run against it?`,
    );
}
