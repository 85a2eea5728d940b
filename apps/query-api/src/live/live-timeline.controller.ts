import { Controller, Get, Headers, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TIMELINE_QUERIES, type TimelineQueries } from '@hub/timeline';
import { LiveTimelines } from './live-timelines';

/**
 * `GET …/timeline/live`: server-sent events. Each timeline entry projected from now on (or after the
 * entry named by `Last-Event-ID`) comes as `event: entry`, `id: <eventId>`, `data: <entry JSON>`;
 * a `: heartbeat` comment keeps the connection open. Open the stream, then read the timeline for what came before.
 */
@Controller('tenants/:tenantId/customers/:customerId/timeline/live')
export class LiveTimelineController {
  constructor(
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    private readonly live: LiveTimelines,
  ) {}

  @Get()
  async stream(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!(await this.queries.customerExists(tenantId, customerId))) throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const start = await this.live.startPosition(tenantId, lastEventId);
    // From here the response is ours: the framework neither sends nor times it out.
    reply.hijack();
    try {
      await this.live.open(tenantId, customerId, start, reply.raw);
    } catch {
      if (!reply.raw.headersSent && !reply.raw.destroyed) reply.raw.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '2' }).end(JSON.stringify({ error: 'unavailable', reason: 'live timeline not available' }));
    }
  }
}
