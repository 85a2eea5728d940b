import { randomBytes } from 'node:crypto';
import { documentedRoutes, freshId, servedRoutes, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { sha256Hex } from './source-keys';

/**
 * ingest-api's OpenAPI document (in process, real Kafka): it lists every route the running app
 * serves (so a controller added without being documented fails here), each with a summary, and
 * every /v1 route its key and its refusals in the API's one error shape; public at /docs/json, the
 * UI at /docs, both limited per address.
 */
const infra = testInfra();
const tenant = freshId('oa');
const KEY = randomBytes(24).toString('base64url');
const running: RunningIngestApi[] = [];

async function start(overrides: Record<string, string> = {}): Promise<RunningIngestApi> {
  const api = await startIngestApiApp({
    HUB_NAMESPACE: freshId('oa'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    PORT: '0',
    LOG_LEVEL: 'silent',
    INGEST_RAW_ENABLED: 'false',
    INGEST_API_KEYS: `genesys:${tenant}:${sha256Hex(KEY)}`,
    RATE_LIMIT_WINDOW_MS: '600000',
    ...overrides,
  });
  running.push(api);
  return api;
}

type Operation = { summary?: string; tags?: string[]; security?: unknown[]; responses: Record<string, { content?: unknown }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

afterAll(async () => {
  for (const api of running) await api.close();
});

describe('the ingest API OpenAPI document', () => {
  let api: RunningIngestApi;
  let document: Document;
  beforeAll(async () => {
    api = await start();
    const res = await fetch(`${api.url}/docs/json`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    document = (await res.json()) as Document;
  });

  it('is an OpenAPI 3 document served without a key', () => {
    expect(document.openapi).toMatch(/^3\./);
  });

  it('lists exactly the routes the app serves (but the docs)', () => {
    const served = servedRoutes(api.app.getHttpAdapter().getInstance()).filter((r) => !/^[A-Z]+ \/docs(\/|\*|$)/.test(r));
    expect(served).toContain('POST /v1/events/batch');
    expect(documentedRoutes(document)).toEqual(served);
  });

  it('gives every route a summary and a tag, and every /v1 route the key and its refusals in the one error shape', () => {
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([where, typeof op.summary, op.tags?.length]).toEqual([where, 'string', 1]);
        if (!path.startsWith('/v1/')) continue;
        expect([where, op.security]).toEqual([where, [{ bearer: [] }, { 'x-api-key': [] }]]);
        for (const status of ['400', '401', '413', '415', '429', '503'])
          expect([where, status, op.responses[status]?.content]).toEqual([
            where,
            status,
            { 'application/json': { schema: { $ref: '#/components/schemas/ApiErrorBody' } } },
          ]);
      }
    expect(Object.keys((document as { components?: { schemas?: object } }).components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['ApiErrorBody', 'ApiProblem', 'InteractionReceivedInputSchema', 'ConsentSchema']),
    );
  });

  it('serves the UI at /docs without a key', async () => {
    const res = await fetch(`${api.url}/docs`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html']);
    expect(await res.text()).toContain('swagger-ui');
  });

  it('limits the docs per address, like the API', async () => {
    const limited = await start({ RATE_LIMIT_PER_ADDRESS: '2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/docs/json`)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
