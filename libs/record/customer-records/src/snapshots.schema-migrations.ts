import type { ComponentSchema } from '@hub/platform';
import { SNAPSHOTS_DDL } from './postgres.snapshot-store';

/** The snapshot store's migrations. Version 1 is the DDL `PostgresSnapshotStore.create` ran before migrations existed. */
export const SNAPSHOTS_SCHEMA = {
  component: 'customer-records',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0));
${SNAPSHOTS_DDL};`,
      // Snapshots are a cache of the streams (rebuilt on the next read): dropping them loses no fact.
      down: 'drop table if exists customer_snapshots;',
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
