import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  HeaderNames,
  IdentityHasher,
  identityKey,
  type ConsentReceived,
  type ConversationStatusReceived,
  type InteractionReceived,
  type TraitsReceived,
} from '@hub/contracts';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { conversationStatusEventId } from './customer-fact-intake';
import { clientScopedEventId, derivedEventId } from './interaction-intake';
import { sha256Hex } from './source-keys';

/**
 * ingest-api against the real Kafka: HTTP in, `interactions` (and the dead-letter topic) out, read
 * back with a plain kafkajs consumer. Topics and groups of its own (a fresh HUB_NAMESPACE).
 */
const infra = testInfra();
const namespace = freshId('ia');
const tenant = freshId('acme');
const otherTenant = freshId('globex');
const KEY = randomBytes(24).toString('base64url');
const OTHER_KEY = randomBytes(24).toString('base64url');
const MAX_BODY = 16 * 1024;
const MAX_EVENTS = 5;

let api: RunningIngestApi;
let reader: Consumer;
let producer: Kafka['producer'] extends () => infer P ? P : never;
type Read = { topic: string; key: string | undefined; headers: Record<string, string>; value: string };
const seen: Read[] = [];

const kafka = new Kafka({ clientId: freshId('ia-test'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });

/** A canonical event as a platform sends it; `marker` finds it again on the topic. */
function platformEvent(
  marker: string,
  {
    phone = '+14155550100',
    metadata = {},
    provider = {},
  }: { phone?: string; metadata?: Record<string, unknown>; provider?: Record<string, unknown> } = {},
) {
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text: marker, media: [] },
      provider: { messageId: `msg-${marker}`, ...provider },
    },
    metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms', ...metadata },
  };
}

async function post(path: string, body: string, contentType: string, key: string | undefined = KEY) {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}
const postJson = (event: unknown, key?: string) => post('/v1/events', JSON.stringify(event), 'application/json', key);
const postNdjson = (lines: string[], key?: string) => post('/v1/events', lines.join('\n'), 'application/x-ndjson', key);

/** The API's one error shape: every refusal has it (issue #16, item 6). */
const errorShape = (error: string, problems: unknown[] = [expect.objectContaining({ path: '(request)', code: expect.any(String) })]) => ({
  error,
  message: expect.any(String),
  problems,
});
const paths = (body: Record<string, unknown>) => (body['problems'] as { path: string }[]).map((p) => p.path).sort();

const interactionsWith = (marker: string) => seen.filter((m) => m.topic === api.names.topics.interactions && m.value.includes(marker));

beforeAll(async () => {
  api = await startIngestApiApp({
    HUB_NAMESPACE: namespace,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    INGEST_API_KEYS: `genesys:${tenant}:${sha256Hex(KEY)},genesys:${otherTenant}:${sha256Hex(OTHER_KEY)}`,
    INGEST_RAW_TENANTS: tenant,
    INGEST_MAX_BODY_BYTES: String(MAX_BODY),
    INGEST_MAX_BATCH_EVENTS: String(MAX_EVENTS),
    INGEST_MAX_EVENT_BYTES: String(4 * 1024),
    // The key's tenant declares its attributes; the other tenant none.
    INGEST_ATTRIBUTE_SCHEMAS: JSON.stringify({
      [tenant]: {
        type: 'object',
        properties: { region: { enum: ['eu', 'us'] }, priority: { type: 'integer' } },
        additionalProperties: false,
      },
    }),
  });
  reader = kafka.consumer({ groupId: freshId('ia-reader'), maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topics: [api.names.topics.interactions, api.names.topics.deadLetter], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      seen.push({ topic, key: message.key?.toString(), headers, value: message.value?.toString() ?? '' });
    },
  });
  producer = kafka.producer();
  await producer.connect();
}, 60_000);

afterAll(async () => {
  await producer?.disconnect();
  await reader?.disconnect();
  await api?.close();
});

