import type { ComponentSchema } from '@hub/platform';
import { OUTBOUND_SENDS_DDL } from './postgres.send-ledger';

/** The send ledger's migrations (`outbound_sends`), applied by the outbound app at boot and by `hub migrate`. */
export const OUTBOUND_SCHEMA = {
  component: 'deliver-outbound',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0));
${OUTBOUND_SENDS_DDL}`,
      down: 'drop table if exists outbound_sends;',
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
