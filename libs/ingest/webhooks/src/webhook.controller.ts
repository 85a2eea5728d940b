import { applyDecorators, Controller, Get, Inject, NotFoundException, Post, Query, Req, Res, type Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelAdapter, ChannelManifest } from '@hub/channels-core';
import type { EventPublisher } from '@hub/messaging';
import { METRICS_CONTENT_TYPE, renderMetrics } from '@hub/metrics';
import { answers, HEALTH_PROBES, serverSpan, type DependencyProbe } from '@hub/platform';
import { IngestCounters, IngestService } from './ingest.service';
import {
  ApiBody,
  ApiConsumes,
  ApiErrors,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  HubError,
} from '@hub/platform/openapi';

/** What every webhook may refuse, each in the webhooks' error body (`{error, reason}`, or `fields` when invalid). */
const WEBHOOK_REFUSALS = {
  400: 'Not valid (`validation_failed` with every failing field), or not readable (not JSON, an encoding that cannot be decoded)',
  401: 'The signature is missing, wrong or stale',
  404: 'No such tenant (multi-tenant apps: answered as any path the app does not have)',
  413: "Over the provider's body limit (`{error: payload_too_large, limitBytes}`)",
  415: 'A Content-Encoding the provider does not send',
  429: 'Too many requests from this address or to this source, or ingestion is saturated (`Retry-After`)',
  503: 'The event bus is unavailable (`Retry-After`): the provider retries',
} as const;

export const INGEST_PUBLISHER = Symbol('INGEST_PUBLISHER');
export const INGEST_COUNTERS = Symbol('INGEST_COUNTERS');

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** One tenant's webhook of one provider: the adapter built from that tenant's settings, and its service. */
export interface WebhookRoute {
  adapter: ChannelAdapter;
  service: IngestService;
}

/** Every webhook an app serves, by its exact path (`/webhooks/twilio`, or `/t/<route>/webhooks/twilio` per tenant). */
export type WebhookRoutes = ReadonlyMap<string, WebhookRoute>;

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The HTTP edge of one provider's webhook: turns an `IngestOutcome` into a status code, and nothing
 * else. JSON and form bodies arrive parsed (with `rawBody` kept for signatures); any other content
 * type arrives as its exact bytes (see `bootstrap-ingest-app`). `routePath` is the provider's path,
 * under `/t/:tenant` in a multi-tenant app; the request's own path picks the tenant's route, and a
 * path of no tenant is answered exactly as a path the app does not have (404, nothing said of which
 * tenants exist).
 */
