import { Controller, Get, Inject, Post, Req, Res, type Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelManifest } from '@hub/channels-core';
import type { EventPublisher } from '@hub/messaging';
import { IngestService } from './ingest.service';

export const INGEST_SERVICE = Symbol('INGEST_SERVICE');
export const INGEST_PUBLISHER = Symbol('INGEST_PUBLISHER');
export const INGEST_PUBLIC_BASE_URL = Symbol('INGEST_PUBLIC_BASE_URL');

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** The HTTP edge of one channel: turns an `IngestOutcome` into a status code, and nothing else. */
export function webhookControllerFor(manifest: ChannelManifest): Type<unknown> {
  @Controller()
  class WebhookController {
    constructor(
      @Inject(INGEST_SERVICE) private readonly ingest: IngestService,
      @Inject(INGEST_PUBLISHER) private readonly publisher: EventPublisher,
      @Inject(INGEST_PUBLIC_BASE_URL) private readonly publicBaseUrl: string | undefined,
    ) {}

    @Post(manifest.route.path)
    async receive(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
      const base = this.publicBaseUrl ?? `${req.protocol}://${req.headers.host ?? req.hostname}`;
      const outcome = await this.ingest.ingest({
        method: req.method,
        url: `${base}${req.url}`,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
        rawBody: req.rawBody ?? Buffer.alloc(0),
        body: req.body,
      });
      switch (outcome.kind) {
        case 'accepted':
          await reply.code(202).send({ status: 'accepted', eventIds: outcome.eventIds });
          return;
        case 'dead_lettered':
          await reply.code(202).send({ status: 'dead_lettered', code: outcome.code, reason: outcome.reason });
          return;
        case 'unauthorized':
          await reply.code(401).send({ error: 'unauthorized', reason: outcome.reason });
          return;
        case 'invalid':
          await reply.code(400).send({ error: 'validation_failed', fields: outcome.fields });
          return;
        case 'unavailable':
          await reply.code(503).header('retry-after', String(outcome.retryAfterSeconds)).send({ error: 'unavailable', reason: outcome.reason });
          return;
        case 'saturated':
          await reply.code(429).header('retry-after', String(outcome.retryAfterSeconds)).send({ error: 'too_many_requests', reason: 'ingestion is saturated' });
          return;
        default: {
          const exhaustive: never = outcome;
          throw new Error(`unhandled outcome ${JSON.stringify(exhaustive)}`);
        }
      }
    }

    @Get('health')
    health(): { status: string; kafka: boolean } {
      return { status: this.publisher.ready ? 'ok' : 'degraded', kafka: this.publisher.ready };
    }

    @Get('metrics')
    metrics(): Record<string, number> {
      return this.ingest.counters.toJSON();
    }
  }
  return WebhookController;
}
