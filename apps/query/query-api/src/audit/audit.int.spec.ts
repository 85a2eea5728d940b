import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { deterministicId } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startQueryApi } from '../main';

/**
 * The audit log (issue #16, item 8) against real PostgreSQL: every read of personal data and every
 * admin action is one entry, with who, the tenant, the customer and the outcome; each tenant's log
 * is read through its own path only.
 */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const keyId = (key: string) => sha(key).slice(0, 8);
const secret = () => randomBytes(24).toString('base64url');
const tenantA = freshId('aua');
const tenantB = freshId('aub');
const readerA = secret();
const auditorA = secret();
const readerB = secret();
const auditorB = secret();
const operatorKey = secret();
const operatorActor = `ops.ana (key ${keyId(operatorKey)})`;

let app: NestFastifyApplication;
let url = '';
let pool: Pool;
let stores: CustomerStores;

const env = {
  DATABASE_URL: testInfra().databaseUrl,
  PORT: '0',
  LOG_LEVEL: 'silent',
  HUB_API_KEYS: [
    `${tenantA}:${sha(readerA)}:read`,
    `${tenantA}:${sha(auditorA)}:audit`,
    `${tenantB}:${sha(readerB)}:read`,
    `${tenantB}:${sha(auditorB)}:audit`,
  ].join(','),
  HUB_ADMIN_API_KEYS: `ops.ana:${sha(operatorKey)}`,
};

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  ({ app, url } = await startQueryApi(env));
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

type Body = Record<string, unknown>;
async function call(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Body) : {} };
}
const get = (path: string, key: string) => call(url, 'GET', path, key);
async function auditOf(tenantId: string, key: string, query = ''): Promise<Body[]> {
  const res = await get(`/tenants/${tenantId}/audit${query}`, key);
  expect(res.status).toBe(200);
  return res.body['entries'] as Body[];
}

