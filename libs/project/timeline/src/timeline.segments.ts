import type { Pool } from 'pg';

/** Which customers a segment holds, and how many of them to take. */
export interface SegmentQuery {
  /** Experience × value quadrants (`quadrantOf` in @hub/customer) that make up the segment. */
  quadrants: readonly string[];
  /** Only these tenants; empty: every tenant. */
  tenants: readonly string[];
  limit: number;
  /**
   * The order in which a segment larger than `limit` is taken: a pseudo-random order fixed by this
   * key (e.g. a scan window), so a re-run with one key picks the same customers and another key others.
   */
  orderKey: string;
}

export interface SegmentMember {
  tenantId: string;
  customerId: string;
}

/**
 * Segment queries on the timeline's query side: who is in a quadrant segment, for components that
 * must not read the projection's tables themselves (the NBA worker's outbound scan). Imported as
 * `@hub/timeline/segments`, the one entry point of this lib that other scopes may use (see
 * eslint.config.mjs).
 */
export interface TimelineSegmentQueries {
  /** Customers in the quadrants, not merged into another; at most `limit`, in the key's order. */
  pick(query: SegmentQuery): Promise<SegmentMember[]>;
}

/**
 * `TimelineSegmentQueries` on the PostgreSQL read model (`timeline_customers`, kept by the
 * timeline projection, which already knows each customer's quadrant: the store would need every
 * stream folded). The quadrant may lag the stream by the projector's delay. Unqualified table name:
 * the pool's search path says which schema.
 */
export class PostgresTimelineSegmentQueries implements TimelineSegmentQueries {
  constructor(private readonly pool: Pool) {}

  async pick(q: SegmentQuery): Promise<SegmentMember[]> {
    try {
      const r = await this.pool.query<{ tenant_id: string; customer_id: string }>(
        `select tenant_id, customer_id from timeline_customers
          where merged_into is null and quadrant = any($1::text[]) and (cardinality($2::text[]) = 0 or tenant_id = any($2::text[]))
          order by md5(tenant_id || '/' || customer_id || '/' || $3), tenant_id, customer_id
          limit $4`,
        [q.quadrants, q.tenants, q.orderKey, q.limit],
      );
      return r.rows.map((row) => ({ tenantId: row.tenant_id, customerId: row.customer_id }));
    } catch (err) {
      // No read model yet (the projector has not created it): nobody in any segment.
      if ((err as { code?: string }).code === '42P01') return [];
      throw err;
    }
  }
}
