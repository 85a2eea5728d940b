import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { registerTracing } from '@hub/platform';
import { consumerSpan, producerSpan, spanContextOfHeaders, traceHeaders } from './message-tracing';

const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'hub-event-id': 'e1' };

describe('when no tracing SDK is started (the default)', () => {
  it('has no trace header to add to a message', async () => {
    await producerSpan('topic', 1, async () => {
      expect(traceHeaders()).toBeUndefined();
    });
  });

  it('runs the work of producer and consumer spans, returning its value and passing its error on', async () => {
    await expect(producerSpan('topic', 2, async () => 'sent')).resolves.toBe('sent');
    await expect(consumerSpan('topic', [incoming, {}], async () => 3)).resolves.toBe(3);
    await expect(consumerSpan('topic', [incoming], () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('reads no context from a message’s headers (no propagator)', () => {
    expect(spanContextOfHeaders(incoming)).toBeUndefined();
    expect(spanContextOfHeaders({})).toBeUndefined();
  });
});

describe('when a tracing SDK is started', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: ReturnType<typeof registerTracing>;
  beforeAll(() => {
    tracing = registerTracing('message-tracing-spec', [new SimpleSpanProcessor(exporter)]);
  });
  afterAll(() => tracing.shutdown());

  it('injects the producer span’s context into the headers, which the consumer span links to', async () => {
    let sent: Record<string, string> | undefined;
    await producerSpan('topic', 1, async () => {
      sent = traceHeaders();
    });
    const producer = exporter.getFinishedSpans().at(-1)!;
    expect(Object.keys(sent!)).toEqual(['traceparent']);
    expect(sent!['traceparent']).toBe(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);

    await consumerSpan('topic', [sent!, incoming, {}], async () => {
      expect(trace.getActiveSpan()).toBeDefined();
      expect(context.active()).toBeDefined();
    });
    const consumer = exporter.getFinishedSpans().at(-1)!;
    expect(consumer.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId, 'b7ad6b7169203331']);
    // A run of several messages starts a trace of its own.
    expect(consumer.parentSpanContext).toBeUndefined();
  });

  it('ignores a malformed traceparent', () => {
    expect(spanContextOfHeaders({ traceparent: 'not-a-trace' })).toBeUndefined();
  });
});
