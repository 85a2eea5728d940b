import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';

/**
 * One trace from the webhook to the decision (issue #17 item 4), across the real processes: ingest-sms,
 * timeline-projector and nba-worker export their spans over OTLP/HTTP to a collector this spec stands
 * up, and the spans must join: the webhook's SERVER span → its PRODUCER span (child) → the recorder's
 * CONSUMER span (a run of one message continues the producer's trace, and links it) → the
 * `event-store append` (child) → the worker's `nba decide`, which links the append that recorded its
 * input (the debounce may fold several inputs into one decision: links, not a parent).
 */
const infra = testInfra();
const tenant = freshId('e2etrace');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
}
/** Every span received, with the service that sent it. */
const spans: (OtlpSpan & { service: string })[] = [];
let collector: Server;
let apps: AppProcess[] = [];
let database: { url: string; drop(): Promise<void> };

/** OTLP/JSON: resourceSpans[].resource.attributes (service.name), scopeSpans[].spans[]. */
function collect(body: string): void {
  const payload = JSON.parse(body) as {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
      scopeSpans?: { spans?: OtlpSpan[] }[];
    }[];
  };
  for (const rs of payload.resourceSpans ?? []) {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push({ ...span, service });
  }
}

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') collect(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  database = await freshDatabase('e2e_trace');
  const env = {
    DATABASE_URL: database.url,
    HUB_NAMESPACE: tenant,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    TENANT_ID: tenant,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    PORT: '0',
    NBA_DEBOUNCE_MS: '100',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    // Export each batch after 200 ms rather than the SDK's 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  apps = await Promise.all([
    startAppProcess('ingest-sms', env, { logSuffix: `-${tenant}` }),
    startAppProcess('timeline-projector', env, { logSuffix: `-${tenant}` }),
    startAppProcess('nba-worker', env, { logSuffix: `-${tenant}` }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await database?.drop();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

it('given one signed SMS, then the spans of the three processes form one trace from the webhook to the decision', async () => {
  const url = `${apps[0]!.url!}/webhooks/twilio`;
  const params = twilioSmsParams({
    from: '+14155550177',
    to: '+14155550000',
    body: 'Where is my order?',
    accountSid: ACCOUNT_SID,
    seed: tenant,
  });
  const signed = signedTwilioRequest({ authToken: AUTH_TOKEN, url, params });
  const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
  expect(res.status).toBe(202);

  const chain = await eventually(
    () => {
      const server = spans.find((s) => s.service === 'ingest-sms' && s.kind === SERVER && s.name.startsWith('POST'));
      const producer = server && spans.find((s) => s.kind === PRODUCER && s.parentSpanId === server.spanId);
      const consumer =
        producer &&
        spans.find((s) => s.service === 'timeline-projector' && s.kind === CONSUMER && s.links?.some((l) => l.spanId === producer.spanId));
      // The run's appends (claims and the customer's stream may be more than one), and the decision linking one of them.
      const appends = consumer ? spans.filter((s) => s.name === 'event-store append' && s.parentSpanId === consumer.spanId) : [];
      const decide = spans.find((s) => s.name === 'nba decide' && s.links?.some((l) => appends.some((a) => a.spanId === l.spanId)));
      const append = decide && appends.find((a) => decide.links!.some((l) => l.spanId === a.spanId));
      return Promise.resolve(decide && append ? { server, producer, consumer, append, decide } : undefined);
    },
    { what: 'the spans from the webhook to the decision', timeoutMs: 60_000 },
  );

  // One trace from the request to the append (a run of one message continues its producer's trace).
  const traceId = chain.server!.traceId;
  expect([chain.producer!.traceId, chain.consumer!.traceId, chain.append!.traceId]).toEqual([traceId, traceId, traceId]);
  expect(chain.consumer!.parentSpanId).toBe(chain.producer!.spanId);
  expect(chain.append!.service).toBe('timeline-projector');
  // The decision, in the worker's process, links back into that trace.
  expect(chain.decide!.service).toBe('nba-worker');
  expect(chain.decide!.links).toContainEqual(expect.objectContaining({ traceId, spanId: chain.append!.spanId }));
}, 90_000);
