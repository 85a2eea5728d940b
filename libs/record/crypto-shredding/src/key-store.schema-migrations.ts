import type { ComponentSchema } from '@hub/platform';
import { SUBJECT_KEYS_DDL } from './postgres.key-store';

/**
 * The key store's migrations. Version 1 is the DDL `ensureKeyStoreSchema` ran at boot before
 * migrations existed (idempotent: a database it created upgrades by recording it). Its `down`
 * destroys every subject key, and so every sealed field with them: `--force` only after a backup.
 */
export const SUBJECT_KEYS_SCHEMA = {
  component: 'crypto-shredding',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtextextended('hub.subject-keys.ddl', 0));
${SUBJECT_KEYS_DDL}`,
      down: 'drop table if exists hub_subject_keys;',
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
