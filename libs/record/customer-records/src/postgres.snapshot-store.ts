import { runDdl } from '@hub/event-store';
import type { Pool } from 'pg';
import { deserializeSnapshot, serializeSnapshot, type CustomerSnapshot } from '@hub/customer';
import { openValue, sealValue, type KeyStore } from '@hub/crypto-shredding';
import type { SnapshotStore } from './snapshot-store.port';

/** The snapshot table's DDL (idempotent): `create` and version 1 of the component's migrations. */
export const SNAPSHOTS_DDL = `
create table if not exists customer_snapshots (
  tenant_id text not null,
  customer_id text not null,
  revision bigint not null,
  snapshot text not null,
  saved_at timestamptz not null default now(),
  primary key (tenant_id, customer_id)
)`;

/**
 * Snapshots in PostgreSQL, one row per customer (the newest wins). With a KeyStore the whole
 * snapshot is sealed with the customer's own key (AES-256-GCM), like the personal fields of their
 * events, so erasing the key makes a forgotten snapshot unreadable too.
 */
export class PostgresSnapshotStore implements SnapshotStore {
  private constructor(
    private readonly pool: Pool,
    private readonly keys: KeyStore | undefined,
  ) {}

  static async create({ pool, keys }: { pool: Pool; keys?: KeyStore }): Promise<PostgresSnapshotStore> {
    await runDdl(pool, SNAPSHOTS_DDL);
    return new PostgresSnapshotStore(pool, keys);
  }

  async load(tenantId: string, customerId: string): Promise<CustomerSnapshot | undefined> {
    const r = await this.pool.query<{ snapshot: string }>(
      'select snapshot from customer_snapshots where tenant_id = $1 and customer_id = $2',
      [tenantId, customerId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    if (!this.keys) return deserializeSnapshot(row.snapshot);
    const key = await this.keys.get(tenantId, customerId);
    if (!key) return undefined; // erased: the snapshot is unreadable by design
    const json = openValue(key, row.snapshot, aad(tenantId, customerId));
    return typeof json === 'string' ? deserializeSnapshot(json) : undefined;
  }

  async save(tenantId: string, customerId: string, snapshot: CustomerSnapshot): Promise<void> {
    const json = serializeSnapshot(snapshot);
    let stored = json;
    if (this.keys) {
      const key = await this.keys.get(tenantId, customerId);
      if (!key) return; // no key (never created, or erased): nothing personal may be cached
      stored = sealValue(key, json, aad(tenantId, customerId));
    }
    await this.pool.query(
      `insert into customer_snapshots (tenant_id, customer_id, revision, snapshot) values ($1, $2, $3, $4)
       on conflict (tenant_id, customer_id) do update set revision = excluded.revision, snapshot = excluded.snapshot, saved_at = now()
       where customer_snapshots.revision < excluded.revision`,
      [tenantId, customerId, snapshot.revision.toString(), stored],
    );
  }

  async delete(tenantId: string, customerId: string): Promise<void> {
    await this.pool.query('delete from customer_snapshots where tenant_id = $1 and customer_id = $2', [tenantId, customerId]);
  }
}

const aad = (tenantId: string, customerId: string) => `customer-snapshot:${tenantId}:${customerId}`;
