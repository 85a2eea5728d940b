import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { ConfigError } from '@hub/config';
import { eventually, freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from '@hub/timeline';
import { startQueryApi } from './main';

/**
 * The query API's own protection, in-process over real HTTP against real PostgreSQL: request rate
 * limits per address and per key (and whose address counts: the peer, or a trusted proxy's word),
 * key scopes on the routes that change data, the caps on live streams, and the request and
 * connection timeouts (which must not cut a live stream).
 */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const newKey = () => randomBytes(24).toString('base64url');
const tenant = freshId('qe');
const otherTenant = freshId('qf');
const readKey = newKey();
const writeKey = newKey();
const eraseKey = newKey();
const allKey = newKey();
const otherKey = newKey();

const env = (overrides: Record<string, string> = {}) => ({
  DATABASE_URL: testInfra().databaseUrl,
  PORT: '0',
  LOG_LEVEL: 'silent',
  HUB_API_KEYS: [
    `${tenant}:${sha(readKey)}`,
    `${tenant}:${sha(writeKey)}:read+write`,
    `${tenant}:${sha(eraseKey)}:erase`,
    `${tenant}:${sha(allKey)}:read+write+erase`,
    `${otherTenant}:${sha(otherKey)}:read+write+erase`,
  ].join(','),
  // Long windows: a test's few requests always fall in one.
  RATE_LIMIT_WINDOW_MS: '600000',
  ...overrides,
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

let pool: Pool;
let store: PostgresTimelineStore;
const running: NestFastifyApplication[] = [];

async function start(overrides: Record<string, string> = {}): Promise<string> {
  const { app, url } = await startQueryApi(env(overrides));
  running.push(app);
  return url;
}

beforeAll(() => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2 });
  store = new PostgresTimelineStore(pool);
});

afterAll(async () => {
  for (const app of running) await app.close();
  await pool?.end();
});