describe('one canonical event over HTTP', () => {
  it('is acknowledged after Kafka took it, keyed by tenant and normalised primary identity, with the hub’s metadata', async () => {
    const marker = freshId('single');
    const res = await postJson(platformEvent(marker, { phone: '+1 (415) 555-0101' }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', eventId: derivedEventId(tenant, 'genesys', `msg-${marker}`) });

    const [message] = await eventually(async () => (interactionsWith(marker).length > 0 ? interactionsWith(marker) : undefined), {
      what: 'the event on the interactions topic',
    });
    expect(message!.key).toBe(identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550101'));
    expect(message!.headers[HeaderNames.eventId]).toBe(res.body['eventId']);
    expect(message!.headers[HeaderNames.tenantId]).toBe(tenant);
    const event = JSON.parse(message!.value) as InteractionReceived;
    expect(event.data.provider).toEqual({ name: 'genesys', messageId: `msg-${marker}` });
    expect(event.metadata).toEqual(
      expect.objectContaining({ tenantId: tenant, eventId: res.body['eventId'], recordedAt: expect.any(String), schemaVersion: 1 }),
    );
  });

  it('sent twice without an id keeps its event id, so the retry is deduplicated downstream', async () => {
    const marker = freshId('retry');
    const first = await postJson(platformEvent(marker));
    const second = await postJson(platformEvent(marker));
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body['eventId']).toBe(first.body['eventId']);
    const both = await eventually(async () => (interactionsWith(marker).length === 2 ? interactionsWith(marker) : undefined), {
      what: 'both deliveries',
    });
    expect(both.map((m) => m.headers[HeaderNames.eventId])).toEqual([first.body['eventId'], first.body['eventId']]);
  });

  it('sent with its own id by two tenants is two events, each on its tenant; sent again by one it stays one (issue #15)', async () => {
    const marker = freshId('client-id');
    const clientEventId = randomUUID();
    const withId = platformEvent(marker, { metadata: { eventId: clientEventId } });
    const mine = await postJson(withId);
    const theirs = await postJson(withId, OTHER_KEY);
    const again = await postJson(withId);
    expect([mine.status, theirs.status, again.status]).toEqual([202, 202, 202]);
    expect(mine.body).toEqual({ status: 'accepted', eventId: clientScopedEventId(tenant, 'genesys', clientEventId), clientEventId });
    expect(theirs.body).toEqual({ status: 'accepted', eventId: clientScopedEventId(otherTenant, 'genesys', clientEventId), clientEventId });
    expect(theirs.body['eventId']).not.toBe(mine.body['eventId']);
    expect(again.body['eventId']).toBe(mine.body['eventId']);
    const all = await eventually(async () => (interactionsWith(marker).length === 3 ? interactionsWith(marker) : undefined), {
      what: 'the three deliveries',
    });
    const byId = (id: unknown) => all.filter((m) => m.headers[HeaderNames.eventId] === id).map((m) => m.headers[HeaderNames.tenantId]);
    expect(byId(mine.body['eventId'])).toEqual([tenant, tenant]);
    expect(byId(theirs.body['eventId'])).toEqual([otherTenant]);
  });

  it('sent with a platform id of its own (CCX-1, not a UUID) is accepted, and sent again it stays one event (issue #16)', async () => {
    const marker = freshId('ccx');
    const clientEventId = `CCX-${marker}`;
    const withId = platformEvent(marker, { metadata: { eventId: clientEventId } });
    const first = await postJson(withId);
    const again = await postJson(withId);
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(first.body).toEqual({ status: 'accepted', eventId: clientScopedEventId(tenant, 'genesys', clientEventId), clientEventId });
    expect(again.body).toEqual(first.body);
    const both = await eventually(async () => (interactionsWith(marker).length === 2 ? interactionsWith(marker) : undefined), {
      what: 'both deliveries',
    });
    expect(both.map((m) => m.headers[HeaderNames.eventId])).toEqual([first.body['eventId'], first.body['eventId']]);
  });

  it('on the plain chat channel (no webhook adapter: only this API) is accepted and published with channel chat (issue #16)', async () => {
    const marker = freshId('chat');
    const sent = platformEvent(marker, { metadata: { channel: 'chat' } });
    sent.data.identities = [{ kind: 'external', value: `cust-${marker}`, namespace: 'genesys' } as (typeof sent.data.identities)[number]];
    const res = await postJson(sent);
    expect(res.status).toBe(202);
    const [message] = await eventually(async () => (interactionsWith(marker).length > 0 ? interactionsWith(marker) : undefined), {
      what: 'the chat event on the interactions topic',
    });
    expect(message!.headers[HeaderNames.channel]).toBe('chat');
    const event = JSON.parse(message!.value) as InteractionReceived;
    expect(event.metadata.channel).toBe('chat');
    expect(event.data.identities).toEqual([{ kind: 'external', namespace: 'genesys', value: `cust-${marker}` }]);
    // A channel that does not exist is still refused, naming it.
    const refused = await postJson(platformEvent(freshId('pager'), { metadata: { channel: 'pager' } }));
    expect(refused.status).toBe(400);
    expect(paths(refused.body)).toEqual(['metadata.channel']);
  });

  it('naming another tenant than the key’s gets 403 naming metadata.tenantId', async () => {
    const res = await postJson(platformEvent(freshId('tenant'), { metadata: { tenantId: tenant } }), OTHER_KEY);
    expect(res.status).toBe(403);
    expect(res.body).toEqual(
      errorShape('tenant_mismatch', [
        { path: 'metadata.tenantId', code: 'tenant_mismatch', message: `must be the API key's tenant (${otherTenant}) or absent` },
      ]),
    );
  });

  it('that is invalid gets 400 naming the fields', async () => {
    const res = await postJson(platformEvent(freshId('bad'), { metadata: { eventId: ' has spaces ', occurredAt: 'yesterday' } }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorShape('invalid_event', expect.any(Array)));
    expect(paths(res.body)).toEqual(['metadata.eventId', 'metadata.occurredAt']);
  });

  it('with several problems gets them all at once, each with its path and code: a bad phone beside the other fields (issue #16)', async () => {
    const event = platformEvent(freshId('all'), { phone: '12', metadata: { occurredAt: 'yesterday', shift: 'night' } });
    const res = await postJson(event);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      errorShape(
        'invalid_event',
        expect.arrayContaining([
          { path: 'metadata.shift', code: 'unknown_field', message: expect.any(String) },
          { path: 'metadata.occurredAt', code: 'is_iso8601', message: expect.any(String) },
          { path: 'data.identities.0.value', code: 'invalid_identity', message: expect.any(String) },
        ]),
      ),
    );
    expect(paths(res.body)).toEqual(['data.identities.0.value', 'metadata.occurredAt', 'metadata.shift']);
  });

  it('with attributes its tenant declared is published with them; undeclared or unfit ones are 400, named (issue #16)', async () => {
    const marker = freshId('attrs');
    const event = platformEvent(marker);
    const res = await postJson({ ...event, data: { ...event.data, attributes: { region: 'eu', priority: 2 } } });
    expect(res.status).toBe(202);
    const [message] = await eventually(async () => (interactionsWith(marker).length > 0 ? interactionsWith(marker) : undefined), {
      what: 'the event with its attributes',
    });
    expect((JSON.parse(message!.value) as InteractionReceived).data.attributes).toEqual({ region: 'eu', priority: 2 });

    const unfit = await postJson({ ...event, data: { ...event.data, attributes: { region: 'mars' } } });
    expect(unfit).toMatchObject({
      status: 400,
      body: errorShape('invalid_event', [{ path: 'data.attributes.region', code: 'schema_enum', message: expect.any(String) }]),
    });
    const undeclared = await postJson({ ...event, data: { ...event.data, attributes: { region: 'eu' } } }, OTHER_KEY);
    expect(undeclared).toMatchObject({
      status: 400,
      body: errorShape('invalid_event', [expect.objectContaining({ path: 'data.attributes', code: 'attributes_not_declared' })]),
    });
  });

  it('sent as text/plain, or to a route that does not exist, gets the same shape rather than the framework’s', async () => {
    const plain = await post('/v1/events', JSON.stringify(platformEvent(freshId('plain'))), 'text/plain');
    expect(plain).toMatchObject({ status: 415, body: errorShape('unsupported_media_type') });
    expect(plain.body).not.toHaveProperty('statusCode');
    const nowhere = await post('/v1/nowhere', '{}', 'application/json');
    expect(nowhere).toMatchObject({ status: 404, body: errorShape('not_found') });
  });
});

describe('authentication', () => {
  it.each([
    ['no key', undefined, 'api_key_missing', 'Bearer realm="hub-ingest-api"'],
    ['a wrong key', 'not-our-key', 'api_key_invalid', 'Bearer realm="hub-ingest-api", error="invalid_token"'],
  ])('with %s gets 401 and publishes nothing', async (_what, key, reason, challenge) => {
    const marker = freshId('anon');
    const res = await post('/v1/events', JSON.stringify(platformEvent(marker)), 'application/json', key ?? '');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ ...errorShape('unauthorized', [{ path: '(request)', code: reason, message: expect.any(String) }]), reason });
    expect(res.headers.get('www-authenticate')).toBe(challenge);
    const batch = await postNdjson([JSON.stringify(platformEvent(marker))], key ?? '');
    expect(batch.status).toBe(401);
  });

  it('accepts the key as X-Api-Key too; /health and /metrics need none', async () => {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify(platformEvent(freshId('xkey'))),
    });
    expect(res.status).toBe(202);
    expect(await (await fetch(`${api.url}/health`)).json()).toEqual({
      status: 'ok',
      kafka: true,
      rawConsumer: expect.stringMatching(/starting|running/),
    });
  });
});

