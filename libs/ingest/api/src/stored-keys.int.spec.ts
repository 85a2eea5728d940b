import { Pool } from 'pg';
import { PostgresKeyStore } from '@hub/platform';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { derivedEventId } from './interaction-intake';

/**
 * ingest-api with the key store on (INGEST_KEY_STORE_ENABLED): an `ingest` key made in the store
 * (what the query API's `POST /admin/v1/tenants/:tenantId/keys` calls) is taken by the running
 * app, and refused once revoked, without a restart (real PostgreSQL and Kafka).
 */
const infra = testInfra();
const CACHE_TTL_MS = 300;
let api: RunningIngestApi;
let pool: Pool;
let store: PostgresKeyStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 2 });
  store = new PostgresKeyStore(pool);
  await store.ensureSchema();
  api = await startIngestApiApp({
    HUB_NAMESPACE: freshId('sk'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    DATABASE_URL: infra.databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    INGEST_RAW_ENABLED: 'false',
    INGEST_KEY_STORE_ENABLED: 'true',
    HUB_KEY_CACHE_TTL_MS: String(CACHE_TTL_MS),
    RATE_LIMIT_WINDOW_MS: '600000',
  });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await pool?.end();
});

const event = (marker: string) => ({
  type: 'InteractionReceived',
  data: {
    direction: 'inbound',
    kind: 'message',
    identities: [{ kind: 'phone', value: '+14155550100' }],
    content: { text: marker, media: [] },
    provider: { messageId: `msg-${marker}` },
  },
  metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms' },
});

async function send(key: string, marker: string) {
  const res = await fetch(`${api.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(event(marker)),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('ingest-api with stored keys', () => {
  describe('when an ingest key is made in the store while the app runs', () => {
    it('then the app takes events with it for its source and tenant, and refuses it once revoked', async () => {
      const tenantId = freshId('sk');
      await store.createTenant({ tenantId, name: 'Stored keys' }, 'test');
      const { key, secret } = await store.createKey({ tenantId, kind: 'ingest', source: 'genesys' }, 'test');

      const marker = freshId('m');
      const accepted = await send(secret, marker);
      expect(accepted).toEqual({
        status: 202,
        body: { status: 'accepted', eventId: derivedEventId(tenantId, 'genesys', `msg-${marker}`) },
      });

      await store.revokeKey(key.keyId, 'test');
      await eventually(async () => ((await send(secret, freshId('m'))).status === 401 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'the revoked key to be refused',
      });
    });
  });

  describe('when a stored query key is presented', () => {
    it('then it is refused: a query key sends nothing', async () => {
      const tenantId = freshId('sk');
      await store.createTenant({ tenantId, name: 'Stored keys' }, 'test');
      const { secret } = await store.createKey({ tenantId, kind: 'query', scopes: ['read', 'write'] }, 'test');
      expect(await send(secret, freshId('m'))).toMatchObject({
        status: 401,
        body: { error: 'unauthorized', reason: 'api_key_invalid', problems: [{ code: 'api_key_invalid' }] },
      });
    });
  });
});

describe('when a stored ingest key has its own rate limit', () => {
  it('then it is held to rateLimitPerMinute, in proportion to the window', async () => {
    const tenantId = freshId('sk');
    await store.createTenant({ tenantId, name: 'Stored keys' }, 'test');
    const { secret } = await store.createKey({ tenantId, kind: 'ingest', source: 'five9', rateLimitPerMinute: 1 }, 'test');
    // 1 a minute over a 10-minute window: 10 requests.
    for (let i = 0; i < 10; i++) expect((await send(secret, freshId('m'))).status).toBe(202);
    expect(await send(secret, freshId('m'))).toMatchObject({
      status: 429,
      body: { reason: 'too many requests with this key', limit: { per: 'key', max: 10 } },
    });
  });
});
