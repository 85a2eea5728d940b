import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { eventually, freshId, sampleValue, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from '@hub/timeline';
import { startQueryApi } from './main';

/**
 * The query API's `GET /metrics` (in-process, real PostgreSQL) in the Prometheus text format: open
 * without a key and never rate limited; requests counted by route pattern and status (a refusal
 * too); open live-timeline streams as a gauge that goes back down when a client hangs up.
 */
const tenant = freshId('qm');
const key = randomBytes(24).toString('base64url');
let pool: Pool;
let app: NestFastifyApplication;
let url: string;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2 });
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${tenant}:${createHash('sha256').update(key).digest('hex')}`,
    RATE_LIMIT_WINDOW_MS: '600000',
    RATE_LIMIT_PER_ADDRESS: '2',
  }));
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe("the query API's /metrics", () => {
  it('counts requests by route pattern and status, the rate-limited one too, while scrapes are never limited', async () => {
    const route = '/tenants/:tenantId/customers/:customerId';
    const labels = { route, method: 'GET' };
    const before = await scrape();
    const statuses: number[] = [];
    // RATE_LIMIT_PER_ADDRESS=2: the third is refused; the scrapes around them are never limited.
    for (let n = 0; n < 3; n++)
      statuses.push((await fetch(`${url}/tenants/${tenant}/customers/nobody`, { headers: { authorization: `Bearer ${key}` } })).status);
    expect(statuses).toEqual([404, 404, 429]);
    for (let n = 0; n < 5; n++) await scrape();
    const after = await scrape();
    const delta = (status: string) =>
      sampleValue(after, 'hub_http_requests_total', { ...labels, status }) -
      sampleValue(before, 'hub_http_requests_total', { ...labels, status });
    expect(sampleValue(after, 'hub_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(6);
    expect(delta('404')).toBe(2);
    expect(delta('429')).toBe(1);
    expect(after).toMatch(/^hub_process_cpu_seconds_total\{app="query-api"\} /m);
  });
});

describe('a live timeline client', () => {
  it('is counted while its stream is open, and no longer once it hung up', async () => {
    const limited = await startQueryApi({
      DATABASE_URL: testInfra().databaseUrl,
      PORT: '0',
      LOG_LEVEL: 'silent',
      HUB_API_KEYS: `${tenant}:${createHash('sha256').update(key).digest('hex')}`,
      RATE_LIMIT_ENABLED: 'false',
    });
    try {
      const customerId = freshId('c');
      await new PostgresTimelineStore(pool).apply([
        {
          kind: 'customer',
          tenantId: tenant,
          customerId,
          identity: { kind: 'phone', value: '+14155550123' },
          at: new Date().toISOString(),
        },
      ]);
      const clients = async () => sampleValue(await (await fetch(`${limited.url}/metrics`)).text(), 'hub_live_timeline_clients');
      const before = await clients();
      const abort = new AbortController();
      const res = await fetch(`${limited.url}/tenants/${tenant}/customers/${customerId}/timeline/live`, {
        headers: { authorization: `Bearer ${key}` },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(await clients()).toBe(before + 1);
      abort.abort();
      await eventually(async () => ((await clients()) === before ? true : undefined), {
        what: 'the hung-up stream leaving the gauge',
        timeoutMs: 20_000,
      });
    } finally {
      await limited.app.close();
    }
  });
});
