import { createHmac } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { hubNames, type InteractionReceived } from '@hub/contracts';
import { loadConformanceFixtures } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * The JSON body parser every JSON route shares, through real ingestion apps (in-process) and real
 * Kafka: a 64-bit id sent as a JSON number reaches the canonical event with every digit, and a body
 * that is not JSON is refused in the hub's error shape, counted and logged like any refusal.
 */
const infra = testInfra();
const namespace = freshId('json');
const shopify = CHANNEL_TEST_SETUPS.commerce.find((s) => s.definition.manifest.provider === 'shopify')!;
const messenger = CHANNEL_TEST_SETUPS.messenger[0]!;
const apps: Partial<Record<'commerce' | 'messenger', RunningIngestApp>> = {};

const envFor = (channel: 'commerce' | 'messenger') =>
  Object.assign(
    {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: namespace,
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: 'https://hub.example.com',
    },
    ...CHANNEL_TEST_SETUPS[channel].map((s) => s.env),
  ) as NodeJS.ProcessEnv;

beforeAll(async () => {
  apps.commerce = await startIngestApp('commerce', envFor('commerce'));
  apps.messenger = await startIngestApp('messenger', envFor('messenger'));
});

afterAll(async () => {
  await Promise.all(Object.values(apps).map((a) => a?.close()));
});

function post(app: RunningIngestApp, path: string, headers: Record<string, string | undefined>, body: string): Promise<Response> {
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined)),
    body,
  });
}

async function interactionsOnKafka(expected: number): Promise<InteractionReceived[]> {
  const kafka = new Kafka({ clientId: freshId('json-read'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: freshId('json-read'), maxWaitTimeInMs: 200 });
  const events: InteractionReceived[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: hubNames(namespace).topics.interactions, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void events.push(JSON.parse(message.value!.toString()) as InteractionReceived),
    });
    await eventually(async () => (events.length >= expected ? true : undefined), {
      what: `${expected} interactions on Kafka`,
      timeoutMs: 30_000,
    });
  } finally {
    await consumer.disconnect();
  }
  return events;
}

describe('a Shopify order whose customer id is a JSON number above 2^53 and has no admin_graphql_api_id', () => {
  it('is published with the customer id exactly as sent, not rounded to the nearest double', async () => {
    const fixture = loadConformanceFixtures(shopify.fixturesDir).valid.find((f) =>
      f.file.endsWith('orders-create-optional-fields-absent.json'),
    )!;
    const customer = { ...(fixture.payload['customer'] as Record<string, unknown>), id: 0 };
    // A guest-less order known only by its Shopify customer: no email or phone anywhere.
    const payload = {
      ...fixture.payload,
      id: 5945678901299,
      admin_graphql_api_id: 'gid://shopify/Order/5945678901299',
      contact_email: null,
      customer,
    };
    const template = shopify.sign(payload, {});
    // What Shopify's REST webhook puts on the wire: the id a bare 20-digit JSON number.
    const raw = template.rawBody.toString('utf8').replace('"id":0,', '"id":12345678901234723954,');
    expect(raw).toContain('12345678901234723954');
    const hmac = createHmac('sha256', shopify.env['SHOPIFY_WEBHOOK_SECRET']!).update(raw, 'utf8').digest('base64');
    const res = await post(apps.commerce!, new URL(template.url).pathname, { ...template.headers, 'x-shopify-hmac-sha256': hmac }, raw);
    expect(res.status).toBe(202);
    const [event] = await interactionsOnKafka(1);
    expect(event!.data.identities).toEqual([{ kind: 'external', namespace: 'shopify', value: '12345678901234723954' }]);
  });
});

describe('a body that is not valid JSON on a Meta route', () => {
  const notJson = '{"object":"page","entry":[{"id":"1"';
  const path = () => new URL(messenger.sign({ object: 'page', entry: [] }, {}).url).pathname;
  const signatureOf = (raw: string) =>
    `sha256=${createHmac('sha256', messenger.env['META_APP_SECRET']!).update(raw, 'utf8').digest('hex')}`;

  it('signed by Meta, gets 400 in the hub’s error shape with the parser’s reason, counted as a rejected webhook', async () => {
    const before = apps.messenger!.counters.toJSON()['rejected.invalid_json'] ?? 0;
    const res = await post(
      apps.messenger!,
      path(),
      { 'content-type': 'application/json', 'x-hub-signature-256': signatureOf(notJson) },
      notJson,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_json', reason: expect.stringMatching(/^the body is not valid JSON: /) });
    expect(apps.messenger!.counters.toJSON()['rejected.invalid_json']).toBe(before + 1);
  });

  it('unsigned, is refused as unsigned (401) before anything is said about its content', async () => {
    const res = await post(apps.messenger!, path(), { 'content-type': 'application/json' }, notJson);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'unauthorized', reason: 'signature_missing' });
  });

  it('nested thousands deep, signed, gets 400 with the reason instead of a 500 from a walk that overflows', async () => {
    const deep = `{"object":"page","entry":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const res = await post(apps.messenger!, path(), { 'content-type': 'application/json', 'x-hub-signature-256': signatureOf(deep) }, deep);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_json', reason: 'the body nests arrays and objects more than 64 levels deep' });
  });

  it('with a __proto__ key, signed, is refused as invalid JSON too', async () => {
    const poisoned = '{"object":"page","entry":[],"__proto__":{"admin":true}}';
    const res = await post(
      apps.messenger!,
      path(),
      { 'content-type': 'application/json', 'x-hub-signature-256': signatureOf(poisoned) },
      poisoned,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_json', reason: expect.stringContaining('__proto__') });
  });
});
