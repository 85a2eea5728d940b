import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { registerTracing, type Tracing } from '@hub/platform';
import { freshId, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { sha256Hex } from './source-keys';

/**
 * The generic API's requests as SERVER spans (in-process app, real Kafka, in-memory exporter): each
 * continues the caller's `traceparent`, records its status, and is the parent of its publish's
 * PRODUCER span.
 */
const infra = testInfra();
const tenant = freshId('acme');
const KEY = randomBytes(24).toString('base64url');
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let api: RunningIngestApi;

beforeAll(async () => {
  tracing = registerTracing('events-tracing-int-spec', [new SimpleSpanProcessor(exporter)]);
  api = await startIngestApiApp({
    HUB_NAMESPACE: freshId('trace'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    INGEST_API_KEYS: `genesys:${tenant}:${sha256Hex(KEY)}`,
  });
});

afterAll(async () => {
  await api?.close();
  await tracing.shutdown();
});

const event = (marker: string) => ({
  type: 'InteractionReceived',
  data: {
    direction: 'inbound',
    kind: 'message',
    identities: [{ kind: 'phone', value: '+14155550100' }],
    content: { text: marker, media: [] },
    provider: { messageId: `msg-${marker}-${freshId()}` },
  },
  metadata: { occurredAt: '2026-12-07T09:59:58.000Z', channel: 'sms' },
});

async function post(path: string, body: string, contentType: string, traceparent: string): Promise<number> {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${KEY}`, traceparent },
    body,
  });
  await res.text();
  return res.status;
}

/** The SERVER span of the request made under `traceId`, and the PRODUCER spans under it. */
function spansOf(traceId: string): { server: ReadableSpan; producers: ReadableSpan[] } {
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
  const producers = spans.filter((s) => s.kind === SpanKind.PRODUCER && s.parentSpanContext?.spanId === server.spanContext().spanId);
  return { server, producers };
}

describe.each([
  ['/v1/events', 'application/json', JSON.stringify(event('one'))],
  ['/v1/events/batch', 'application/x-ndjson', [event('a'), event('b')].map((e) => JSON.stringify(e)).join('\n')],
])('a request to %s carrying a traceparent', (path, contentType, body) => {
  it('is a SERVER span continuing it, with its status, parent of the publish', async () => {
    const traceId = randomBytes(16).toString('hex');
    const caller = randomBytes(8).toString('hex');
    const status = await post(path, body, contentType, `00-${traceId}-${caller}-01`);
    expect([200, 202]).toContain(status);
    const { server, producers } = spansOf(traceId);
    expect(server.name).toBe(`POST ${path}`);
    expect(server.parentSpanContext?.spanId).toBe(caller);
    expect(server.attributes['http.response.status_code']).toBe(status);
    expect(producers).toHaveLength(1);
  });
});