describe('an NDJSON batch', () => {
  it('with valid and invalid lines gets a result per line, and only the valid events reach the topic', async () => {
    const marker = freshId('batch');
    const lines = [
      JSON.stringify(platformEvent(`${marker}-1`)),
      '{"type": "InteractionReceived", oops',
      '',
      JSON.stringify(platformEvent(`${marker}-4`, { phone: '+14155550104' })),
      JSON.stringify(platformEvent(`${marker}-5`, { metadata: { occurredAt: 'last tuesday' } })),
      JSON.stringify(platformEvent(`${marker}-6`, { metadata: { tenantId: otherTenant } })),
    ];
    const res = await postNdjson(lines);
    expect(res.status).toBe(200);
    const results = res.body['results'] as {
      line: number;
      status: string;
      eventId?: string;
      code?: string;
      problems?: { path: string; code: string; message: string }[];
    }[];
    expect(res.body).toEqual(expect.objectContaining({ accepted: 2, invalid: 3 }));
    expect(results.map((r) => [r.line, r.status, r.code ?? null, r.problems?.map((e) => e.path) ?? null])).toEqual([
      [1, 'accepted', null, null],
      [2, 'invalid', 'invalid_json', ['(event)']],
      [4, 'accepted', null, null],
      [5, 'invalid', 'invalid_event', ['metadata.occurredAt']],
      [6, 'invalid', 'tenant_mismatch', ['metadata.tenantId']],
    ]);

    const published = await eventually(async () => (interactionsWith(marker).length >= 2 ? interactionsWith(marker) : undefined), {
      what: 'the valid lines on the topic',
    });
    expect(published.map((m) => m.headers[HeaderNames.eventId]).sort()).toEqual([results[0]!.eventId, results[2]!.eventId].sort());
    expect(published.map((m) => m.key).sort()).toEqual(
      [
        identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550100'),
        identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550104'),
      ].sort(),
    );
  });

  it('is also taken on /v1/events/batch, which refuses a JSON body with 415', async () => {
    const ok = await post(
      '/v1/events/batch',
      `${JSON.stringify(platformEvent(freshId('alias')))}\n`,
      'application/x-ndjson; charset=utf-8',
    );
    expect([ok.status, ok.body['accepted']]).toEqual([200, 1]);
    const json = await post('/v1/events/batch', JSON.stringify(platformEvent(freshId('alias'))), 'application/json');
    expect(json.status).toBe(415);
  });

  it(`with more than INGEST_MAX_BATCH_EVENTS (${MAX_EVENTS}) events gets 413 naming the limit, and publishes nothing`, async () => {
    const marker = freshId('many');
    const res = await postNdjson(Array.from({ length: MAX_EVENTS + 1 }, (_, i) => JSON.stringify(platformEvent(`${marker}-${i}`))));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      ...errorShape('too_many_events'),
      limit: 'INGEST_MAX_BATCH_EVENTS',
      max: MAX_EVENTS,
      events: MAX_EVENTS + 1,
    });
  });

  it(`larger than INGEST_MAX_BODY_BYTES (${MAX_BODY}) gets 413 before it is parsed`, async () => {
    const line = JSON.stringify(platformEvent(freshId('big')));
    const res = await postNdjson(Array.from({ length: Math.ceil(MAX_BODY / line.length) + 1 }, () => line));
    expect(res.status).toBe(413);
    // In the API's shape, naming the limit (a 14 MB body answered Fastify's bare message; fuzz campaign, issue #15).
    expect(res.body).toEqual({ ...errorShape('payload_too_large'), limitBytes: MAX_BODY });
    const metrics = (await (await fetch(`${api.url}/metrics`)).json()) as Record<string, number>;
    expect(metrics['http.rejected.body_too_large']).toBeGreaterThanOrEqual(1);
  });

  it('larger than INGEST_MAX_BODY_BYTES without a Content-Length (chunked) gets the same 413, from the framework’s own limit', async () => {
    const line = `${JSON.stringify(platformEvent(freshId('chunked')))}\n`;
    const chunks = Array.from({ length: Math.ceil(MAX_BODY / line.length) + 1 }, () => new TextEncoder().encode(line));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${KEY}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect({ status: res.status, body: (await res.json()) as unknown }).toEqual({
      status: 413,
      body: { ...errorShape('payload_too_large'), limitBytes: MAX_BODY },
    });
  });
});

