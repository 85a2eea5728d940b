import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { outboundScanCorrelationId } from './nba-decide.job';
import { NbaOutboundScanJob, scanDecisionJobId, scanWindowOf, type ScanDecision } from './nba-outbound-scan.job';
import { PostgresTimelineSegmentQueries } from '@hub/timeline/segments';

/**
 * The scan over a `timeline_customers` of its own (a schema per run, with the columns the scan
 * reads): the real read model belongs to the projector's specs.
 */
const schema = freshId('nba_scan_').toLowerCase();
let admin: Pool;
let pool: Pool;

beforeAll(async () => {
  admin = new Pool({ connectionString: testInfra().databaseUrl, max: 1 });
  await admin.query(
    `create schema ${schema}; create table ${schema}.timeline_customers (tenant_id text not null, customer_id text not null, quadrant text, merged_into text, primary key (tenant_id, customer_id))`,
  );
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2, options: `-c search_path=${schema}` });
});
afterAll(async () => {
  await pool.end();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
});

const HOUR = 3_600_000;
const settings = (tenants: string[], maxPerRun: number) => ({
  everyMs: HOUR,
  maxPerRun,
  quadrants: ['at_risk', 'low_value_unhappy'],
  tenants,
});

async function customers(tenantId: string, rows: [string, string | null, string | null][]): Promise<void> {
  for (const [customerId, quadrant, mergedInto] of rows) {
    await pool.query('insert into timeline_customers (tenant_id, customer_id, quadrant, merged_into) values ($1, $2, $3, $4)', [
      tenantId,
      customerId,
      quadrant,
      mergedInto,
    ]);
  }
}

describe('NbaOutboundScanJob', () => {
  describe('when the segment is larger than the volume limit', () => {
    it('enqueues at most the limit, only customers of the segment, the same ones for a re-run of the window', async () => {
      const tenantId = freshId('tn');
      await customers(tenantId, [
        ...Array.from({ length: 8 }, (_, i): [string, string, null] => [`risk-${i}`, i % 2 ? 'at_risk' : 'low_value_unhappy', null]),
        ['happy', 'champion', null],
        ['unknown', null, null],
        ['merged', 'at_risk', 'risk-0'],
      ]);
      const enqueued: ScanDecision[][] = [];
      const job = new NbaOutboundScanJob(
        new PostgresTimelineSegmentQueries(pool),
        async (d) => void enqueued.push([...d]),
        settings([tenantId], 5),
      );
      const dueAt = Date.parse('2026-11-24T10:00:00.250Z');
      expect(await job.run(dueAt)).toEqual({ scanWindow: '2026-11-24T10:00:00.000Z', enqueued: 5 });
      expect(await job.run(dueAt + 60_000)).toEqual({ scanWindow: '2026-11-24T10:00:00.000Z', enqueued: 5 });

      const [first, again] = enqueued;
      expect(first!.every((d) => d.data.customerId.startsWith('risk-'))).toBe(true);
      expect(again).toEqual(first);
      expect(first![0]).toEqual({
        jobId: scanDecisionJobId(tenantId, first![0]!.data.customerId, '2026-11-24T10:00:00.000Z'),
        data: {
          trigger: 'outbound-scan',
          tenantId,
          customerId: first![0]!.data.customerId,
          scanWindow: '2026-11-24T10:00:00.000Z',
          correlationId: outboundScanCorrelationId('2026-11-24T10:00:00.000Z'),
        },
      });
    });
  });

  describe('when the next window comes', () => {
    it('takes the segment in another order, so a limit smaller than the segment still reaches everyone over time', async () => {
      const tenantId = freshId('tn');
      await customers(
        tenantId,
        Array.from({ length: 20 }, (_, i): [string, string, null] => [`c-${i}`, 'at_risk', null]),
      );
      const seen = new Set<string>();
      const job = new NbaOutboundScanJob(
        new PostgresTimelineSegmentQueries(pool),
        async (d) => d.forEach((x) => seen.add(x.data.customerId)),
        settings([tenantId], 5),
      );
      for (let h = 0; h < 12; h++) await job.run(Date.parse('2026-11-24T00:00:00.000Z') + h * HOUR);
      expect(seen.size).toBeGreaterThan(5);
    });
  });

  it('the window is the start of the slot the scan was due in', () => {
    expect(scanWindowOf(Date.parse('2026-11-24T10:59:59.999Z'), HOUR)).toBe('2026-11-24T10:00:00.000Z');
  });
});
