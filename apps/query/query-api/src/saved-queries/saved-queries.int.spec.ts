import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freshId, testInfra } from '@hub/testing';
import { startQueryApi } from '../main';

/** Saved queries over HTTP against real PostgreSQL. */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const tenantA = freshId('sq');
const tenantB = freshId('sq');
const keyA = randomBytes(24).toString('base64url');
const keyA2 = randomBytes(24).toString('base64url');
const keyB = randomBytes(24).toString('base64url');

let app: NestFastifyApplication;
let url = '';

beforeAll(async () => {
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${tenantA}:${sha(keyA)}:read+write,${tenantA}:${sha(keyA2)}:read+write,${tenantB}:${sha(keyB)}:read+write`,
  }));
});

afterAll(async () => {
  await app?.close();
});

async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const fieldsOf = (body: Record<string, unknown>) =>
  (body['fields'] as { field: string; messages: string[] }[]).map((f) => `${f.field}: ${f.messages.join('; ')}`);

describe('saved queries over HTTP', () => {
  describe('when a key of the tenant saves a query', () => {
    it('then it is stored with its params as a query string holds them, who saved it and when, and runs as the listing it names', async () => {
      const before = Date.now();
      const saved = await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, {
        name: 'at risk on whatsapp',
        path: 'customers',
        params: { quadrant: ['at_risk'], preferredChannel: 'whatsapp', minContacts: 3, limit: 50 },
      });
      expect(saved.status).toBe(201);
      expect(saved.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'at risk on whatsapp',
        path: 'customers',
        params: { quadrant: 'at_risk', preferredChannel: 'whatsapp', minContacts: '3', limit: '50' },
        savedBy: { keyId: sha(keyA).slice(0, 8) },
        savedAt: expect.any(String),
        run: expect.stringMatching(new RegExp(`^/tenants/${tenantA}/customers\\?`)),
      });
      const run = new URL(saved.body['run'] as string, url);
      expect(Object.fromEntries(run.searchParams)).toEqual({
        quadrant: 'at_risk',
        preferredChannel: 'whatsapp',
        minContacts: '3',
        limit: '50',
      });
      expect(Date.parse(saved.body['savedAt'] as string)).toBeGreaterThanOrEqual(before - 1_000);

      // Its `run` is a request the listing accepts.
      expect((await call('GET', saved.body['run'] as string, keyA)).status).toBe(200);

      const id = saved.body['id'] as string;
      expect((await call('GET', `/tenants/${tenantA}/saved-queries/${id}`, keyA2)).body).toEqual(saved.body);
      const other = await call('POST', `/tenants/${tenantA}/saved-queries`, keyA2, {
        name: 'sms last week',
        path: 'stats',
        params: { by: 'day', channel: 'sms', from: '2025-03-01' },
      });
      expect(other.body['savedBy']).toEqual({ keyId: sha(keyA2).slice(0, 8) });
      const list = await call('GET', `/tenants/${tenantA}/saved-queries`, keyA);
      expect((list.body['savedQueries'] as { name: string }[]).map((q) => q.name)).toEqual(['at risk on whatsapp', 'sms last week']);
    });
  });

  describe('when the params hold a filter the listing would refuse', () => {
    it("then it is a 400 naming it with the listing's own message, and nothing is saved", async () => {
      const bad = await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, {
        name: 'typo',
        path: 'customers',
        params: { quadrant: 'churn', channel: 'text', colour: 'red' },
      });
      expect(bad.status).toBe(400);
      expect(fieldsOf(bad.body)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^params\.quadrant: each quadrant must be one of champion, at_risk, low_value_happy, low_value_unhappy, unknown/,
          ),
          expect.stringMatching(/^params\.channel: each channel must be one of /),
          expect.stringMatching(/^params\.colour: /),
        ]),
      );
      expect((await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, { name: 'no by', path: 'stats', params: {} })).status).toBe(
        400,
      );
      expect(
        fieldsOf((await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, { name: 'x', path: 'segments', params: {} })).body),
      ).toEqual(['path: path must be one of customers, timeline, exports, stats']);
      expect(
        fieldsOf(
          (
            await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, {
              name: 'x',
              path: 'customers',
              params: { identity: 'phone:+14155550100' },
            })
          ).body,
        ),
      ).toEqual(['params.identity: a saved query holds no personal data: look a customer up by identity directly']);
      expect(
        fieldsOf(
          (
            await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, {
              name: 'x',
              path: 'timeline',
              params: { channel: { sms: true } },
            })
          ).body,
        ),
      ).toEqual(['params.channel: params.channel must be a string, a number, a boolean or a list of them']);
      const names = ((await call('GET', `/tenants/${tenantA}/saved-queries`, keyA)).body['savedQueries'] as { name: string }[]).map(
        (q) => q.name,
      );
      expect(names).not.toContain('typo');
      expect(names).not.toContain('x');
    });
  });

  describe('when the name is taken in the tenant', () => {
    it('then it is a 409; another tenant may use the name', async () => {
      const body = { name: 'exports of champions', path: 'exports', params: { quadrant: 'champion', format: 'csv' } };
      expect((await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, body)).status).toBe(201);
      const again = await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, body);
      expect(again.status).toBe(409);
      expect(again.body).toEqual(expect.objectContaining({ error: 'name_taken' }));
      expect((await call('POST', `/tenants/${tenantB}/saved-queries`, keyB, body)).status).toBe(201);
    });
  });

  describe("when a key of another tenant asks for the tenant's saved queries", () => {
    it('then every route answers 404, as for one that does not exist; the query stays', async () => {
      const saved = await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, {
        name: 'mine',
        path: 'timeline',
        params: { channel: 'sms,email', kind: 'message' },
      });
      const id = saved.body['id'] as string;
      expect((await call('GET', `/tenants/${tenantA}/saved-queries`, keyB)).status).toBe(404);
      expect((await call('GET', `/tenants/${tenantA}/saved-queries/${id}`, keyB)).status).toBe(404);
      expect((await call('DELETE', `/tenants/${tenantA}/saved-queries/${id}`, keyB)).status).toBe(404);
      // Its own tenant's path does not find it either.
      expect((await call('GET', `/tenants/${tenantB}/saved-queries/${id}`, keyB)).status).toBe(404);
      expect((await call('GET', `/tenants/${tenantA}/saved-queries/${id}`, keyA)).status).toBe(200);
    });
  });

  describe('when a saved query is deleted', () => {
    it('then it is gone: 204, then 404', async () => {
      const saved = await call('POST', `/tenants/${tenantA}/saved-queries`, keyA, {
        name: 'short-lived',
        path: 'stats',
        params: { by: 'channel' },
      });
      const id = saved.body['id'] as string;
      expect((await call('DELETE', `/tenants/${tenantA}/saved-queries/${id}`, keyA)).status).toBe(204);
      expect((await call('GET', `/tenants/${tenantA}/saved-queries/${id}`, keyA)).status).toBe(404);
      expect((await call('DELETE', `/tenants/${tenantA}/saved-queries/${id}`, keyA)).status).toBe(404);
      expect((await call('GET', `/tenants/${tenantA}/saved-queries/not-a-uuid`, keyA)).status).toBe(404);
    });
  });
});
