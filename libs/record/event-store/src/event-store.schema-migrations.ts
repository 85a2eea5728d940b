import type { ComponentSchema } from '@hub/platform';
import { postgresCheckpointDdl } from './postgres.checkpoint-store';
import { postgresEventStoreDdl, postgresSqlNames } from './postgres.event-store';

const n = postgresSqlNames();

/**
 * The event store's migrations (its default tables: `public`, no prefix). Version 1 is the DDL the
 * store ran at boot before migrations existed, unchanged and idempotent, so a database those
 * releases created upgrades by recording it. Under the store's own DDL lock, as `runDdl` takes it:
 * a process still creating the tables the old way waits for it.
 */
export const EVENT_STORE_SCHEMA = {
  component: 'event-store',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0));
${postgresEventStoreDdl()}
${postgresCheckpointDdl()}`,
      down: `drop table if exists ${n.leaderEpochs}, ${n.checkpoints}, ${n.events}, ${n.streams};
drop function if exists ${n.append}, ${n.reservePositions}, ${n.guardFunction};`,
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
