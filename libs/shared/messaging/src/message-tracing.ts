import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * Traces across Kafka, with the OpenTelemetry API only: without an SDK registered (`startTracing`
 * in an app's bootstrap, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set) every span here is the
 * API's non-recording one and the propagator injects nothing, so a message gains no header and the
 * cost is a few object allocations per publish or run. W3C trace context travels in the message
 * headers `traceparent` and `tracestate` (docs/events.md).
 */
export const messagingTracer = trace.getTracer('@hub/messaging');

/** At most this many links on one span (OpenTelemetry's default span limit is 128). */
export const MAX_LINKS = 128;

/** The W3C trace-context headers (the propagator's own names). */
export const TRACE_HEADERS = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

/** The trace-context headers of `ctx` (`traceparent`, `tracestate`); undefined when there are none (no SDK started). */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier[TRACE_HEADERS.traceparent] === undefined ? undefined : carrier;
}

/** The span context a message's headers carry (`traceparent`), if any and valid. */
export function spanContextOfHeaders(headers: Readonly<Record<string, string>>): SpanContext | undefined {
  if (headers[TRACE_HEADERS.traceparent] === undefined) return undefined;
  const found = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
  return found && trace.isSpanContextValid(found) ? found : undefined;
}

/** Ends `span` when `work` settles, its error recorded; `work` runs with `span` active. */
export async function inSpan<T>(span: Span, parent: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), work);
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** A PRODUCER span for one publish (child of the active span), its context injected into each message's headers by `work`. */
export function producerSpan<T>(topic: string, messages: number, work: () => Promise<T>): Promise<T> {
  const parent = context.active();
  const span = messagingTracer.startSpan(
    `${topic} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.batch.message_count': messages },
    },
    parent,
  );
  return inSpan(span, parent, work);
}

/**
 * A CONSUMER span for one run of messages, linked to the context each message's producer injected
 * (the first `MAX_LINKS`): one run carries many inputs, each of its own trace. A run of one message
 * continues that message's trace (its producer span is the parent) as well as linking it.
 */
export function consumerSpan<T>(
  topic: string,
  headers: readonly Readonly<Record<string, string>>[],
  work: () => Promise<T>,
  name = `${topic} process`,
): Promise<T> {
  const links: Link[] = [];
  for (const h of headers) {
    if (links.length === MAX_LINKS) break; // the SDK would drop the rest anyway
    const linked = spanContextOfHeaders(h);
    if (linked) links.push({ context: linked });
  }
  const parent = headers.length === 1 && links.length === 1 ? trace.setSpanContext(ROOT_CONTEXT, links[0]!.context) : ROOT_CONTEXT;
  const span = messagingTracer.startSpan(
    name,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.batch.message_count': headers.length },
    },
    parent,
  );
  return inSpan(span, parent, work);
}

/** An INTERNAL span, child of the active one, around `work` (an append, a projection, a decision). */
export function childSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
  links: Link[] = [],
): Promise<T> {
  const parent = context.active();
  return inSpan(messagingTracer.startSpan(name, { attributes, links }, parent), parent, work);
}

/** The W3C `traceparent` of a recording span (version 00); undefined for the API's no-op span (no SDK). */
export function traceparentOf(span: Span | undefined = trace.getActiveSpan()): string | undefined {
  if (!span?.isRecording()) return undefined;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/** Links to the span contexts of these `traceparent`s (malformed or absent ones left out), at most `max`. */
export function linksOf(traceparents: readonly (string | undefined)[], max = MAX_LINKS): Link[] {
  const links: Link[] = [];
  for (const traceparent of traceparents) {
    if (links.length >= max) break;
    const linked = traceparent === undefined ? undefined : spanContextOfHeaders({ traceparent });
    if (linked) links.push({ context: linked });
  }
  return links;
}
