import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { documentedRoutes, freshId, servedRoutes, testInfra } from '@hub/testing';
import { startQueryApi } from './main';

/**
 * The query API's OpenAPI document, in process against real PostgreSQL: it lists every route the
 * running app serves (so a controller added without being documented fails here), each with a
 * summary, its key and its refusals; it is public at /docs/json, the UI at /docs, both rate-limited.
 */
const tenant = freshId('qo');
const key = randomBytes(24).toString('base64url');
const env = (overrides: Record<string, string> = {}) => ({
  DATABASE_URL: testInfra().databaseUrl,
  PORT: '0',
  LOG_LEVEL: 'silent',
  HUB_API_KEYS: `${tenant}:${createHash('sha256').update(key).digest('hex')}`,
  RATE_LIMIT_WINDOW_MS: '600000',
  ...overrides,
});

type Operation = { summary?: string; tags?: string[]; security?: unknown[]; responses: Record<string, { content?: unknown }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Not API routes: the docs themselves and the console's static files. */
const notApi = (route: string) => /^[A-Z]+ \/(docs|console)(\/|\*|$)/.test(route);

describe('the query API OpenAPI document', () => {
  let build = '';
  const apps: NestFastifyApplication[] = [];
  let app: NestFastifyApplication;
  let url = '';
  let document: Document;
  beforeAll(async () => {
    // A console build too: its routes are served, and are not the API's.
    build = mkdtempSync(join(tmpdir(), 'hub-console-build-'));
    writeFileSync(join(build, 'index.html'), '<!doctype html><title>console</title>');
    ({ app, url } = await startQueryApi(env({ QUERY_CONSOLE_DIR: build })));
    apps.push(app);
    const res = await fetch(`${url}/docs/json`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    document = (await res.json()) as Document;
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    rmSync(build, { recursive: true, force: true });
  });

  it('is an OpenAPI 3 document served without a key', () => {
    expect(document.openapi).toMatch(/^3\./);
  });

  it('lists exactly the routes the app serves (but the docs and the console)', () => {
    const served = servedRoutes(app.getHttpAdapter().getInstance()).filter((r) => !notApi(r));
    expect(served).toContain('GET /tenants/{tenantId}/customers/{customerId}/timeline');
    expect(served).toContain('POST /admin/v1/tenants');
    expect(documentedRoutes(document)).toEqual(served);
  });

  it('gives every route a summary and a tag, and every route but the probes, the metrics and the click the API key and its refusals', () => {
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([where, typeof op.summary, op.tags?.length]).toEqual([where, 'string', 1]);
        // The probes and the metrics are open (docs/operations.md, "Health" and "Metrics").
        if (path === '/health' || path.startsWith('/health/') || path === '/metrics') continue;
        // A customer's click on a tracking link is open too: its signed token is the authority (401 when forged).
        if (path !== '/r/{token}') expect([where, op.security]).toEqual([where, [{ bearer: [] }, { 'x-api-key': [] }]]);
        expect([where, op.responses['401']?.content]).toEqual([
          where,
          { 'application/json': { schema: { $ref: '#/components/schemas/HubError' } } },
        ]);
      }
  });

  it('declares the request bodies the routes validate', () => {
    const body = (path: string) =>
      (document.paths[path]?.['post'] as { requestBody?: { content: Record<string, { schema: unknown }> } }).requestBody?.content[
        'application/json'
      ]?.schema;
    expect(body('/tenants/{tenantId}/customers/merges')).toEqual({ $ref: '#/components/schemas/MergeRequestDto' });
    expect(body('/admin/v1/tenants/{tenantId}/keys')).toEqual({ $ref: '#/components/schemas/CreateKeyDto' });
  });

  it('declares the query parameters the listings validate, from their DTOs', () => {
    const params = (path: string) =>
      Object.fromEntries(
        ((document.paths[path]?.['get'] as { parameters?: { name: string; in: string; required: boolean }[] }).parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => [p.name, p.required]),
      );
    expect(params('/tenants/{tenantId}/customers/{customerId}/timeline')).toEqual(
      expect.objectContaining({ channel: false, from: false, asOf: false, q: false, limit: false, cursor: false }),
    );
    expect(params('/tenants/{tenantId}/stats')).toEqual(expect.objectContaining({ by: true, from: false }));
    expect(params('/tenants/{tenantId}/customers/{customerId}/state')).toEqual({ asOf: false, revision: false });
  });

  it('serves the UI at /docs without a key', async () => {
    const res = await fetch(`${url}/docs`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html']);
    expect(await res.text()).toContain('swagger-ui');
    const assets = await fetch(`${url}/docs/swagger-ui-bundle.js`);
    expect([assets.status, (await assets.text()).length > 0]).toEqual([200, true]);
  });

  it('limits the docs per address like every route but /health', async () => {
    const limited = await startQueryApi(env({ RATE_LIMIT_PER_ADDRESS: '2' }));
    apps.push(limited.app);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/docs/json`)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
