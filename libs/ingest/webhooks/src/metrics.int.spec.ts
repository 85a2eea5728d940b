import { loadConformanceFixtures, CONFORMANCE_FORGED_SECRET } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { freshId, sampleValue, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * `GET /metrics` of a real ingestion app (in-process, real Kafka) in the Prometheus text format: a
 * signed Shopify webhook accepted and a forged one refused move the outcome and request counters by
 * exactly one each; the JSON view stays behind `?format=json`.
 */
const infra = testInfra();
const namespace = freshId('metrics');
const shopify = CHANNEL_TEST_SETUPS.commerce.find((s) => s.definition.manifest.provider === 'shopify')!;
let app: RunningIngestApp;

beforeAll(async () => {
  const env = Object.assign(
    {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: namespace,
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: 'https://hub.example.com',
    },
    ...CHANNEL_TEST_SETUPS.commerce.map((s) => s.env),
  ) as NodeJS.ProcessEnv;
  app = await startIngestApp('commerce', env);
});

afterAll(async () => {
  await app.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function deliver(options: { secret?: string }): Promise<Response> {
  const [fixture] = loadConformanceFixtures(shopify.fixturesDir).valid;
  const signed = shopify.sign(fixture!.payload, options);
  return fetch(`${app.url}${new URL(signed.url).pathname}`, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: signed.rawBody,
  });
}

describe("an ingestion app's /metrics", () => {
  it('answers the Prometheus text format with the app label, Node defaults and the publish queue', async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE hub_process_cpu_seconds_total counter');
    expect(text).toMatch(/^hub_process_resident_memory_bytes\{app="ingest-commerce"\} \d+/m);
    expect(sampleValue(text, 'hub_publisher_max_queued_bytes')).toBeGreaterThan(0);
  });

  it('counts an accepted and a refused webhook by outcome, code, route and status, one each', async () => {
    const route = `${shopify.definition.manifest.route.path}`;
    const before = await scrape();
    const accepted = await deliver({});
    expect(accepted.status).toBe(202);
    const forged = await deliver({ secret: CONFORMANCE_FORGED_SECRET });
    expect(forged.status).toBe(401);
    const { reason } = (await forged.json()) as { reason: string };
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('hub_ingest_outcomes_total', { outcome: 'accepted', code: '' })).toBe(1);
    expect(delta('hub_ingest_outcomes_total', { outcome: 'rejected', code: reason })).toBe(1);
    expect(delta('hub_http_requests_total', { route, method: 'POST', status: '202' })).toBe(1);
    expect(delta('hub_http_requests_total', { route, method: 'POST', status: '401' })).toBe(1);
    // The scrape itself is a request too, counted once it is answered.
    expect(delta('hub_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).toBe(1);
  });

  it('keeps the JSON counts by key behind ?format=json (the demo and the fault harness read them)', async () => {
    const res = await fetch(`${app.url}/metrics?format=json`);
    const json = (await res.json()) as Record<string, number>;
    expect(json['accepted']).toBeGreaterThanOrEqual(1);
    expect(json['publisher.max_queued_bytes']).toBeGreaterThan(0);
  });
});
