import { Controller, Get, Header } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { hubMetrics } from './hub-metrics';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.registry';

/**
 * Counts every request the app answers (`hub_http_requests_total`) by the route as declared — the
 * pattern, not the path, so a tenant's or customer's id never becomes a label — and `unmatched`
 * for a path the app does not have. Installed before the app listens.
 */
export function instrumentHttp(instance: FastifyInstance): void {
  instance.addHook('onResponse', (req, reply, done) => {
    hubMetrics.httpRequests().inc({ route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) });
    done();
  });
}

/**
 * `GET /metrics` in the Prometheus text format, for an app that has nothing else to say there: the
 * projector's and the worker's probe server (`HEALTH_PORT`) mount it beside `HealthController` (an
 * app whose `/metrics` has more — ingestion's `?format=json` — answers `renderMetrics()` itself).
 * Open like the probes, and left out of the rate limits.
 */
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', METRICS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return renderMetrics();
  }
}
