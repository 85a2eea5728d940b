import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { TIMELINE_QUERIES, type TimelineQueries } from '@hub/timeline';
import { entryFilter, queryAs, StatsQuery } from '../query-params';
import { ApiTags } from '@hub/platform/openapi';
import { ApiQueryParams, TenantOperation } from '../openapi';

/** Counts for the console's charts and analysts' dashboards, straight from the timeline read model. */
@ApiTags('stats')
@Controller('tenants/:tenantId/stats')
export class StatsController {
  constructor(@Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries) {}

  /**
   * `?by=channel|day|direction|kind|quadrant|preferredChannel|churnRisk&from=&to=&channel=&direction=&kind=&asOf=` —
   * entries that happened in the window and the distinct customers behind them, per value of `by`
   * (`churnRisk`: the customer's level as of the request).
   */
  @Get()
  @ApiQueryParams(StatsQuery)
  @TenantOperation(
    'read',
    {
      summary: 'Entries and distinct customers per channel, day, direction, kind, quadrant, preferred channel or churn risk',
      description: '`?by=channel|day|direction|kind|quadrant|preferredChannel|churnRisk&from=&to=&channel=&direction=&kind=&asOf=`',
    },
    { 400: 'A query parameter is not valid' },
  )
  async stats(@Param('tenantId') tenantId: string, @Query() query: unknown) {
    const q = queryAs(StatsQuery, query);
    const rows = await this.queries.stats(tenantId, q.by, entryFilter(q), { now: new Date().toISOString() });
    return { by: q.by, from: q.from ?? null, to: q.to ?? null, rows };
  }
}