async function customerIn(tenantId: string): Promise<string> {
  const customerId = freshId('c');
  const at = new Date(Date.now() - 60_000).toISOString();
  const eventId = deterministicId('audit-spec', tenantId, customerId);
  const message: CustomerEvent = {
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550123' }],
      content: { text: 'Where is my order?', media: [] },
      provider: { name: 'twilio', messageId: freshId('SM') },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
  await stores.customers.append(tenantId, customerId, [message]);
  return customerId;
}

describe('the audit log', () => {
  describe("when a key reads a customer's state", () => {
    it('then exactly one entry says who, which customer, when and that it was answered', async () => {
      const customerId = await customerIn(tenantA);
      const before = new Date(Date.now() - 1_000).toISOString();
      expect((await get(`/tenants/${tenantA}/customers/${customerId}/state`, readerA)).status).toBe(200);

      const entries = await auditOf(tenantA, auditorA, `?customerId=${customerId}`);
      expect(entries).toEqual([
        {
          id: expect.any(Number),
          at: expect.any(String),
          actor: `key:${keyId(readerA)}`,
          action: 'customer.state.read',
          tenantId: tenantA,
          customerId,
          keyId: null,
          outcome: 'ok',
          detail: { method: 'GET', route: '/tenants/:tenantId/customers/:customerId/state' },
        },
      ]);
      expect(Date.parse(entries[0]!['at'] as string)).toBeGreaterThanOrEqual(Date.parse(before));
    });

    it('then a read of a customer who does not exist is recorded as not found', async () => {
      const customerId = freshId('c');
      expect((await get(`/tenants/${tenantA}/customers/${customerId}/timeline`, readerA)).status).toBe(404);
      expect(await auditOf(tenantA, auditorA, `?customerId=${customerId}`)).toEqual([
        expect.objectContaining({
          action: 'customer.timeline.read',
          outcome: 'not_found',
          detail: expect.objectContaining({ status: 404 }),
        }),
      ]);
    });
  });

  describe('when an operator takes an admin action', () => {
    it('then each action is one entry in the tenant it concerns, refused ones too', async () => {
      const tenantId = freshId('auc');
      expect((await call(url, 'POST', '/admin/v1/tenants', operatorKey, { tenantId, name: 'C' })).status).toBe(201);
      expect((await call(url, 'POST', '/admin/v1/tenants', operatorKey, { tenantId, name: 'C again' })).status).toBe(409);
      expect((await call(url, 'GET', `/admin/v1/tenants/${tenantId}/keys`, operatorKey)).status).toBe(200);

      // An operator reads any tenant's log.
      const entries = await auditOf(tenantId, operatorKey);
      expect(entries.map((e) => [e['action'], e['actor'], e['outcome']])).toEqual([
        ['admin.keys.listed', operatorActor, 'ok'],
        ['tenant.created', operatorActor, 'conflict'],
        ['tenant.created', operatorActor, 'ok'],
      ]);
    });
  });

  describe('when it is read', () => {
    it("then a tenant's log holds only its own entries, and another tenant's is not found", async () => {
      const [a, b] = [await customerIn(tenantA), await customerIn(tenantB)];
      expect((await get(`/tenants/${tenantA}/customers/${a}/state`, readerA)).status).toBe(200);
      expect((await get(`/tenants/${tenantB}/customers/${b}/state`, readerB)).status).toBe(200);

      const ofA = await auditOf(tenantA, auditorA, '?limit=1000');
      expect(ofA.length).toBeGreaterThan(0);
      expect(ofA.every((e) => e['tenantId'] === tenantA)).toBe(true);
      expect(ofA.some((e) => e['customerId'] === a)).toBe(true);
      expect(ofA.some((e) => e['customerId'] === b || e['actor'] === `key:${keyId(readerB)}`)).toBe(false);
      expect((await auditOf(tenantB, auditorB, `?customerId=${b}`)).map((e) => e['actor'])).toEqual([`key:${keyId(readerB)}`]);

      expect((await get(`/tenants/${tenantB}/audit`, auditorA)).status).toBe(404);
      expect(await get(`/tenants/${tenantA}/audit`, readerA)).toMatchObject({ status: 403, body: { reason: 'audit_scope_required' } });
    });

    it('then actor, action and time filter it, and pages go back in time', async () => {
      const customerId = await customerIn(tenantA);
      const since = new Date().toISOString();
      for (let n = 0; n < 3; n++) expect((await get(`/tenants/${tenantA}/customers/${customerId}/state`, readerA)).status).toBe(200);

      const mine = `?actor=${encodeURIComponent(`key:${keyId(readerA)}`)}&action=customer.state.read&from=${since}`;
      const all = await auditOf(tenantA, auditorA, `${mine}&customerId=${customerId}`);
      expect(all).toHaveLength(3);
      const page = await get(`/tenants/${tenantA}/audit${mine}&customerId=${customerId}&limit=2`, auditorA);
      expect(page.body['next']).toBe((page.body['entries'] as Body[])[1]!['id']);
      const rest = await auditOf(tenantA, auditorA, `${mine}&customerId=${customerId}&before=${String(page.body['next'])}`);
      expect([...(page.body['entries'] as Body[]), ...rest].map((e) => e['id'])).toEqual(all.map((e) => e['id']));
      expect(await auditOf(tenantA, auditorA, `?action=customer.state.read&to=${since}&customerId=${customerId}`)).toEqual([]);
      expect(await auditOf(tenantA, auditorA, `?actor=nobody&customerId=${customerId}`)).toEqual([]);
      expect((await get(`/tenants/${tenantA}/audit?limit=0`, auditorA)).status).toBe(400);
    });
  });
});

describe('the audit trail of an instance', () => {
  describe('when it stops with entries not yet written', () => {
    it('then it writes them before it exits', async () => {
      const customerId = await customerIn(tenantA);
      const other = await startQueryApi({ ...env, QUERY_AUDIT_FLUSH_MS: '60000' });
      try {
        expect((await call(other.url, 'GET', `/tenants/${tenantA}/customers/${customerId}/state`, readerA)).status).toBe(200);
      } finally {
        await other.app.close();
      }
      expect(await auditOf(tenantA, auditorA, `?customerId=${customerId}`)).toEqual([
        expect.objectContaining({ action: 'customer.state.read', outcome: 'ok' }),
      ]);
    });
  });

  describe('when it has no room for another entry', () => {
    it('then the read is refused (503) rather than answered unrecorded, and the refusal is counted', async () => {
      const customerId = await customerIn(tenantA);
      const full = await startQueryApi({ ...env, QUERY_AUDIT_FLUSH_MS: '60000', QUERY_AUDIT_MAX_PENDING: '1' });
      try {
        const state = `/tenants/${tenantA}/customers/${customerId}/state`;
        expect((await call(full.url, 'GET', state, readerA)).status).toBe(200);
        const refused = await call(full.url, 'GET', state, readerA);
        expect(refused).toMatchObject({ status: 503, body: { error: 'unavailable' } });
        expect((await call(full.url, 'GET', '/admin/v1/audit/status', operatorKey)).body).toMatchObject({
          pending: 1,
          refused: 1,
          lost: 0,
        });
      } finally {
        await full.app.close();
      }
      expect(await auditOf(tenantA, auditorA, `?customerId=${customerId}`)).toHaveLength(1);
    });
  });
});
