import { Controller, Get, Headers, HttpException, HttpStatus, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LOGGER, type HubLogger } from '@hub/platform';
import { TIMELINE_QUERIES, type TimelineQueries } from '@hub/timeline';
import { LiveTimelines } from './live-timelines';
import { ApiOkResponse, ApiTags } from '@hub/platform/openapi';
import { TenantOperation } from '../openapi';
import { Audited } from '../audit/audited.decorator';

/**
 * `GET …/timeline/live`: server-sent events. Each timeline entry projected from now on (or after the
 * entry named by `Last-Event-ID`) comes as `event: entry`, `id: <eventId>`, `data: <entry JSON>`;
 * a `: heartbeat` comment keeps the connection open. Open the stream, then read the timeline for what came before.
 *
 * Streams are capped per process (`QUERY_LIVE_MAX_STREAMS`: 503) and per API key
 * (`QUERY_LIVE_MAX_STREAMS_PER_KEY`: 429), both with `Retry-After`, before anything is read.
 */
@ApiTags('timeline')
@Controller('tenants/:tenantId/customers/:customerId/timeline/live')
export class LiveTimelineController {
  constructor(
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    private readonly live: LiveTimelines,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  @Audited('customer.timeline.subscribed')
  @Get()
  @TenantOperation(
    'read',
    {
      summary: 'The timeline live, as server-sent events (`event: entry`, `id: <eventId>`); resumes after `Last-Event-ID`',
    },
    {
      429: 'Too many requests, or this key holds QUERY_LIVE_MAX_STREAMS_PER_KEY streams (`Retry-After`)',
      503: 'No room for another stream on this server, or the key store cannot be read (`Retry-After`)',
    },
  )
  @ApiOkResponse({ description: 'The stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  async stream(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // The guard ran: every request here carries its tenant key.
    const keyId = request.hubApiKey?.keyId ?? '';
    const lease = this.live.reserve(keyId);
    if (!lease.ok) {
      const retryAfter = lease.limit === 'key' ? 10 : 5;
      this.logger.warn({ code: `live_${lease.limit}_cap`, tenantId, keyId, max: lease.max }, 'query.live.refused');
      void reply.header('retry-after', String(retryAfter));
      throw new HttpException(
        lease.limit === 'key'
          ? {
              error: 'too_many_requests',
              reason: `this key has ${lease.max} live streams open already`,
              limit: { per: 'key', max: lease.max },
              retryAfterSeconds: retryAfter,
            }
          : {
              error: 'unavailable',
              reason: 'this server has no room for another live stream',
              limit: { per: 'process', max: lease.max },
              retryAfterSeconds: retryAfter,
            },
        lease.limit === 'key' ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    let start;
    try {
      if (!(await this.queries.customerExists(tenantId, customerId)))
        throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
      start = await this.live.startPosition(tenantId, lastEventId);
    } catch (err) {
      lease.release();
      throw err;
    }
    // From here the response is ours: the framework neither sends nor times it out.
    reply.hijack();
    try {
      // The stream releases the lease when it closes (also when opening fails).
      await this.live.open(tenantId, customerId, start, reply.raw, lease);
    } catch {
      if (!reply.raw.headersSent && !reply.raw.destroyed)
        reply.raw
          .writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '2' })
          .end(JSON.stringify({ error: 'unavailable', reason: 'live timeline not available' }));
    }
  }
}
