import { createHash, randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { HeaderNames, hubNames, type InteractionReceivedInput } from '@hub/contracts';
import { eventually, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';
import { HubApiError } from './client.errors';
import { HubIngestClient } from './ingest.client';

/**
 * The client against the real generic API: ingest-api run as its own process (as in production),
 * real Kafka behind it, a topic namespace of its own. What the client sends is read back off
 * `interactions` with a plain kafkajs consumer.
 */
const infra = testInfra();
const namespace = freshId('cl');
const tenant = freshId('acme');
const KEY = randomBytes(24).toString('base64url');
const names = hubNames(namespace);
const kafka = new Kafka({ clientId: freshId('client-test'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });

let api: AppProcess;
let reader: Consumer;
let client: HubIngestClient;
const seen: { headers: Record<string, string>; value: string }[] = [];

beforeAll(async () => {
  api = await startAppProcess(
    'ingest-api',
    {
      HUB_NAMESPACE: namespace,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      INGEST_API_KEYS: `ccx:${tenant}:${createHash('sha256').update(KEY).digest('hex')}`,
      INGEST_RAW_ENABLED: 'false',
      PORT: '0',
    },
    { logSuffix: `-${namespace}`, timeoutMs: 120_000 },
  );
  // ingest-api created its topics at boot.
  reader = kafka.consumer({ groupId: freshId('client-reader'), maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topics: [names.topics.interactions], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      seen.push({ headers, value: message.value?.toString() ?? '' });
    },
  });
  client = new HubIngestClient({ baseUrl: api.url!, apiKey: KEY });
}, 150_000);

afterAll(async () => {
  await reader?.disconnect();
  await api?.stop();
});

/** What arrived on `interactions` with this event id. */
const arrived = (eventId: string) => seen.find((m) => m.headers[HeaderNames.eventId] === eventId);
const waitFor = (eventIds: string[]) =>
  eventually(async () => (eventIds.every((id) => arrived(id)) ? true : undefined), {
    what: `events ${eventIds.join(', ')} on interactions`,
  });

function message(marker: string, phone = '+14155550123'): InteractionReceivedInput {
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text: marker },
      provider: { messageId: `msg-${marker}` },
    },
    metadata: { occurredAt: '2026-12-07T10:00:00.000Z', channel: 'webchat' },
  };
}

describe('the client against the running ingest-api', () => {
  it('sends one event: accepted with its stored id, and on the interactions topic under that id', async () => {
    const marker = freshId('single');
    const answer = await client.sendEvent(message(marker));

    expect(answer).toEqual({ status: 'accepted', eventId: expect.any(String) });
    await waitFor([answer.eventId]);
    const value = JSON.parse(arrived(answer.eventId)!.value) as {
      event: { data: { content: { text: string }; provider: { name: string } } };
    };
    expect(JSON.stringify(value)).toContain(marker);
  });

  it('sends a gzip-encoded NDJSON batch: a result per line, the invalid line refused with its problems, the others on the topic', async () => {
    const markers = [freshId('b1'), freshId('b2'), freshId('b3')];
    const bad = { ...message(freshId('bad')), metadata: { occurredAt: 'yesterday', channel: 'webchat' as const } };
    const result = await client.sendBatch([message(markers[0]!), bad, message(markers[1]!), message(markers[2]!)], { gzip: true });

    expect(result).toMatchObject({ accepted: 3, invalid: 1, requests: 1 });
    expect(result.results.map((r) => [r.line, r.status])).toEqual([
      [1, 'accepted'],
      [2, 'invalid'],
      [3, 'accepted'],
      [4, 'accepted'],
    ]);
    const refused = result.results[1]!;
    expect(refused.status === 'invalid' && refused.problems.map((p) => p.path)).toEqual(['metadata.occurredAt']);
    const ids = result.results.flatMap((r) => (r.status === 'accepted' ? [r.eventId] : []));
    await waitFor(ids);
  });

  it("sends a platform's conversation status, consent and traits: each accepted and on the topic as its fact", async () => {
    const identities = [{ kind: 'email' as const, value: `${freshId('p')}@example.com` }];
    const occurredAt = '2026-12-07T10:05:00.000Z';
    const status = await client.sendConversationStatus({
      identities,
      channel: 'webchat',
      status: 'resolved',
      conversationId: freshId('conv'),
      occurredAt,
    });
    const consent = await client.sendConsent({ identities, channel: 'sms', consent: 'opted_out', occurredAt });
    const traits = await client.sendTraits({ identities, traits: { tier: 'gold' }, occurredAt });

    await waitFor([status.eventId, consent.eventId, traits.eventId]);
    expect([status, consent, traits].map((a) => arrived(a.eventId)!.headers[HeaderNames.eventType])).toEqual([
      'ConversationStatusReceived',
      'ConsentReceived',
      'TraitsReceived',
    ]);
  });

  it("surfaces the API's refusal as a HubApiError: its code and every problem, not retried", async () => {
    const wrongTenant = { ...message(freshId('x')), metadata: { ...message('x').metadata, tenantId: 'someone-else' } };
    const err = await client.sendEvent(wrongTenant).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(HubApiError);
    expect(err).toMatchObject({ status: 403, error: 'tenant_mismatch', retryable: false });
    expect((err as HubApiError).problems).toEqual([expect.objectContaining({ path: 'metadata.tenantId', code: 'tenant_mismatch' })]);
  });

  it('is refused without a key the API knows: 401 unauthorized', async () => {
    const stranger = new HubIngestClient({ baseUrl: api.url!, apiKey: randomBytes(24).toString('base64url') });
    await expect(stranger.sendEvent(message(freshId('s')))).rejects.toMatchObject({
      status: 401,
      error: 'unauthorized',
      problems: [expect.objectContaining({ path: '(request)', code: 'api_key_invalid' })],
    });
    expect((await client.health()).kafka).toBe(true);
  });
});
