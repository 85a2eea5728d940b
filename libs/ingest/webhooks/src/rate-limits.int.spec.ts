import { freshId, testInfra } from '@hub/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * Webhook rate limits through a real ingestion app (in-process, real Kafka): per client address (the
 * peer, or what a trusted proxy says) and per source (this tenant's provider route, from any
 * address), answered 429 with Retry-After and the hub's error body, counted on /metrics.
 */
const infra = testInfra();
const route = (provider: string) =>
  CHANNEL_TEST_SETUPS.voice.find((s) => s.definition.manifest.provider === provider)!.definition.manifest.route.path;
const running: RunningIngestApp[] = [];

async function start(overrides: Record<string, string>): Promise<string> {
  const namespace = freshId('rl');
  const env = Object.assign(
    {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: namespace,
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: 'https://hub.example.com',
      RATE_LIMIT_WINDOW_MS: '600000',
    },
    ...CHANNEL_TEST_SETUPS.voice.map((s) => s.env),
    overrides,
  ) as NodeJS.ProcessEnv;
  const app = await startIngestApp('voice', env);
  running.push(app);
  return app.url;
}

afterAll(async () => {
  for (const app of running) await app.close();
});

/** An unsigned delivery: refused by the adapter (4xx) unless a limit refuses it first. */
async function deliver(url: string, path: string, forwardedFor?: string) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: 'CallSid=CA1',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe('webhook rate limits', () => {
  it('one address over RATE_LIMIT_PER_ADDRESS gets 429 with Retry-After, whatever X-Forwarded-For says when no proxy is trusted', async () => {
    const url = await start({ RATE_LIMIT_PER_ADDRESS: '2' });
    const path = route('twilio');
    expect((await deliver(url, path, '203.0.113.1')).status).toBeLessThan(429);
    expect((await deliver(url, path, '203.0.113.2')).status).toBeLessThan(429);
    const over = await deliver(url, path, '203.0.113.3');
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(over.body).toEqual({
      error: 'too_many_requests',
      reason: 'too many requests from this address',
      limit: { per: 'address', max: 2, windowMs: 600_000 },
      retryAfterSeconds: retryAfter,
    });
    // The probes are not limited; the refusal is counted.
    const metrics = (await (await fetch(`${url}/metrics?format=json`)).json()) as Record<string, number>;
    expect(metrics['rejected.rate_limited_per_address']).toBe(1);
    // The publisher's in-process queue beside its bound (the fault harness's queue check reads them).
    expect(metrics['publisher.queued_bytes']).toBeGreaterThanOrEqual(0);
    expect(metrics['publisher.max_queued_bytes']).toBe(64 * 1024 * 1024);
    expect((await fetch(`${url}/health`)).status).toBeLessThan(429);
  });

  it('one source over RATE_LIMIT_PER_SOURCE gets 429 from every address, and another source of the app does not', async () => {
    // The proxy in front is trusted: each forwarded client has its own address count.
    const url = await start({ RATE_LIMIT_PER_SOURCE: '3', RATE_LIMIT_PER_ADDRESS: '2', HTTP_TRUST_PROXY: '127.0.0.1' });
    const path = route('twilio');
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      expect((await deliver(url, path, address)).status).toBeLessThan(429);
    const over = await deliver(url, path, '203.0.113.4');
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ reason: 'too many requests to this source', limit: { per: 'source', max: 3 } });
    expect((await deliver(url, route('amazon-connect'), '203.0.113.5')).status).toBeLessThan(429);
  });

  it('with a trusted proxy, each forwarded client is counted on its own', async () => {
    const url = await start({ RATE_LIMIT_PER_ADDRESS: '1', HTTP_TRUST_PROXY: 'loopback' });
    const path = route('twilio');
    expect((await deliver(url, path, '203.0.113.1')).status).toBeLessThan(429);
    expect((await deliver(url, path, '203.0.113.2')).status).toBeLessThan(429);
    expect((await deliver(url, path, '203.0.113.1')).status).toBe(429);
  });
});
