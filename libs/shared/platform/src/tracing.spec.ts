import { context, propagation, trace } from '@opentelemetry/api';
import { startTracing } from './tracing';

describe('startTracing', () => {
  describe('when no OTLP endpoint is configured (the default)', () => {
    it('starts nothing: spans stay the API’s no-ops and no trace context is injected', () => {
      expect(startTracing('test-app', {})).toBeUndefined();
      const span = trace.getTracer('test').startSpan('nothing');
      expect(span.isRecording()).toBe(false);
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      expect(carrier).toEqual({});
    });
  });

  describe('when the SDK is disabled by OTEL_SDK_DISABLED', () => {
    it('starts nothing whatever the endpoint', () => {
      expect(startTracing('test-app', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    });
  });

  describe('when an OTLP endpoint is configured', () => {
    it('registers a recording tracer and the W3C propagator, and shuts them down again', async () => {
      const tracing = startTracing('test-app', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
      expect(tracing).toBeDefined();
      const span = trace.getTracer('test').startSpan('something');
      expect(span.isRecording()).toBe(true);
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      expect(carrier['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await tracing!.shutdown();
      expect(trace.getTracer('test').startSpan('after').isRecording()).toBe(false);
    });
  });
});
