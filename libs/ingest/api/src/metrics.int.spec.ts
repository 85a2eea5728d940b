import { randomBytes } from 'node:crypto';
import { freshId, sampleValue, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { sha256Hex } from './source-keys';

/**
 * ingest-api's `GET /metrics` (in-process, real Kafka) in the Prometheus text format, open without a
 * key: an accepted event and a refused one move the outcome and request counters by one each.
 */
const infra = testInfra();
const tenant = freshId('metrics');
const KEY = randomBytes(24).toString('base64url');
let api: RunningIngestApi;

beforeAll(async () => {
  api = await startIngestApiApp({
    HUB_NAMESPACE: freshId('metrics'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    PORT: '0',
    LOG_LEVEL: 'silent',
    INGEST_RAW_ENABLED: 'false',
    INGEST_API_KEYS: `genesys:${tenant}:${sha256Hex(KEY)}`,
    RATE_LIMIT_PER_ADDRESS: '1',
  });
});

afterAll(async () => {
  await api.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${api.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

const send = (body: unknown) =>
  fetch(`${api.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });

describe("ingest-api's /metrics", () => {
  it('counts an accepted and a refused event by outcome, code, route and status, one each; scrapes are never rate limited', async () => {
    const marker = freshId('m');
    const before = await scrape();
    const accepted = await send({
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'phone', value: '+14155550100' }],
        content: { text: marker, media: [] },
        provider: { messageId: `msg-${marker}` },
      },
      metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms' },
    });
    expect(accepted.status).toBe(202);
    // RATE_LIMIT_PER_ADDRESS=1: the second request to /v1 is refused, while every scrape is answered.
    const refused = await send({ type: 'nothing' });
    expect(refused.status).toBe(429);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('hub_ingest_outcomes_total', { outcome: 'accepted', code: '' })).toBe(1);
    expect(delta('hub_ingest_outcomes_total', { outcome: 'rejected', code: 'rate_limited_per_address' })).toBe(1);
    expect(delta('hub_http_requests_total', { route: '/v1/events', method: 'POST', status: '202' })).toBe(1);
    expect(delta('hub_http_requests_total', { route: '/v1/events', method: 'POST', status: '429' })).toBe(1);
    expect(after).toMatch(/^hub_process_cpu_seconds_total\{app="ingest-api"\} /m);
  });

  it('keeps the JSON counts by key behind ?format=json', async () => {
    const json = (await (await fetch(`${api.url}/metrics?format=json`)).json()) as Record<string, number>;
    expect(json['http.accepted']).toBe(1);
    expect(json['http.rejected.rate_limited_per_address']).toBe(1);
  });
});
