import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startQueryApi } from '../main';

/**
 * Tenants and keys through `/admin/v1` (issue #16, item 2), against real PostgreSQL: keys made,
 * rotated and revoked there take effect on the running API, without a restart.
 */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const operatorKey = randomBytes(24).toString('base64url');
const envTenant = freshId('adm');
const envKey = randomBytes(24).toString('base64url');
const CACHE_TTL_MS = 300;

let app: NestFastifyApplication;
let url = '';
let pool: Pool;

beforeAll(async () => {
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${envTenant}:${sha(envKey)}:read`,
    HUB_ADMIN_API_KEYS: `ops.ana:${sha(operatorKey)}`,
    HUB_KEY_CACHE_TTL_MS: String(CACHE_TTL_MS),
  }));
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 1 });
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

type Body = Record<string, unknown>;
async function call(method: string, path: string, key: string | undefined, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Body) : {} };
}
const admin = (method: string, path: string, body?: unknown) => call(method, `/admin/v1${path}`, operatorKey, body);
const readCustomers = (tenant: string, key: string) => call('GET', `/tenants/${tenant}/customers?limit=1`, key);
/** Polls until the status is the one expected (the key cache is a few hundred ms here): never a sleep. */
const statusBecomes = (probe: () => Promise<{ status: number }>, status: number, what: string) =>
  eventually(async () => ((await probe()).status === status ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what });

async function newTenant(prefix: string): Promise<string> {
  const tenantId = freshId(prefix);
  const created = await admin('POST', '/tenants', { tenantId, name: `Tenant ${tenantId}` });
  expect(created.status).toBe(201);
  return tenantId;
}

async function newQueryKey(tenantId: string, scopes: string[] = ['read']): Promise<{ keyId: string; secret: string; body: Body }> {
  const created = await admin('POST', `/tenants/${tenantId}/keys`, { kind: 'query', scopes });
  expect(created.status).toBe(201);
  return { keyId: created.body['keyId'] as string, secret: created.body['secret'] as string, body: created.body };
}

describe('the admin API', () => {
  describe('when an operator creates a tenant and a query key', () => {
    it('then the key reads that tenant at once, no other tenant, and is listed without its secret', async () => {
      const tenantId = await newTenant('adm');
      const other = await newTenant('adm');
      expect((await admin('GET', '/tenants')).body['tenants']).toEqual(
        expect.arrayContaining([{ tenantId, name: `Tenant ${tenantId}`, createdAt: expect.any(String) }]),
      );

      const { secret, body } = await newQueryKey(tenantId, ['read', 'write']);
      expect(body).toEqual({
        keyId: expect.stringMatching(/^key_[0-9a-f]{16}$/),
        tenantId,
        kind: 'query',
        scopes: ['read', 'write'],
        last4: secret.slice(-4),
        rateLimitPerMinute: null,
        createdAt: expect.any(String),
        expiresAt: null,
        revokedAt: null,
        rotatedTo: null,
        secret: expect.stringMatching(/^hubk_[A-Za-z0-9_-]{43}$/),
      });

      expect((await readCustomers(tenantId, secret)).status).toBe(200);
      expect((await readCustomers(other, secret)).status).toBe(404);
      expect((await readCustomers(envTenant, secret)).status).toBe(404);
      // The env keys work as before.
      expect((await readCustomers(envTenant, envKey)).status).toBe(200);

      const listed = await admin('GET', `/tenants/${tenantId}/keys`);
      expect(listed.status).toBe(200);
      const { secret: _secret, ...view } = body;
      expect(listed.body['keys']).toEqual([view]);
      expect(JSON.stringify(listed.body)).not.toContain(secret);
    });

    it('then the table holds the digest of the secret and never the secret', async () => {
      const tenantId = await newTenant('adm');
      const { keyId, secret } = await newQueryKey(tenantId);
      const row = await pool.query<Record<string, unknown>>('select * from hub_api_keys where key_id = $1', [keyId]);
      expect((row.rows[0]!['digest'] as Buffer).toString('hex')).toBe(sha(secret));
      const stored = JSON.stringify(row.rows[0], (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.slice(5, -4));
      const audit = await pool.query<Record<string, unknown>>('select * from hub_key_audit where key_id = $1', [keyId]);
      expect(JSON.stringify(audit.rows)).not.toContain(secret);
    });
  });

  describe('when a key is rotated', () => {
    it('then the new key works at once and the old one until its grace ends, then is refused', async () => {
      const tenantId = await newTenant('rot');
      const old = await newQueryKey(tenantId);

      const withGrace = await admin('POST', `/keys/${old.keyId}/rotate`, { graceSeconds: 3600 });
      expect(withGrace.status).toBe(201);
      const next = withGrace.body['secret'] as string;
      expect(withGrace.body).toMatchObject({
        tenantId,
        kind: 'query',
        scopes: ['read'],
        previous: { keyId: old.keyId, rotatedTo: withGrace.body['keyId'] },
      });
      const graceEnds = Date.parse((withGrace.body['previous'] as Body)['expiresAt'] as string);
      expect(graceEnds).toBeGreaterThan(Date.now() + 3_500_000);
      expect((await readCustomers(tenantId, next)).status).toBe(200);
      expect((await readCustomers(tenantId, old.secret)).status).toBe(200);

      // Rotating the new one with no grace: it is refused (within the cache's TTL), its successor works.
      const now = await admin('POST', `/keys/${withGrace.body['keyId'] as string}/rotate`, { graceSeconds: 0 });
      expect(now.status).toBe(201);
      expect((await readCustomers(tenantId, now.body['secret'] as string)).status).toBe(200);
      await statusBecomes(() => readCustomers(tenantId, next), 401, 'the key rotated without grace to be refused');
      // The first key is still in its grace.
      expect((await readCustomers(tenantId, old.secret)).status).toBe(200);
    });

    it('then a key already rotated away or revoked cannot be rotated again (409), and an unknown one is 404', async () => {
      const tenantId = await newTenant('rot');
      const key = await newQueryKey(tenantId);
      expect((await admin('POST', `/keys/${key.keyId}/rotate`, { graceSeconds: 0 })).status).toBe(201);
      expect((await admin('POST', `/keys/${key.keyId}/rotate`, {})).status).toBe(409);
      expect((await admin('POST', '/keys/key_0000000000000000/rotate', {})).status).toBe(404);
    });
  });

  describe('when a key is revoked', () => {
    it('then it is refused with 401 within the cache TTL', async () => {
      const tenantId = await newTenant('rev');
      const key = await newQueryKey(tenantId);
      expect((await readCustomers(tenantId, key.secret)).status).toBe(200);
      const revoked = await admin('POST', `/keys/${key.keyId}/revoke`);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ keyId: key.keyId, revokedAt: expect.any(String) });
      await statusBecomes(() => readCustomers(tenantId, key.secret), 401, 'the revoked key to be refused');
    });
  });

  describe('when the caller is not an operator', () => {
    it('then a tenant key (env or stored) gets 403 and no key 401', async () => {
      const tenantId = await newTenant('adm');
      const key = await newQueryKey(tenantId, ['read', 'write', 'erase']);
      for (const k of [envKey, key.secret]) {
        const r = await call('POST', `/admin/v1/tenants/${tenantId}/keys`, k, { kind: 'query' });
        expect(r.status).toBe(403);
        expect(r.body).toMatchObject({ reason: 'operator_key_required' });
        expect((await call('GET', '/admin/v1/tenants', k)).status).toBe(403);
      }
      expect((await call('GET', '/admin/v1/audit', undefined)).status).toBe(401);
      // An operator key reads no tenant's data.
      expect((await readCustomers(tenantId, operatorKey)).status).toBe(403);
    });
  });

  describe('when requests are invalid', () => {
    it('then they are refused with the fields named, and nothing changes', async () => {
      const tenantId = await newTenant('adm');
      expect((await admin('POST', '/tenants', { tenantId, name: 'again' })).status).toBe(409);
      expect((await admin('POST', '/tenants', { tenantId: 'Not Valid', name: 'x' })).status).toBe(400);
      expect((await admin('POST', `/tenants/${tenantId}/keys`, { kind: 'query', scopes: ['admin'] })).status).toBe(400);
      expect((await admin('POST', `/tenants/${tenantId}/keys`, { kind: 'ingest' })).body).toMatchObject({
        fields: [{ field: 'source' }],
      });
      expect((await admin('POST', `/tenants/${freshId('none')}/keys`, { kind: 'query' })).status).toBe(404);
      expect((await admin('GET', `/tenants/${tenantId}/keys`)).body).toEqual({ keys: [] });
    });
  });

  describe('every change', () => {
    it('is in the audit list, newest first, with the operator who made it', async () => {
      const tenantId = await newTenant('aud');
      const key = await newQueryKey(tenantId);
      const ingest = await admin('POST', `/tenants/${tenantId}/keys`, { kind: 'ingest', source: 'genesys', rateLimitPerMinute: 600 });
      expect(ingest.status).toBe(201);
      expect(ingest.body).toMatchObject({ kind: 'ingest', source: 'genesys', rateLimitPerMinute: 600 });
      const rotated = await admin('POST', `/keys/${key.keyId}/rotate`, {});
      await admin('POST', `/keys/${rotated.body['keyId'] as string}/revoke`);

      const audit = await admin('GET', `/audit?tenantId=${tenantId}`);
      expect(audit.status).toBe(200);
      const mine = audit.body['entries'] as Body[];
      const actor = `ops.ana (key ${sha(operatorKey).slice(0, 8)})`;
      expect(mine.map((e) => [e['action'], e['keyId'], e['actor']])).toEqual([
        ['key.revoked', rotated.body['keyId'], actor],
        ['key.rotated', key.keyId, actor],
        ['key.created', ingest.body['keyId'], actor],
        ['key.created', key.keyId, actor],
        ['tenant.created', null, actor],
      ]);
      expect(mine[1]!['detail']).toMatchObject({ newKeyId: rotated.body['keyId'], graceMs: 86_400_000 });
      // Append-only in the database too.
      await expect(pool.query("update hub_key_audit set actor = 'someone else' where tenant_id = $1", [tenantId])).rejects.toThrow(
        /append-only/,
      );
      await expect(pool.query('delete from hub_key_audit where tenant_id = $1', [tenantId])).rejects.toThrow(/append-only/);
    });
  });
});

describe('a stored key with its own rate limit', () => {
  let limited: NestFastifyApplication;
  let limitedUrl = '';
  beforeAll(async () => {
    ({ app: limited, url: limitedUrl } = await startQueryApi({
      DATABASE_URL: testInfra().databaseUrl,
      PORT: '0',
      LOG_LEVEL: 'silent',
      // No env tenant key: every tenant key comes from the store.
      HUB_API_KEYS: '',
      HUB_ADMIN_API_KEYS: `ops.ana:${sha(operatorKey)}`,
      RATE_LIMIT_WINDOW_MS: '600000',
    }));
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('is held to rateLimitPerMinute (in proportion to the window), other keys to RATE_LIMIT_PER_KEY (an app with only stored tenant keys)', async () => {
    const tenantId = await newTenant('rl');
    const created = await admin('POST', `/tenants/${tenantId}/keys`, { kind: 'query', rateLimitPerMinute: 1 });
    const secret = created.body['secret'] as string;
    const get = (key: string) =>
      fetch(`${limitedUrl}/tenants/${tenantId}/customers?limit=1`, { headers: { authorization: `Bearer ${key}` } });
    // 1 a minute over a 10-minute window: 10 requests.
    for (let i = 0; i < 10; i++) expect((await get(secret)).status).toBe(200);
    const over = await get(secret);
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ reason: 'too many requests with this key', limit: { per: 'key', max: 10 } });
    // Made through the other instance's admin API: the store is shared, no restart of this one either.
    const other = (await admin('POST', `/tenants/${tenantId}/keys`, { kind: 'query' })).body['secret'] as string;
    expect((await get(other)).status).toBe(200);
  });
});
