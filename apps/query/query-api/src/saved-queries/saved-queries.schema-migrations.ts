import type { ComponentSchema } from '@hub/platform';
import { SAVED_QUERIES_DDL } from './saved-queries.store';

/** The saved queries' migrations (this app owns the table). Version 1 is the DDL `ensureSchema` ran before migrations existed. */
export const SAVED_QUERIES_SCHEMA = {
  component: 'saved-queries',
  migrations: [{ version: 1, name: 'baseline', up: SAVED_QUERIES_DDL, down: 'drop table if exists saved_queries;', dropsData: true }],
} as const satisfies ComponentSchema;