describe('a gzip-encoded body', () => {
  const postGzip = async (body: Buffer, encoding = 'gzip', key: string | undefined = KEY) => {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': encoding, ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('is decoded before parsing: each line gets its result and the events reach the topic', async () => {
    const marker = freshId('gz');
    const lines = [JSON.stringify(platformEvent(`${marker}-1`)), JSON.stringify(platformEvent(`${marker}-2`, { phone: '+14155550102' }))];
    const res = await postGzip(gzipSync(lines.join('\n')));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ accepted: 2, invalid: 0 }));
    await eventually(async () => (interactionsWith(marker).length >= 2 ? true : undefined), { what: 'the decoded lines on the topic' });
  });

  it('that inflates past INGEST_MAX_BODY_BYTES gets 413, one that is not gzip 400, another encoding 415; nothing is published', async () => {
    const marker = freshId('gzbad');
    const line = JSON.stringify(platformEvent(marker));
    const bomb = gzipSync(Array.from({ length: Math.ceil((4 * MAX_BODY) / line.length) }, () => line).join('\n'));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const before = (await (await fetch(`${api.url}/metrics`)).json()) as Record<string, number>;
    const big = await postGzip(bomb);
    expect(big).toEqual({ status: 413, body: { ...errorShape('payload_too_large'), limitBytes: MAX_BODY } });
    const corrupt = await postGzip(Buffer.from(line));
    expect(corrupt).toEqual({
      status: 400,
      body: { ...errorShape('invalid_content_encoding'), message: expect.stringContaining('not a gzip body') },
    });
    const br = await postGzip(gzipSync(line), 'br');
    expect(br).toEqual({
      status: 415,
      body: {
        ...errorShape('unsupported_content_encoding'),
        message: 'Content-Encoding br is not accepted',
        accepted: ['identity', 'gzip'],
      },
    });
    const after = (await (await fetch(`${api.url}/metrics`)).json()) as Record<string, number>;
    expect(after['http.rejected.body_too_large']).toBe((before['http.rejected.body_too_large'] ?? 0) + 1);
    expect(after['http.rejected.invalid_content_encoding']).toBe((before['http.rejected.invalid_content_encoding'] ?? 0) + 1);
    expect(after['http.rejected.unsupported_content_encoding']).toBe((before['http.rejected.unsupported_content_encoding'] ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(interactionsWith(marker)).toEqual([]);
  });

  it('from an unknown caller gets 401 before a byte of it is decoded', async () => {
    const res = await postGzip(gzipSync(JSON.stringify(platformEvent(freshId('gz401')))), 'gzip', 'not-a-key');
    expect(res.status).toBe(401);
  });
});

