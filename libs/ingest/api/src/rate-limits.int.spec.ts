import { randomBytes } from 'node:crypto';
import { freshId, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { sha256Hex } from './source-keys';

/**
 * ingest-api's request rate limits (in-process, real Kafka): per client address before the key is
 * checked (a flood of bad keys is counted) and per source key after it; 429 with Retry-After and
 * the hub's error body, counted on /metrics.
 */
const infra = testInfra();
const tenant = freshId('rl');
const KEY = randomBytes(24).toString('base64url');
const OTHER_KEY = randomBytes(24).toString('base64url');
const running: RunningIngestApi[] = [];

async function start(overrides: Record<string, string>): Promise<string> {
  const api = await startIngestApiApp({
    HUB_NAMESPACE: freshId('rl'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    PORT: '0',
    LOG_LEVEL: 'silent',
    INGEST_RAW_ENABLED: 'false',
    INGEST_API_KEYS: `genesys:${tenant}:${sha256Hex(KEY)},five9:${tenant}:${sha256Hex(OTHER_KEY)}`,
    RATE_LIMIT_WINDOW_MS: '600000',
    ...overrides,
  });
  running.push(api);
  return api.url;
}

afterAll(async () => {
  for (const api of running) await api.close();
});

/** An event the API refuses as invalid (400) unless a limit or the key check refuses it first. */
async function send(url: string, key: string | undefined) {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: '{"type":"nothing"}',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe('ingest-api rate limits', () => {
  it('one source key over RATE_LIMIT_PER_KEY gets 429 with Retry-After; another key from the same address does not', async () => {
    const url = await start({ RATE_LIMIT_PER_KEY: '2' });
    expect((await send(url, KEY)).status).toBe(400);
    expect((await send(url, KEY)).status).toBe(400);
    const over = await send(url, KEY);
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // The API's one error shape (issue #16, item 6), the limit's details beside it.
    expect(over.body).toEqual({
      error: 'too_many_requests',
      message: 'too many requests with this key',
      problems: [{ path: '(request)', code: 'rate_limited_per_key', message: 'too many requests with this key' }],
      reason: 'too many requests with this key',
      limit: { per: 'key', max: 2, windowMs: 600_000 },
      retryAfterSeconds: retryAfter,
    });
    expect((await send(url, OTHER_KEY)).status).toBe(400);
    const metrics = (await (await fetch(`${url}/metrics?format=json`)).json()) as Record<string, number>;
    expect(metrics['http.rejected.rate_limited_per_key']).toBe(1);
  });

  it('one address over RATE_LIMIT_PER_ADDRESS gets 429, requests without a valid key counted too', async () => {
    const url = await start({ RATE_LIMIT_PER_ADDRESS: '3' });
    expect((await send(url, undefined)).status).toBe(401);
    expect((await send(url, 'not-a-key')).status).toBe(401);
    expect((await send(url, KEY)).status).toBe(400);
    const over = await send(url, OTHER_KEY);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ reason: 'too many requests from this address', limit: { per: 'address', max: 3 } });
  });
});
