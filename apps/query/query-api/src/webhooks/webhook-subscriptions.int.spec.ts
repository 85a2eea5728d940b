import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { PostgresWebhookStore } from '@hub/webhook-deliveries';
import { isWebhookSecret } from '@hub/webhooks';
import { startQueryApi } from '../main';

/** Webhook subscriptions over HTTP against real PostgreSQL (the deliveries themselves: apps/deliver/outgoing-webhooks). */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const tenantA = freshId('wh');
const tenantB = freshId('wh');
const keyA = randomBytes(24).toString('base64url');
const readA = randomBytes(24).toString('base64url');
const keyB = randomBytes(24).toString('base64url');

let app: NestFastifyApplication;
let url = '';
let pool: Pool;

beforeAll(async () => {
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'on',
    HUB_API_KEYS: `${tenantA}:${sha(keyA)}:read+write,${tenantA}:${sha(readA)}:read,${tenantB}:${sha(keyB)}:read+write`,
  }));
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2 });
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
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

const fieldsOf = (body: Record<string, unknown>) => (body['fields'] as { field: string }[]).map((f) => f.field).sort();
const base = `/tenants/${tenantA}/webhook-subscriptions`;

describe('webhook subscriptions over HTTP', () => {
  describe('when a key of the tenant subscribes an endpoint', () => {
    it('then it is made with a signing secret shown once, listed and read without it, changed, disabled, enabled and deleted', async () => {
      const made = await call('POST', base, keyA, {
        url: 'https://crm.example/hooks',
        eventTypes: ['work_item.*', 'decision.made'],
        description: 'crm',
      });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({
        tenantId: tenantA,
        subscriptionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        url: 'https://crm.example/hooks',
        eventTypes: ['work_item.*', 'decision.made'],
        description: 'crm',
        status: 'enabled',
      });
      expect(isWebhookSecret(made.body['secret'] as string)).toBe(true);
      const id = made.body['subscriptionId'] as string;

      const listed = await call('GET', base, readA);
      expect(listed.status).toBe(200);
      expect(listed.body['subscriptions']).toEqual([expect.objectContaining({ subscriptionId: id })]);
      expect((listed.body['subscriptions'] as object[])[0]).not.toHaveProperty('secret');
      expect((await call('GET', `${base}/${id}`, readA)).body).not.toHaveProperty('secret');

      const changed = await call('PATCH', `${base}/${id}`, keyA, { eventTypes: ['*'] });
      expect(changed).toMatchObject({ status: 200, body: { eventTypes: ['*'], url: 'https://crm.example/hooks', description: 'crm' } });

      expect(await call('POST', `${base}/${id}/disable`, keyA)).toMatchObject({
        status: 200,
        body: { status: 'disabled', disabledReason: 'operator' },
      });
      expect(await call('POST', `${base}/${id}/enable`, keyA)).toMatchObject({
        status: 200,
        body: { status: 'enabled', disabledReason: null },
      });

      expect((await call('DELETE', `${base}/${id}`, keyA)).status).toBe(204);
      expect(await call('GET', `${base}/${id}`, keyA)).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect((await call('DELETE', `${base}/${id}`, keyA)).status).toBe(404);
    });

    it('then its delivery log lists the attempts, newest first', async () => {
      const made = await call('POST', base, keyA, { url: 'http://127.0.0.1:9/hook', eventTypes: ['customer.*'] });
      expect(made.status).toBe(201);
      const id = made.body['subscriptionId'] as string;
      expect(await call('GET', `${base}/${id}/deliveries`, readA)).toEqual({ status: 200, body: { deliveries: [] } });

      const store = new PostgresWebhookStore(pool);
      const attempt = { tenantId: tenantA, subscriptionId: id, messageId: 'm-1', eventType: 'customer.erased', durationMs: 12 };
      await store.record({
        ...attempt,
        attempt: 1,
        attemptedAt: '2026-12-07T10:00:00.000Z',
        outcome: 'failed',
        statusCode: 500,
        error: 'HTTP 500',
        nextAttemptAt: '2026-12-07T10:00:05.000Z',
      });
      await store.record({
        ...attempt,
        attempt: 2,
        attemptedAt: '2026-12-07T10:00:05.000Z',
        outcome: 'succeeded',
        statusCode: 204,
        error: null,
        nextAttemptAt: null,
      });
      const log = await call('GET', `${base}/${id}/deliveries?limit=10`, readA);
      expect(log.body['deliveries']).toEqual([
        expect.objectContaining({ attempt: 2, outcome: 'succeeded', statusCode: 204, nextAttemptAt: null }),
        expect.objectContaining({
          attempt: 1,
          outcome: 'failed',
          statusCode: 500,
          error: 'HTTP 500',
          nextAttemptAt: '2026-12-07T10:00:05.000Z',
        }),
      ]);
      expect((await call('GET', `${base}/${id}/deliveries?limit=0`, readA)).status).toBe(400);
    });
  });

  describe('when the body is not valid', () => {
    it('then it is a 400 naming every failing field', async () => {
      const bad = await call('POST', base, keyA, { url: 42, eventTypes: ['work_item.closed'], description: 'x'.repeat(201) });
      expect(bad.status).toBe(400);
      expect(bad.body['error']).toBe('validation_failed');
      expect(fieldsOf(bad.body)).toEqual(['description', 'eventTypes', 'url']);
      expect(fieldsOf((await call('POST', base, keyA, {})).body)).toEqual(['eventTypes', 'url']);
      expect(fieldsOf((await call('POST', base, keyA, { url: 'https://x.example', eventTypes: [] })).body)).toEqual(['eventTypes']);
    });

    it('then a URL that is not https (or loopback http, allowed here) is refused', async () => {
      for (const u of ['http://crm.example/hooks', 'ftp://crm.example/', 'https://user:pw@crm.example/', 'not a url']) {
        const r = await call('POST', base, keyA, { url: u, eventTypes: ['*'] });
        expect({ u, status: r.status, fields: fieldsOf(r.body) }).toEqual({ u, status: 400, fields: ['url'] });
      }
      expect((await call('POST', base, keyA, { url: 'http://localhost:4000/hooks', eventTypes: ['*'] })).status).toBe(201);
    });
  });

  describe('when another tenant’s key or a read-only key asks', () => {
    it('then it sees and changes nothing of the tenant', async () => {
      const made = await call('POST', base, keyA, { url: 'https://crm.example/a', eventTypes: ['*'] });
      const id = made.body['subscriptionId'] as string;
      // Another tenant's key gets the same 404 as for a tenant that does not exist (the guard's rule).
      expect(await call('GET', base, keyB)).toEqual({ status: 404, body: { error: 'not_found', reason: 'not found' } });
      expect((await call('GET', `/tenants/${tenantB}/webhook-subscriptions/${id}`, keyB)).status).toBe(404);
      expect((await call('POST', `/tenants/${tenantB}/webhook-subscriptions/${id}/enable`, keyB)).status).toBe(404);
      expect((await call('POST', base, readA, { url: 'https://crm.example/b', eventTypes: ['*'] })).status).toBe(403);
    });
  });
});
