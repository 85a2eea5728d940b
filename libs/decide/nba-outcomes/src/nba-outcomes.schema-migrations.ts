import type { ComponentSchema } from '@hub/platform';
import { OUTCOME_TALLY_DDL } from './outcome-tally.store';

/** The outcome tally's migrations. Version 1 is the DDL `PostgresOutcomeTallyStore.create` ran before migrations existed. */
export const NBA_OUTCOMES_SCHEMA = {
  component: 'nba-outcomes',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0));
${OUTCOME_TALLY_DDL}`,
      down: 'drop table if exists nba_outcome_tally, nba_outcomes;',
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
