import type { ComponentSchema } from '@hub/platform';
import { TIMELINE_DDL, TIMELINE_TABLES } from './postgres.timeline.store';
import { REPLAY_RUNS_DDL } from './replay/replay-runs';
import { TIMELINE_QUERY_DDL } from './timeline.queries';

/**
 * The timeline's migrations, in the live schema (`current_schema()`; a rebuild's shadow schema is
 * made by `createTablesLike`, not migrated). Version 1 is what the projector, the query side and the
 * replay runs created at boot before migrations existed, unchanged and idempotent, under the lock
 * `PostgresTimelineStore.ensureSchema` takes.
 */
export const TIMELINE_SCHEMA = {
  component: 'timeline',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtext('hub.timeline.schema'));
${TIMELINE_DDL}
${TIMELINE_QUERY_DDL};
${REPLAY_RUNS_DDL}`,
      // The read model is rebuilt from the event store (hub replay); the replay runs are history.
      down: `drop table if exists timeline_replay_runs, ${TIMELINE_TABLES.join(', ')};`,
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
