import type { ComponentSchema } from '@hub/platform';
import { WORK_ITEMS_DDL } from './work-item.store';

/** The work-item queues' migrations. Version 1 is the DDL `PostgresWorkItemStore.create` runs. */
export const WORK_ITEMS_SCHEMA = {
  component: 'work-items',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0));
${WORK_ITEMS_DDL}`,
      down: 'drop table if exists work_items;',
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
