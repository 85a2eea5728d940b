import { createServer, type Server } from 'node:http';
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
 * `GET /metrics` in the Prometheus text format, for an app that has nothing else to say there (an
 * app whose `/metrics` has more — ingestion's `?format=json` — answers `renderMetrics()` itself).
 * Open like `/health`, and left out of the rate limits.
 */
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', METRICS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return renderMetrics();
  }
}

/**
 * A bare `GET /metrics` listener for an app without an HTTP server (`METRICS_PORT`). When the app
 * has a health server, serve `renderMetrics()` from it instead: one port per process.
 */
export async function startMetricsServer(port: number, host = '0.0.0.0'): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    renderMetrics().then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
