import { deterministicId } from '@hub/contracts';
import { outboundScanCorrelationId, type NbaDecideJobData } from './nba-decide.job';
import type { TimelineSegmentQueries } from '@hub/timeline/segments';

/** Data of one `NbaOutboundScanJob` (made by the job scheduler): nothing, the time it was due says which window. */
export type NbaOutboundScanJobData = Record<string, never>;

export interface OutboundScanSettings {
  everyMs: number;
  maxPerRun: number;
  quadrants: readonly string[];
  tenants: readonly string[];
}

/** A decide job to enqueue, with the id that makes it once per (customer, window). */
export interface ScanDecision {
  jobId: string;
  data: Extract<NbaDecideJobData, { trigger: 'outbound-scan' }>;
}

export type EnqueueScanDecisions = (decisions: readonly ScanDecision[]) => Promise<void>;

/** The job id of the scan's decide job for one customer in one window. */
export const scanDecisionJobId = (tenantId: string, customerId: string, scanWindow: string): string =>
  `nba-scan-${deterministicId('nba-outbound-scan', tenantId, customerId, scanWindow)}`;

/** The window a scan due at `dueAtMs` belongs to: the start of its `everyMs` slot, as an ISO time. */
export const scanWindowOf = (dueAtMs: number, everyMs: number): string => new Date(Math.floor(dueAtMs / everyMs) * everyMs).toISOString();

/**
 * Always-on outbound: every `everyMs`, pick at most `maxPerRun` customers of the segment and enqueue
 * one `outbound-scan` decide job each. Idempotent per (customer, window): the job id derives from
 * both (BullMQ ignores a second add), and the decide job records at most one decision per window
 * (it looks for the window's correlation id in the stream). Caps, quiet hours and consent are the
 * engine's contact policy's business, not the scan's.
 */
export class NbaOutboundScanJob {
  static readonly jobName = 'NbaOutboundScanJob';

  constructor(
    private readonly segment: TimelineSegmentQueries,
    private readonly enqueue: EnqueueScanDecisions,
    private readonly settings: OutboundScanSettings,
  ) {}

  async run(dueAtMs: number): Promise<{ scanWindow: string; enqueued: number }> {
    const scanWindow = scanWindowOf(dueAtMs, this.settings.everyMs);
    const customers = await this.segment.pick({
      quadrants: this.settings.quadrants,
      tenants: this.settings.tenants,
      limit: this.settings.maxPerRun,
      orderKey: scanWindow,
    });
    const correlationId = outboundScanCorrelationId(scanWindow);
    await this.enqueue(
      customers.map(({ tenantId, customerId }) => ({
        jobId: scanDecisionJobId(tenantId, customerId, scanWindow),
        data: { trigger: 'outbound-scan', tenantId, customerId, scanWindow, correlationId },
      })),
    );
    return { scanWindow, enqueued: customers.length };
  }
}
