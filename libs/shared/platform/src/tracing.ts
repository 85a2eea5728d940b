import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { HubLogger } from './logger';
import type * as TracingSdk from './tracing-sdk';

/**
 * The OpenTelemetry SDK (provider, OTLP exporter, resources, semantic conventions: some 150 modules,
 * several MiB of every process's memory) is loaded only when tracing is started; without it, the
 * default, the libraries' spans are the API's no-ops (docs/benchmarks.md, Session 11).
 */
const sdk = (): typeof TracingSdk => require('./tracing-sdk') as typeof TracingSdk;

/** What `startTracing` started: flushes the spans still buffered and stops exporting. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for an app when tracing is configured: the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (spans go to `<it>/v1/traces`) or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * (used as it is), read from `env`; the OTLP/HTTP exporter reads the other standard `OTEL_*`
 * variables (headers, timeout) from the process's environment. Unset — the
 * default — nothing is started: the libraries' spans are the API's no-ops and no message gains a
 * trace header. `OTEL_SDK_DISABLED=true` turns it off whatever the endpoint. Only app bootstraps
 * call this; libraries use `@opentelemetry/api` alone.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env, logger?: HubLogger): Tracing | undefined {
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  // As the specification has it: the traces endpoint is used as it is, the base one gets `/v1/traces`.
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!endpoint || env['OTEL_SDK_DISABLED'] === 'true') return undefined;
  const tracing = registerTracing(serviceName, [sdk().otlpSpanProcessor(endpoint)]);
  logger?.info({ serviceName, endpoint }, 'tracing.started');
  return tracing;
}

/**
 * Registers a tracer provider with these span processors, the async-local-storage context manager
 * and the W3C trace-context propagator as the process's globals. `startTracing` with the OTLP
 * exporter; a test with an `InMemorySpanExporter` behind a `SimpleSpanProcessor`.
 */
export function registerTracing(serviceName: string, spanProcessors: SpanProcessor[]): Tracing {
  return sdk().registerTracingSdk(serviceName, spanProcessors);
}

export type { SpanExporter };

const httpTracer = trace.getTracer('@hub/platform');

/**
 * A SERVER span around one HTTP request's handling, continuing the caller's trace when the request
 * carries a `traceparent` header; what `work` publishes is its child. `statusCode`: the response's
 * status once `work` is done (a 5xx marks the span an error). A no-op without an SDK.
 */
export async function serverSpan<T>(
  route: string,
  method: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  work: () => Promise<T>,
  statusCode?: () => number,
): Promise<T> {
  const carrier: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const v = headers[name];
    if (v !== undefined) carrier[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const parent = carrier['traceparent'] === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier);
  const span = httpTracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route } },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), work);
    const status = statusCode?.();
    if (status !== undefined) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    return result;
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}
