import { API_KEYS_DDL } from './key-store';
import type { ComponentSchema } from './schema-migrations';

/** The tenants, API keys and audit log's migrations. Version 1 is the DDL `PostgresKeyStore.ensureSchema` ran before migrations existed. */
export const API_KEYS_SCHEMA = {
  component: 'api-keys',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `select pg_advisory_xact_lock(hashtext('hub_api_keys'));
${API_KEYS_DDL}`,
      down: `drop table if exists hub_key_audit, hub_api_keys, hub_tenants;
drop function if exists hub_key_audit_append_only();`,
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