async function call(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A customer the read model knows (what a live stream needs to open). */
async function knownCustomer(tenantId = tenant): Promise<string> {
  const customerId = freshId('c');
  await store.apply([
    {
      kind: 'customer',
      tenantId,
      customerId,
      identity: { kind: 'phone', value: `+1415557${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}` },
      at: new Date().toISOString(),
    },
  ]);
  return customerId;
}

describe('request rate limits', () => {
  describe('when one address sends more than RATE_LIMIT_PER_ADDRESS in a window', () => {
    it('then it gets 429 with Retry-After and the hub error body; /health is never limited', async () => {
      const url = await start({ RATE_LIMIT_PER_ADDRESS: '3' });
      const path = `/tenants/${tenant}/customers/nobody`;
      for (let n = 0; n < 3; n++) expect((await call(url, path, { headers: auth(readKey) })).status).toBe(404);
      // Another key, same address: the address is what is over.
      const over = await call(url, path, { headers: auth(allKey) });
      expect(over.status).toBe(429);
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 600).toBe(true);
      expect(over.body).toEqual({
        error: 'too_many_requests',
        reason: 'too many requests from this address',
        limit: { per: 'address', max: 3, windowMs: 600_000 },
        retryAfterSeconds: retryAfter,
      });
      // Without a key too: floods of bad keys count against the address.
      expect((await call(url, path)).status).toBe(429);
      for (let n = 0; n < 5; n++) expect((await call(url, '/health')).status).toBe(200);
    });
  });

  describe('when one key sends more than RATE_LIMIT_PER_KEY in a window', () => {
    it('then that key gets 429 and another key from the same address does not', async () => {
      const url = await start({ RATE_LIMIT_PER_KEY: '2' });
      const path = `/tenants/${tenant}/customers/nobody`;
      for (let n = 0; n < 2; n++) expect((await call(url, path, { headers: auth(readKey) })).status).toBe(404);
      const over = await call(url, path, { headers: auth(readKey) });
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(over.body).toMatchObject({
        error: 'too_many_requests',
        reason: 'too many requests with this key',
        limit: { per: 'key', max: 2 },
      });
      // The same key in the other header is the same key.
      expect((await call(url, path, { headers: { 'x-api-key': readKey } })).status).toBe(429);
      expect((await call(url, path, { headers: auth(allKey) })).status).toBe(404);
    });
  });

  describe('when RATE_LIMIT_ENABLED is false', () => {
    it('then nothing is limited', async () => {
      const url = await start({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_PER_ADDRESS: '1', RATE_LIMIT_PER_KEY: '1' });
      for (let n = 0; n < 4; n++)
        expect((await call(url, `/tenants/${tenant}/customers/nobody`, { headers: auth(readKey) })).status).toBe(404);
    });
  });

  describe('whose address counts', () => {
    const path = `/tenants/${tenant}/customers/nobody`;
    const from = (address: string) => ({ ...auth(readKey), 'x-forwarded-for': address });

    it('when no proxy is trusted (the default), X-Forwarded-For is ignored: the peer is over, whatever the header says', async () => {
      const url = await start({ RATE_LIMIT_PER_ADDRESS: '2' });
      expect((await call(url, path, { headers: from('203.0.113.1') })).status).toBe(404);
      expect((await call(url, path, { headers: from('203.0.113.2') })).status).toBe(404);
      expect((await call(url, path, { headers: from('203.0.113.3') })).status).toBe(429);
    });

    it('when the proxy is trusted, each forwarded client has its own count', async () => {
      const url = await start({ RATE_LIMIT_PER_ADDRESS: '2', HTTP_TRUST_PROXY: '127.0.0.1' });
      for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
        expect((await call(url, path, { headers: from(address) })).status).toBe(404);
      expect((await call(url, path, { headers: from('203.0.113.1') })).status).toBe(404);
      expect((await call(url, path, { headers: from('203.0.113.1') })).status).toBe(429);
      expect((await call(url, path, { headers: from('203.0.113.2') })).status).toBe(404);
    });

    it('when another proxy is trusted, a request from this peer cannot name its client', async () => {
      const url = await start({ RATE_LIMIT_PER_ADDRESS: '2', HTTP_TRUST_PROXY: '10.0.0.0/8' });
      expect((await call(url, path, { headers: from('203.0.113.1') })).status).toBe(404);
      expect((await call(url, path, { headers: from('203.0.113.2') })).status).toBe(404);
      expect((await call(url, path, { headers: from('203.0.113.3') })).status).toBe(429);
    });
  });

  it('a bad HTTP edge setting stops the app at boot with every problem named', async () => {
    const failure = await startQueryApi(
      env({
        HTTP_TRUST_PROXY: '10.0.0.0/33,proxy.example',
        RATE_LIMIT_PER_KEY: '0',
        HTTP_CONNECTION_TIMEOUT_MS: '20000',
        QUERY_LIVE_HEARTBEAT_MS: '15000',
      }),
    ).then(
      (started) => {
        running.push(started.app);
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    const message = (failure as ConfigError).message;
    expect(message).toMatch(/"10\.0\.0\.0\/33": the prefix length is out of range/);
    expect(message).toMatch(/"proxy\.example" is not an IP address/);
    expect(message).toMatch(/RATE_LIMIT_PER_KEY/);
    expect(message).not.toMatch(/HTTP_CONNECTION_TIMEOUT_MS/);
    const tooShort = await startQueryApi(env({ HTTP_CONNECTION_TIMEOUT_MS: '20000', QUERY_LIVE_HEARTBEAT_MS: '15000' })).then(
      (started) => {
        running.push(started.app);
        return undefined;
      },
      (err: unknown) => err,
    );
    expect((tooShort as ConfigError).message).toMatch(
      /HTTP_CONNECTION_TIMEOUT_MS \(20000\) must be at least twice QUERY_LIVE_HEARTBEAT_MS/,
    );
  });
});

describe('key scopes', () => {
  let url = '';
  beforeAll(async () => {
    url = await start();
  });
  const customers = `/tenants/${tenant}/customers`;

  it('a read-only key (an entry without scopes) reads, previews a merge, and gets 403 on every route that changes data', async () => {
    expect((await call(url, `${customers}/nobody`, { headers: auth(readKey) })).status).toBe(404);
    // A preview writes nothing: the read scope is enough (the body is checked after the guard).
    expect((await call(url, `${customers}/merge-preview`, { method: 'POST', headers: auth(readKey), body: {} })).status).toBe(400);
    const writes: [string, string, unknown, 'write' | 'erase'][] = [
      ['POST', `${customers}/merges`, { customerIds: ['a', 'b'], evidence: { source: 'x' }, requestId: 'r' }, 'write'],
      ['POST', `${customers}/nobody/unmerge`, { mergeId: 'm', reason: 'r', requestId: 'r' }, 'write'],
      ['POST', `${customers}/nobody/merge-proposals/p/approve`, {}, 'write'],
      ['POST', `${customers}/nobody/merge-proposals/p/reject`, { reason: 'two people' }, 'write'],
      ['POST', `${customers}/nobody/erase`, { reason: 'gdpr', requestedBy: 'ops' }, 'erase'],
      ['POST', `${customers}/nobody/decisions/d/outcome`, { outcome: 'accepted' }, 'write'],
      ['POST', `/tenants/${tenant}/saved-queries`, { name: 'q', path: 'customers', query: {} }, 'write'],
      ['DELETE', `/tenants/${tenant}/saved-queries/some-id`, undefined, 'write'],
    ];
    for (const [method, path, body, scope] of writes) {
      const res = await call(url, path, { method, headers: auth(readKey), body });
      expect([method, path, res.status, res.body]).toEqual([
        method,
        path,
        403,
        { error: 'forbidden', reason: `${scope}_scope_required`, scope },
      ]);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="hub-query-api", error="insufficient_scope", scope="hub:${scope}"`);
    }
  });

  it('write does not give erase, erase does not give read; each reaches its own routes', async () => {
    expect(
      (
        await call(url, `${customers}/nobody/erase`, {
          method: 'POST',
          headers: auth(writeKey),
          body: { reason: 'gdpr', requestedBy: 'ops' },
        })
      ).body,
    ).toMatchObject({ reason: 'erase_scope_required' });
    // Past the guard: the handler answers (no such customer).
    expect(
      (
        await call(url, `${customers}/nobody/erase`, {
          method: 'POST',
          headers: auth(eraseKey),
          body: { reason: 'gdpr', requestedBy: 'ops' },
        })
      ).status,
    ).toBe(404);
    expect((await call(url, `${customers}/nobody`, { headers: auth(eraseKey) })).body).toMatchObject({ reason: 'read_scope_required' });
    expect((await call(url, `${customers}/merges`, { method: 'POST', headers: auth(writeKey), body: {} })).status).toBe(400);
    expect(
      (await call(url, `${customers}/nobody/merge-proposals/p/approve`, { method: 'POST', headers: auth(writeKey), body: {} })).status,
    ).toBe(404);
    expect(
      (await call(url, `${customers}/nobody/merge-proposals/p/reject`, { method: 'POST', headers: auth(writeKey), body: {} })).status,
    ).toBe(400);
    expect(
      (
        await call(url, `${customers}/nobody/erase`, {
          method: 'POST',
          headers: auth(allKey),
          body: { reason: 'gdpr', requestedBy: 'ops' },
        })
      ).status,
    ).toBe(404);
  });

  it('a key of another tenant gets 404, whatever its scopes, before any scope is checked', async () => {
    const res = await call(url, `${customers}/nobody/erase`, {
      method: 'POST',
      headers: auth(otherKey),
      body: { reason: 'gdpr', requestedBy: 'ops' },
    });
    expect(res.status).toBe(404);
  });
});

/** Opens a live stream; `close` hangs up. */
async function openLive(url: string, customerId: string, key: string) {
  const abort = new AbortController();
  const res = await fetch(`${url}/tenants/${tenant}/customers/${customerId}/timeline/live`, { headers: auth(key), signal: abort.signal });
  let text = '';
  const reading = (async () => {
    if (res.status !== 200 || !res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    } catch {
      /* aborted */
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    body: res.status === 200 ? {} : ((await res.json()) as Record<string, unknown>),
    text: () => text,
    ended: reading,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

describe('live stream caps', () => {
  it('past the per-key cap: 429; past the process cap: 503; both with Retry-After before the stream opens; a closed stream frees its place', async () => {
    const url = await start({ QUERY_LIVE_MAX_STREAMS: '2', QUERY_LIVE_MAX_STREAMS_PER_KEY: '1' });
    const customerId = await knownCustomer();
    // An open that fails (unknown customer) holds no place.
    expect((await openLive(url, 'nobody', readKey)).status).toBe(404);

    const first = await openLive(url, customerId, readKey);
    expect(first.status).toBe(200);
    const sameKey = await openLive(url, customerId, readKey);
    expect(sameKey.status).toBe(429);
    expect(Number(sameKey.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sameKey.body).toMatchObject({ error: 'too_many_requests', limit: { per: 'key', max: 1 } });

    const second = await openLive(url, customerId, allKey);
    expect(second.status).toBe(200);
    const full = await openLive(url, customerId, writeKey);
    expect(full.status).toBe(503);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(full.body).toMatchObject({ error: 'unavailable', limit: { per: 'process', max: 2 } });

    await first.close();
    // The server sees the hang-up a moment later: the key's place comes back.
    const again = await eventually(
      async () => {
        const s = await openLive(url, customerId, readKey);
        if (s.status === 200) return s;
        expect([429, 503]).toContain(s.status);
        return undefined;
      },
      { what: 'the closed stream releasing its place', timeoutMs: 20_000, intervalMs: 50 },
    );
    await again.close();
    await second.close();
  });
});

describe('timeouts', () => {
  it('a live stream outlives the request timeout and the idle connection timeout (its heartbeats keep it busy)', async () => {
    const url = await start({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_CONNECTION_TIMEOUT_MS: '2500', QUERY_LIVE_HEARTBEAT_MS: '1000' });
    const customerId = await knownCustomer();
    const stream = await openLive(url, customerId, readKey);
    expect(stream.status).toBe(200);
    let ended = false;
    void stream.ended.then(() => (ended = true));
    // Five heartbeats: open for more than four request timeouts and past the connection timeout.
    await eventually(async () => ((stream.text().match(/: heartbeat/g) ?? []).length >= 5 || ended ? true : undefined), {
      what: 'five heartbeats',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    expect(ended).toBe(false);
    expect((stream.text().match(/: heartbeat/g) ?? []).length).toBeGreaterThanOrEqual(5);
    await stream.close();
  });

  it('a request whose body does not arrive within HTTP_REQUEST_TIMEOUT_MS is cut off', async () => {
    const url = new URL(await start({ HTTP_REQUEST_TIMEOUT_MS: '1000' }));
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // The head and one byte of a 100-byte body; the rest never comes.
    socket.write(
      `POST /tenants/${tenant}/customers/merges HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${allKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await eventually(async () => (isClosed ? true : undefined), {
      what: 'the server closing the slow request',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    // Answered 408 by the server (Fastify's client-error answer), never handled.
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('a live stream whose client stops reading', () => {
  it('is ended after QUERY_LIVE_MAX_STREAM_MS, its place under the cap freed; a reading client gets the end of the stream', async () => {
    const url = new URL(
      await start({
        QUERY_LIVE_MAX_STREAMS_PER_KEY: '1',
        QUERY_LIVE_MAX_STREAM_MS: '5000',
        QUERY_LIVE_HEARTBEAT_MS: '1000',
        HTTP_CONNECTION_TIMEOUT_MS: '60000',
      }),
    );
    const customerId = await knownCustomer();
    // A client that reads the head and then nothing more: its heartbeats pile up in the kernel's buffers,
    // and every write keeps the connection from idling out, so only the stream's age can end it.
    const stuck = connect(Number(url.port), url.hostname);
    stuck.on('error', () => undefined);
    let head = '';
    const answered = new Promise<void>((resolve) =>
      stuck.on('data', (chunk) => ((head += chunk.toString('latin1')), head.includes('\r\n\r\n') && resolve())),
    );
    const closed = new Promise<void>((resolve) => stuck.on('close', () => resolve()));
    stuck.write(
      `GET /tenants/${tenant}/customers/${customerId}/timeline/live HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${readKey}\r\n\r\n`,
    );
    await answered;
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    stuck.pause();
    const base = url.origin;
    expect((await openLive(base, customerId, readKey)).status).toBe(429);

    // Its place comes back once it has expired; the new stream, read, is itself ended in time.
    const next = await eventually(
      async () => {
        const s = await openLive(base, customerId, readKey);
        if (s.status === 200) return s;
        expect(s.status).toBe(429);
        return undefined;
      },
      { what: 'the stuck stream expiring', timeoutMs: 30_000, intervalMs: 250 },
    );
    let nextEnded = false;
    void next.ended.then(() => (nextEnded = true));
    await eventually(async () => (nextEnded ? true : undefined), {
      what: 'the reading client getting the end of its stream',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(next.text()).toMatch(/^retry: 2000\n/);

    // The stuck client, reading again, finds its connection closed by the server.
    stuck.resume();
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await eventually(async () => (isClosed ? true : undefined), {
      what: 'the stuck connection closed',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
  }, 90_000);
});