describe('the raw topic', () => {
  const produceRaw = (value: string) =>
    producer.send({ topic: api.names.topics.rawInteractions, acks: -1, messages: [{ key: 'whatever', value }] });

  it('moves a valid message to the interactions topic, re-keyed, with the same id on every redelivery', async () => {
    const marker = freshId('raw');
    const value = JSON.stringify(platformEvent(marker, { metadata: { tenantId: tenant }, provider: { name: 'genesys' } }));
    await produceRaw(value);
    await produceRaw(value);
    const moved = await eventually(async () => (interactionsWith(marker).length === 2 ? interactionsWith(marker) : undefined), {
      what: 'the raw message on interactions',
    });
    const expectedId = derivedEventId(tenant, 'genesys', `msg-${marker}`);
    expect(moved.map((m) => [m.key, m.headers[HeaderNames.eventId]])).toEqual([
      [identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550100'), expectedId],
      [identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550100'), expectedId],
    ]);
    // The same event over HTTP is the same event.
    expect((await postJson(platformEvent(marker))).body['eventId']).toBe(expectedId);
  });

  it('dead-letters an invalid message by reference (never its payload), with its code and the failing fields by path and code', async () => {
    const marker = freshId('rawbad');
    const sources = [
      await produceRaw(
        JSON.stringify(platformEvent(marker, { metadata: { tenantId: tenant, occurredAt: 'never' }, provider: { name: 'genesys' } })),
      ),
      await produceRaw(
        JSON.stringify(platformEvent(`${marker}-tenant`, { metadata: { tenantId: otherTenant }, provider: { name: 'genesys' } })),
      ),
      await produceRaw(`{"not json": ${marker}`),
    ].map(([meta]) => ({ partition: String(meta!.partition), offset: meta!.baseOffset! }));
    const deadLetters = () =>
      seen.filter(
        (m) =>
          m.topic === api.names.topics.deadLetter &&
          sources.some(
            (s) => m.headers[HeaderNames.dlqSourcePartition] === s.partition && m.headers[HeaderNames.dlqSourceOffset] === s.offset,
          ),
      );
    const dead = await eventually(async () => (deadLetters().length === 3 ? deadLetters() : undefined), { what: 'three dead letters' });
    const byCode = Object.fromEntries(dead.map((d) => [d.headers[HeaderNames.dlqCode], d]));
    expect(Object.keys(byCode).sort()).toEqual(['INVALID_EVENT', 'INVALID_JSON', 'TENANT_NOT_ALLOWED']);
    expect(byCode['INVALID_EVENT']!.headers[HeaderNames.dlqReason]).toMatch(/^metadata\.occurredAt: is_iso8601/);
    expect(byCode['INVALID_EVENT']!.headers[HeaderNames.dlqSourceTopic]).toBe(api.names.topics.rawInteractions);
    expect(byCode['TENANT_NOT_ALLOWED']!.headers[HeaderNames.tenantId]).toBe(otherTenant);
    const notJson = sources[2]!;
    expect(JSON.parse(byCode['INVALID_JSON']!.value)).toEqual({
      reference: { topic: api.names.topics.rawInteractions, partition: Number(notJson.partition), offset: notJson.offset },
      rawBytes: `{"not json": ${marker}`.length,
      rawSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    for (const d of dead) expect(JSON.stringify(d)).not.toContain(marker);
    expect(interactionsWith(marker)).toEqual([]);
    const metrics = (await (await fetch(`${api.url}/metrics`)).json()) as Record<string, number>;
    expect(metrics).toEqual(
      expect.objectContaining({
        'raw.dead_lettered.invalid_event': expect.any(Number),
        'raw.dead_lettered.tenant_not_allowed': expect.any(Number),
        'raw.feedback': expect.any(Number),
      }),
    );
  });
});

describe('with Kafka unreachable', () => {
  it('answers 503 with Retry-After and reports nothing accepted', async () => {
    const down = await startIngestApiApp({
      HUB_NAMESPACE: namespace,
      KAFKA_BROKERS: '127.0.0.1:1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      INGEST_API_KEYS: `genesys:${tenant}:${sha256Hex(KEY)}`,
      INGEST_RAW_ENABLED: 'false',
      INGEST_SEND_TIMEOUT_MS: '1000',
    });
    try {
      const headers = { 'content-type': 'application/x-ndjson', authorization: `Bearer ${KEY}` };
      const res = await fetch(`${down.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(platformEvent(freshId('down'))) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.json()).toEqual({
        ...errorShape('unavailable', []),
        message: 'event bus unavailable; nothing was accepted',
        retryAfterSeconds: expect.any(Number),
      });
      expect(await (await fetch(`${down.url}/health`)).json()).toEqual({ status: 'degraded', kafka: false, rawConsumer: 'disabled' });
    } finally {
      await down.close();
    }
  }, 60_000);
});

describe('a conversation status over HTTP (POST /v1/conversations/status)', () => {
  const status = (conversationId: string, over: Record<string, unknown> = {}) =>
    JSON.stringify({
      identities: [{ kind: 'phone', value: '+1 (415) 555-0107' }],
      channel: 'sms',
      status: 'resolved',
      conversationId,
      occurredAt: '2025-03-01T12:05:00.000Z',
      ...over,
    });

  it('is acknowledged after Kafka took it: a ConversationStatusReceived on the interactions topic, keyed like the customer’s interactions', async () => {
    const conversationId = freshId('conv');
    const res = await post('/v1/conversations/status', status(conversationId), 'application/json');
    expect(res).toMatchObject({
      status: 202,
      body: {
        status: 'accepted',
        eventId: conversationStatusEventId(tenant, 'genesys', conversationId, 'resolved', '2025-03-01T12:05:00.000Z'),
      },
    });
    const [message] = await eventually(
      async () => (interactionsWith(conversationId).length > 0 ? interactionsWith(conversationId) : undefined),
      { what: 'the status on the interactions topic' },
    );
    expect(message!.key).toBe(identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550107'));
    expect(message!.headers[HeaderNames.eventId]).toBe(res.body['eventId']);
    const event = JSON.parse(message!.value) as ConversationStatusReceived;
    expect(event.type).toBe('ConversationStatusReceived');
    expect(event.data).toEqual({
      identities: [{ kind: 'phone', value: '+14155550107' }],
      status: 'resolved',
      provider: { name: 'genesys', conversationId },
    });
    expect(event.metadata).toMatchObject({
      tenantId: tenant,
      channel: 'sms',
      eventId: res.body['eventId'],
      occurredAt: '2025-03-01T12:05:00.000Z',
    });
  });

  it('without a key is 401; a status the hub does not record is 400 naming it; another media type is 415; nothing is published', async () => {
    const conversationId = freshId('conv-refused');
    expect((await post('/v1/conversations/status', status(conversationId), 'application/json', '')).status).toBe(401);
    const assigned = await post('/v1/conversations/status', status(conversationId, { status: 'assigned' }), 'application/json');
    expect(assigned).toMatchObject({ status: 400, body: errorShape('invalid_event', [expect.objectContaining({ path: 'status' })]) });
    expect((await post('/v1/conversations/status', status(conversationId), 'application/x-ndjson')).status).toBe(415);
    // A status that is published after them shows they were not.
    const marker = freshId('conv-after');
    expect((await post('/v1/conversations/status', status(marker), 'application/json')).status).toBe(202);
    await eventually(async () => (interactionsWith(marker).length > 0 ? true : undefined), { what: 'the later status' });
    expect(interactionsWith(conversationId)).toEqual([]);
  });
});

describe('a consent change over HTTP (POST /v1/customers/consent)', () => {
  it('is acknowledged after Kafka took it: a ConsentReceived keyed like the customer’s interactions; a keyword source is 400', async () => {
    const changeId = freshId('pc');
    const body = {
      identities: [{ kind: 'phone', value: '+1 (415) 555-0108' }],
      channel: 'sms',
      consent: 'opted_out',
      changeId,
      occurredAt: '2025-03-01T12:06:00.000Z',
    };
    const res = await post('/v1/customers/consent', JSON.stringify(body), 'application/json');
    expect(res).toMatchObject({ status: 202, body: { status: 'accepted', eventId: expect.any(String) } });
    const [message] = await eventually(async () => (interactionsWith(changeId).length > 0 ? interactionsWith(changeId) : undefined), {
      what: 'the consent change on the interactions topic',
    });
    expect(message!.key).toBe(identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550108'));
    const event = JSON.parse(message!.value) as ConsentReceived;
    expect(event.type).toBe('ConsentReceived');
    expect(event.data).toEqual({
      identities: [{ kind: 'phone', value: '+14155550108' }],
      consent: 'opted_out',
      source: 'preference_centre',
      provider: { name: 'genesys', changeId },
    });
    expect(event.metadata).toMatchObject({ tenantId: tenant, channel: 'sms', eventId: res.body['eventId'] });
    expect(await post('/v1/customers/consent', JSON.stringify({ ...body, source: 'keyword' }), 'application/json')).toMatchObject({
      status: 400,
      body: errorShape('invalid_event', [expect.objectContaining({ path: 'source' })]),
    });
  });
});

describe('profile attributes over HTTP (POST /v1/customers/traits)', () => {
  it('is acknowledged after Kafka took it: a TraitsReceived keyed like the customer’s interactions; a nested value is 400', async () => {
    const updateId = freshId('upd');
    const body = {
      identities: [{ kind: 'phone', value: '+1 (415) 555-0109' }],
      traits: { tier: 'gold' },
      updateId,
      occurredAt: '2025-03-01T12:07:00.000Z',
    };
    const res = await post('/v1/customers/traits', JSON.stringify(body), 'application/json');
    expect(res).toMatchObject({ status: 202, body: { status: 'accepted', eventId: expect.any(String) } });
    const [message] = await eventually(async () => (interactionsWith(updateId).length > 0 ? interactionsWith(updateId) : undefined), {
      what: 'the attributes on the interactions topic',
    });
    expect(message!.key).toBe(identityKey(IdentityHasher.development(), tenant, 'phone', '+14155550109'));
    const event = JSON.parse(message!.value) as TraitsReceived;
    expect(event).toMatchObject({
      type: 'TraitsReceived',
      data: { traits: { tier: 'gold' }, provider: { name: 'genesys', updateId } },
      metadata: { tenantId: tenant, channel: 'system', eventId: res.body['eventId'] },
    });
    expect(
      await post('/v1/customers/traits', JSON.stringify({ ...body, traits: { address: { city: 'Lyon' } } }), 'application/json'),
    ).toMatchObject({ status: 400, body: errorShape('invalid_event', [expect.objectContaining({ path: 'traits' })]) });
  });
});
