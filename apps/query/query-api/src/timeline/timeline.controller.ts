import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE, TIMELINE_QUERIES, type TimelineQueries } from '@hub/timeline';
import { ConversationsQuery, entryFilter, instant, pagedRead, queryAs, TimelineQuery } from '../query-params';
import { ApiTags } from '@hub/platform/openapi';
import { ApiQueryParams, TenantOperation } from '../openapi';
import { Audited } from '../audit/audited.decorator';

/** A customer's cross-channel timeline (entries of customers merged into it included) and its conversations. */
@ApiTags('timeline')
@Controller('tenants/:tenantId/customers/:customerId')
export class TimelineController {
  constructor(@Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries) {}

  /**
   * `?channel=&direction=&kind=&from=&to=&recordedFrom=&recordedTo=&asOf=&q=&limit=&cursor=` — in the order things happened
   * (`from`/`to` on occurred time, `recordedFrom`/`recordedTo` and `asOf` on recorded time); `next`
   * is the cursor of the following page (null on the last one).
   */
  @Audited('customer.timeline.read')
  @Get('timeline')
  @ApiQueryParams(TimelineQuery)
  @TenantOperation(
    'read',
    {
      summary: "The customer's cross-channel timeline, in the order things happened, paged",
      description:
        '`?channel=&direction=&kind=&from=&to=&recordedFrom=&recordedTo=&asOf=&q=&limit=&cursor=`; `next` is the cursor of the following page.',
    },
    { 400: 'A query parameter is not valid' },
  )
  async timeline(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Query() query: unknown) {
    const q = queryAs(TimelineQuery, query);
    await this.requireCustomer(tenantId, customerId);
    const page = await pagedRead(() =>
      this.queries.timeline(tenantId, customerId, entryFilter(q), {
        limit: q.limit ?? DEFAULT_PAGE_SIZE,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      }),
    );
    return { customerId, asOf: q.asOf ? new Date(instant(q.asOf)).toISOString() : null, entries: page.entries, next: page.next };
  }

  /** `?channel=&asOf=` — one conversation per channel thread, most recently active first. */
  @Audited('customer.conversations.read')
  @Get('conversations')
  @ApiQueryParams(ConversationsQuery)
  @TenantOperation(
    'read',
    { summary: 'One conversation per channel thread, most recently active first (`?channel=&asOf=`)' },
    { 400: 'A query parameter is not valid' },
  )
  async conversations(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Query() query: unknown) {
    const q = queryAs(ConversationsQuery, query);
    await this.requireCustomer(tenantId, customerId);
    const conversations = await this.queries.conversations(tenantId, customerId, {
      ...(q.channel?.length ? { channels: q.channel } : {}),
      ...(q.asOf ? { asOf: instant(q.asOf) } : {}),
    });
    return { customerId, conversations };
  }

  private async requireCustomer(tenantId: string, customerId: string): Promise<void> {
    if (!(await this.queries.customerExists(tenantId, customerId)))
      throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
  }
}
