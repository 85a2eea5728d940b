import type { Pool } from 'pg';
import { AUDIT_COLUMNS, auditEntryOf, type AuditRow, type KeyAuditEntry } from './key-store';

/**
 * The hub's audit log (issue #16, item 8; docs/operations.md, "Audit log"): who read a customer's
 * personal data or took an admin action, in which tenant, on which customer, when, and how it ended.
 * It is the key store's append-only `hub_key_audit` (one log, one table: `PostgresKeyStore` creates
 * it and writes its own changes in their transactions); this port appends the rest, in batches, and
 * reads one tenant's entries.
 */

/** One entry to append. `at` is when it happened (the request), not when the batch was written. */
export interface AuditRecord {
  at: Date;
  actor: string;
  action: string;
  tenantId: string | null;
  customerId: string | null;
  keyId: string | null;
  outcome: string;
  detail: Record<string, unknown>;
}

/** One tenant's entries, newest first: `from` inclusive, `to` exclusive, `before` an entry id (the page after it). */
export interface AuditQuery {
  tenantId: string;
  from?: Date;
  to?: Date;
  actor?: string;
  action?: string;
  customerId?: string;
  before?: number;
  limit: number;
}

export const AUDIT_LOG = Symbol('AUDIT_LOG');

export interface AuditLog {
  /** Appends every record in one statement (all or none). */
  append(records: readonly AuditRecord[]): Promise<void>;
  query(query: AuditQuery): Promise<KeyAuditEntry[]>;
}

export class PostgresAuditLog implements AuditLog {
  constructor(private readonly pool: Pool) {}

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One round trip for the batch: one array per column, unnested into rows in their order.
    await this.pool.query(
      `insert into hub_key_audit (at, actor, action, tenant_id, customer_id, key_id, outcome, detail)
       select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])`,
      [
        records.map((r) => r.at),
        records.map((r) => r.actor),
        records.map((r) => r.action),
        records.map((r) => r.tenantId),
        records.map((r) => r.customerId),
        records.map((r) => r.keyId),
        records.map((r) => r.outcome),
        records.map((r) => JSON.stringify(r.detail)),
      ],
    );
  }

  async query(q: AuditQuery): Promise<KeyAuditEntry[]> {
    const r = await this.pool.query<AuditRow>(
      `select ${AUDIT_COLUMNS} from hub_key_audit
        where tenant_id = $1
          and ($2::timestamptz is null or at >= $2) and ($3::timestamptz is null or at < $3)
          and ($4::text is null or actor = $4) and ($5::text is null or action = $5)
          and ($6::text is null or customer_id = $6) and ($7::bigint is null or id < $7)
        order by id desc limit $8`,
      [q.tenantId, q.from ?? null, q.to ?? null, q.actor ?? null, q.action ?? null, q.customerId ?? null, q.before ?? null, q.limit],
    );
    return r.rows.map(auditEntryOf);
  }
}
