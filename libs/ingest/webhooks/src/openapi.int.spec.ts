import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNEL_IDS, type IngestChannelId } from '@hub/contracts';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { documentedRoutes, freshId, servedRoutes, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * Each channel's ingestion app (INGEST_CHANNEL; in process, real Kafka) documents every route it
 * serves in its OpenAPI document — every provider's webhook (and handshake), /health and /metrics —
 * so a route added without being documented fails here; public at /docs/json, limited per address.
 */
const infra = testInfra();
const running: RunningIngestApp[] = [];

const envFor = (channel: IngestChannelId, overrides: Record<string, string> = {}) =>
  Object.assign(
    {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: freshId('oa'),
      HUB_NAMESPACE: freshId('oa'),
      PORT: '0',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_WINDOW_MS: '600000',
    },
    ...CHANNEL_TEST_SETUPS[channel].map((s) => s.env),
    overrides,
  ) as NodeJS.ProcessEnv;

async function start(channel: IngestChannelId, overrides: Record<string, string> = {}): Promise<RunningIngestApp> {
  const app = await startIngestApp(channel, envFor(channel, overrides));
  running.push(app);
  return app;
}

afterAll(async () => {
  for (const app of running) await app.close();
});

type Operation = { summary?: string; tags?: string[]; externalDocs?: { url: string } };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe.each(CHANNEL_IDS)('the ingest-%s OpenAPI document', (channel) => {
  let app: RunningIngestApp;
  let document: Document;
  beforeAll(async () => {
    app = await start(channel);
    const res = await fetch(`${app.url}/docs/json`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    document = (await res.json()) as Document;
  });

  it('lists exactly the routes the app serves (but the docs): every provider of the channel', () => {
    const served = servedRoutes(app.app.getHttpAdapter().getInstance()).filter((r) => !/^[A-Z]+ \/docs(\/|\*|$)/.test(r));
    for (const setup of CHANNEL_TEST_SETUPS[channel]) expect(served).toContain(`POST ${setup.definition.manifest.route.path}`);
    expect(documentedRoutes(document)).toEqual(served);
  });

  it("gives every route a summary and a tag, and every webhook its provider's docs", () => {
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([where, typeof op.summary, op.tags?.length]).toEqual([where, 'string', 1]);
        if (path.startsWith('/webhooks/')) expect([where, op.externalDocs?.url]).toEqual([where, expect.stringMatching(/^https:\/\//)]);
      }
  });
});

describe('the OpenAPI document of a multi-tenant ingestion app (INGEST_TENANTS_FILE)', () => {
  it('lists each webhook once, under /t/{tenant}/, with its tenant parameter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-tenants-'));
    try {
      const file = join(dir, 'tenants.json');
      const tenant = freshId('oa');
      writeFileSync(file, JSON.stringify({ tenants: [{ id: tenant, route: tenant, settings: { TWILIO_AUTH_TOKEN: 'a-token' } }] }));
      const app = await startIngestApp('sms', {
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        HUB_NAMESPACE: tenant,
        PORT: '0',
        LOG_LEVEL: 'silent',
        INGEST_TENANTS_FILE: file,
        TWILIO_AUTH_TOKEN: 'deployment-wide-token',
      });
      running.push(app);
      const document = (await (await fetch(`${app.url}/docs/json`)).json()) as {
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      };
      const served = servedRoutes(app.app.getHttpAdapter().getInstance()).filter((r) => !/^[A-Z]+ \/docs(\/|\*|$)/.test(r));
      expect(served).toContain('POST /t/{tenant}/webhooks/twilio');
      expect(documentedRoutes(document)).toEqual(served);
      expect(document.paths['/t/{tenant}/webhooks/twilio']?.['post']?.parameters).toEqual([
        expect.objectContaining({ name: 'tenant', in: 'path' }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the docs of an ingestion app', () => {
  it('are limited per address, like its webhooks', async () => {
    const limited = await start('sms', { RATE_LIMIT_PER_ADDRESS: '2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/docs/json`)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