export function webhookControllerFor(
  manifest: ChannelManifest,
  routePath: string,
  routes: WebhookRoutes,
  publicBaseUrl: string | undefined,
): Type<unknown> {
  const maxBodyBytes = manifest.maxBodyBytes;
  const routeFor = (req: FastifyRequest): WebhookRoute => {
    const route = routes.get(pathOf(req.url));
    if (!route) throw new NotFoundException(`Cannot ${req.method} ${req.raw.url ?? req.url}`);
    return route;
  };

  // Where a multi-tenant app serves it: `/t/{tenant}/…`, the tenant's route id (INGEST_TENANTS).
  const tenantParam = routePath.includes('/:tenant/')
    ? [ApiParam({ name: 'tenant', type: String, description: "The tenant's route id (INGEST_TENANTS)" })]
    : [];
  const externalDocs = { description: `${manifest.displayName}: the provider's webhook format`, url: manifest.docsUrl };

  @ApiTags(`${manifest.id}`)
  @Controller()
  class WebhookController {
    @Post(routePath)
    @ApiOperation({
      summary: `${manifest.displayName} webhook (${manifest.provider}): verified, validated, normalised, published; 202 once Kafka acknowledged`,
      description: `The provider's own request, signed as it signs it (no API key); at most ${maxBodyBytes} bytes${
        manifest.requestEncodings?.length ? `, \`Content-Encoding: ${manifest.requestEncodings.join(', ')}\` accepted` : ''
      }. A valid request that cannot be represented is dead-lettered (202 too). Some providers get the answer they insist on instead of 202 (Kinesis Firehose: 200 \`{requestId, timestamp}\`).`,
      externalDocs,
    })
    @applyDecorators(...tenantParam)
    @ApiConsumes('*/*')
    @ApiBody({
      description: "The provider's payload, as it sends it (JSON, a form, raw MIME or multipart: the provider's docs say which)",
      schema: {},
    })
    @ApiResponse({
      status: 202,
      description: 'Accepted (`{status: accepted, eventIds}`) or dead-lettered (`{status: dead_lettered, code, reason}`)',
    })
    @ApiErrors(HubError, WEBHOOK_REFUSALS)
    receive(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
      // A SERVER span per request (continuing the caller's `traceparent`); the publish is its child.
      return serverSpan(
        routePath,
        'POST',
        req.headers,
        () => this.handle(req, reply),
        () => reply.statusCode,
      );
    }

    private async handle(req: RawRequest, reply: FastifyReply): Promise<void> {
      const { adapter, service: ingest } = routeFor(req);
      const base = publicBaseUrl ?? `${req.protocol}://${req.headers.host ?? req.hostname}`;
      const request = {
        method: req.method,
        url: `${base}${req.url}`,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
        rawBody: req.rawBody ?? (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)),
        body: req.body,
      };
      // The app's body limit is the largest of its providers'; each route holds to its own.
      if (request.rawBody.length > maxBodyBytes) {
        ingest.tooLarge(request.rawBody.length);
        await reply.code(413).send({ error: 'payload_too_large', limitBytes: maxBodyBytes });
        return;
      }
      const outcome = await ingest.ingest(request);
      switch (outcome.kind) {
        case 'accepted':
        case 'dead_lettered': {
          if (adapter.acknowledge) {
            const ack = adapter.acknowledge(
              request,
              { eventIds: outcome.eventIds ?? [], deadLettered: outcome.kind === 'dead_lettered' },
              { nowMs: Date.now() },
            );
            await reply.code(ack.status).send(ack.body);
          } else if (outcome.kind === 'accepted') {
            await reply.code(202).send({ status: 'accepted', eventIds: outcome.eventIds });
          } else {
            await reply.code(202).send({
              status: 'dead_lettered',
              code: outcome.code,
              reason: outcome.reason,
              ...(outcome.eventIds?.length ? { eventIds: outcome.eventIds } : {}),
            });
          }
          return;
        }
        case 'unauthorized':
          await reply.code(401).send({ error: 'unauthorized', reason: outcome.reason });
          return;
        case 'invalid':
          await reply.code(400).send({ error: 'validation_failed', fields: outcome.fields });
          return;
        case 'unreadable':
          await reply.code(400).send({ error: outcome.code, reason: outcome.reason });
          return;
        case 'unavailable':
          await reply
            .code(503)
            .header('retry-after', String(outcome.retryAfterSeconds))
            .send({ error: 'unavailable', reason: outcome.reason });
          return;
        case 'saturated':
          await reply
            .code(429)
            .header('retry-after', String(outcome.retryAfterSeconds))
            .send({ error: 'too_many_requests', reason: 'ingestion is saturated' });
          return;
        default: {
          const exhaustive: never = outcome;
          throw new Error(`unhandled outcome ${JSON.stringify(exhaustive)}`);
        }
      }
    }

    /** The provider's subscription handshake (Meta's `hub.challenge`), when the adapter has one. */
    @Get(routePath)
    @ApiOperation({
      summary: `${manifest.displayName} subscription handshake (${manifest.provider}), when the provider has one`,
      description:
        "The provider's own query parameters (Meta's: `hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`); providers without a handshake answer 405.",
      externalDocs,
    })
    @applyDecorators(...tenantParam)
    @ApiResponse({ status: 200, description: 'The challenge echoed', content: { 'text/plain': { schema: { type: 'string' } } } })
    @ApiErrors(HubError, { 403: 'The verify token does not match', 405: 'This provider has no handshake: POST only' })
    async handshake(
      @Req() req: FastifyRequest,
      @Query() query: Record<string, string | undefined>,
      @Res() reply: FastifyReply,
    ): Promise<void> {
      const { adapter } = routeFor(req);
      if (!adapter.handshake) {
        await reply.code(405).header('allow', 'POST').send({ error: 'method_not_allowed' });
        return;
      }
      const result = adapter.handshake(query);
      await reply.code(result.status).header('content-type', 'text/plain; charset=utf-8').send(result.body);
    }
  }
  return WebhookController;
}

/** /health and /metrics, once per ingestion app whatever the number of providers it hosts. */
@ApiTags('operations')
@Controller()
export class IngestOpsController {
  constructor(
    @Inject(INGEST_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(INGEST_COUNTERS) private readonly counters: IngestCounters,
    @Inject(HEALTH_PROBES) private readonly probes: readonly DependencyProbe[],
  ) {}

  /**
   * Always 200 (what the provider-facing checks and the harnesses read): `kafka` is true while the
   * broker answers (the readiness probe's bounded check) and the last publish did not fail.
   * Orchestrators use `/health/ready` (503 when Kafka is down) and `/health/live`.
   */
  @Get('health')
  @ApiOperation({ summary: 'Health: `degraded` while Kafka cannot be reached' })
  @ApiOkResponse({ description: '`{status, kafka}`' })
  async health(): Promise<{ status: string; kafka: boolean }> {
    const kafka = this.publisher.ready && (await answers(this.probes, 'kafka'));
    return { status: kafka ? 'ok' : 'degraded', kafka };
  }

  /**
   * The process's metrics in the Prometheus text format; `?format=json`, this app's outcome counts by
   * key and its in-process queue beside its bound (the demo's summary and the fault harness, which
   * checks the one never passes the other, read them).
   */
  @Get('metrics')
  @ApiOperation({
    summary:
      "The process's metrics in the Prometheus text format (`?format=json`: accepted, refused and dead-lettered requests and the publish queue); open, no key needed",
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format, or counter name → value with ?format=json' })
  async metrics(@Query('format') format: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (format === 'json') {
      const queue = this.publisher.queue;
      await reply.send({
        ...this.counters.toJSON(),
        ...(queue ? { 'publisher.queued_bytes': queue.bytes, 'publisher.max_queued_bytes': queue.maxBytes } : {}),
      });
      return;
    }
    await reply.header('content-type', METRICS_CONTENT_TYPE).send(await renderMetrics());
  }
}
