import type { Pool } from 'pg';

export interface SegmentQuery {
  /** Experience × value quadrants (`quadrantOf` in @hub/customer) that make up the segment. */
  quadrants: readonly string[];
  /** Only these tenants; empty: every tenant. */
  tenants: readonly string[];
  limit: number;
  /**
   * The order in which a segment larger than `limit` is taken: a pseudo-random order fixed by this
   * key (the scan window), so a re-run of one window picks the same customers and the next window
   * others.
   */
  orderKey: string;
}

/** Who the always-on outbound scan considers. Adapter: the timeline read model (`TimelineOutboundSegment`). */
export interface OutboundSegment {
  pick(query: SegmentQuery): Promise<{ tenantId: string; customerId: string }[]>;
}

/**
 * The segment from the timeline read model (`timeline_customers`, kept by the timeline-projector):
 * customers in the quadrants, not merged into another. A read of another component's tables, kept
 * to these columns (`tenant_id`, `customer_id`, `quadrant`, `merged_into`): the read model is
 * cheap to scan and already knows each customer's quadrant, where the store would need every
 * stream folded. The quadrant there may lag the stream by the projector's delay; the decision
 * itself reads the stream, and its policies decide whether anything is done.
 */
export class TimelineOutboundSegment implements OutboundSegment {
  constructor(private readonly pool: Pool) {}

  async pick(q: SegmentQuery): Promise<{ tenantId: string; customerId: string }[]> {
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
      // No read model yet (the projector has not created it): nobody to scan.
      if ((err as { code?: string }).code === '42P01') return [];
      throw err;
    }
  }
}
