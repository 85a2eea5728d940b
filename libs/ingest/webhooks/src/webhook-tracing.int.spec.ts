import { createHash } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { hubNames } from '@hub/contracts';
import { registerTracing, type Tracing } from '@hub/platform';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * A signed Twilio webhook through a real ingestion app (in-process, real Kafka) with an in-memory
 * span exporter: the request's SERVER span continues the caller's `traceparent`, the publish is its
 * PRODUCER child, and the message on the interactions topic carries that producer span's context in
 * its `traceparent` header beside the `hub-*` ones. (The rest of the trace, from the consumer to the
 * store: apps/project/timeline-projector/src/tracing.int.spec.ts.)
 */
const infra = testInfra();
const namespace = freshId('trace');
const BASE = 'https://hub.example.com';
const TOKEN = 'trace-twilio-auth-token';
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let app: RunningIngestApp;

beforeAll(async () => {
  tracing = registerTracing('webhook-tracing-int-spec', [new SimpleSpanProcessor(exporter)]);
  app = await startIngestApp('sms', {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    TENANT_ID: namespace,
    HUB_NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: BASE,
    TWILIO_AUTH_TOKEN: TOKEN,
  });
});

afterAll(async () => {
  await app?.close();
  await tracing.shutdown();
});

function twilioSmsParams(body: string): Record<string, string> {
  const messageSid = `SM${createHash('sha256').update(freshId()).digest('hex').slice(0, 32)}`;
  return {
    MessageSid: messageSid,
    SmsSid: messageSid,
    AccountSid: `AC${'0123456789abcdef'.repeat(2)}`,
    From: '+14155550111',
    To: '+14155550999',
    Body: body,
    NumMedia: '0',
    ApiVersion: '2010-04-01',
  };
}

/** The headers of every message on the interactions topic, once there are `count`. */
async function headersOnKafka(count: number): Promise<Record<string, string>[]> {
  const kafka = new Kafka({ clientId: freshId('trace-read'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: freshId('trace-read'), maxWaitTimeInMs: 200 });
  const all: Record<string, string>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: hubNames(namespace).topics.interactions, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void all.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))),
    });
    await eventually(async () => (all.length >= count ? true : undefined), { what: `${count} messages`, timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return all;
}

describe('a signed webhook whose request carries a traceparent', () => {
  it('is a SERVER span continuing it, parent of the PRODUCER span whose context the Kafka message carries', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const params = twilioSmsParams('hello, traced');
    const path = '/webhooks/twilio';
    const res = await fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(TOKEN, `${BASE}${path}`, params),
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(202);

    const spans = exporter.getFinishedSpans();
    const server = spans.find((s: ReadableSpan) => s.kind === SpanKind.SERVER)!;
    expect(server.name).toBe('POST /webhooks/twilio');
    expect(server.spanContext().traceId).toBe(callerTrace);
    expect(server.parentSpanContext?.spanId).toBe(callerSpan);
    expect(server.attributes['http.response.status_code']).toBe(202);
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER && s.parentSpanContext?.spanId === server.spanContext().spanId)!;
    expect(producer.attributes['messaging.destination.name']).toBe(hubNames(namespace).topics.interactions);

    const [headers] = await headersOnKafka(1);
    expect(headers!['traceparent']).toBe(`00-${callerTrace}-${producer.spanContext().spanId}-01`);
    expect(headers!['hub-tenant-id']).toBe(namespace);
  });
});
