import { Readable } from 'node:stream';
import { Controller, Get, Inject, NotFoundException, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LOGGER, type HubLogger } from '@hub/platform';
import { csvChunks, ndjsonChunks, TIMELINE_QUERIES, type ExportedItem, type TimelineQueries } from '@hub/timeline';
import { entryFilter, queryAs, TimelineExportQuery, type ExportFormat } from '../query-params';
import { ApiOkResponse, ApiTags } from '@hub/platform/openapi';
import { ApiQueryParams, TenantOperation } from '../openapi';
import { Audited } from '../audit/audited.decorator';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** Timelines for analysts' own tools, streamed: rows are read in pages and written as the client takes them. */
@ApiTags('exports')
@Controller('tenants/:tenantId/exports')
export class ExportsController {
  constructor(
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  /**
   * `?format=ndjson|csv&customerIds=a,b&quadrant=&preferredChannel=&churnRisk=&from=&to=&asOf=&channel=&direction=&kind=` —
   * every entry of the given customers' timelines (or of a segment: quadrant, preferred channel, churn risk; all of
   * the tenant's without either), customer by customer, in time order.
   */
  @Audited('timelines.exported')
  @Get('timelines')
  @ApiQueryParams(TimelineExportQuery)
  @TenantOperation(
    'read',
    {
      summary: 'Timelines streamed as NDJSON or CSV, customer by customer, in time order',
      description:
        '`?format=ndjson|csv&customerIds=a,b&quadrant=&preferredChannel=&churnRisk=&from=&to=&asOf=&channel=&direction=&kind=&bom=`',
    },
    { 400: 'A query parameter is not valid' },
  )
  @ApiOkResponse({
    description: 'The entries, streamed (`Content-Disposition: attachment`)',
    content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
  })
  async timelines(@Param('tenantId') tenantId: string, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const q = queryAs(TimelineExportQuery, query);
    const customerIds = q.customerIds?.length ? [...new Set(q.customerIds)] : undefined;
    if (customerIds) {
      const unknown = await this.queries.unknownCustomers(tenantId, customerIds);
      if (unknown.length > 0) throw new NotFoundException({ error: 'not_found', reason: 'unknown customer', customerIds: unknown });
    }
    const format = q.format ?? 'ndjson';
    const started = Date.now();
    const log = {
      tenantId,
      format,
      customers: customerIds?.length ?? 'all',
      ...(q.quadrant ? { quadrants: q.quadrant } : {}),
      ...(q.preferredChannel ? { preferredChannels: q.preferredChannel } : {}),
      ...(q.churnRisk ? { churnRisks: q.churnRisk } : {}),
    };
    this.logger.info(log, 'query.export.started');
    const pages = this.counted(
      this.queries.exportEntries(
        tenantId,
        {
          ...entryFilter(q),
          ...(customerIds ? { customerIds } : {}),
          ...(q.quadrant?.length ? { quadrants: q.quadrant } : {}),
          ...(q.preferredChannel?.length ? { preferredChannels: q.preferredChannel } : {}),
          ...(q.churnRisk?.length ? { churnRisks: q.churnRisk } : {}),
        },
        { now: new Date(started).toISOString() },
      ),
      (rows, outcome, err) =>
        outcome === 'failed'
          ? this.logger.error({ ...log, rows, err: String(err) }, 'query.export.failed')
          : this.logger.info(
              { ...log, rows, ms: Date.now() - started },
              outcome === 'completed' ? 'query.export.completed' : 'query.export.aborted',
            ),
    );
    const stamp = new Date(started)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    void reply
      .header('Content-Type', CONTENT_TYPES[format])
      .header('Content-Disposition', `attachment; filename="timelines-${tenantId}-${stamp}.${format}"`)
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff')
      // Pulled page by page: a slow client slows the reads; a client that goes away stops them.
      .send(Readable.from(format === 'csv' ? csvChunks(pages, { bom: q.bom === 'true' }) : ndjsonChunks(pages)));
  }

  /** Passes the pages through, and reports how the export ended and how many rows it wrote. */
  private async *counted(
    pages: AsyncGenerator<ExportedItem[]>,
    done: (rows: number, outcome: 'completed' | 'aborted' | 'failed', err?: unknown) => void,
  ): AsyncGenerator<ExportedItem[]> {
    let rows = 0;
    let outcome: 'completed' | 'aborted' | 'failed' = 'aborted';
    let error: unknown;
    try {
      for await (const page of pages) {
        rows += page.length;
        yield page;
      }
      outcome = 'completed';
    } catch (err) {
      // Headers are gone: the response is cut off (no terminating chunk), which clients see as a failed download.
      outcome = 'failed';
      error = err;
      throw err;
    } finally {
      // Also reached when the client went away: the stream is destroyed and this generator returned early.
      done(rows, outcome, error);
    }
  }
}
