import { gzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { hubNames } from '@hub/contracts';
import { loadConformanceFixtures } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * Compressed webhook bodies through a real ingestion app (in-process) and real Kafka: Firehose's
 * GZIP option is decoded before verification, a route that declares no encoding refuses one with
 * 415, a corrupt body is a 400 and a small body that inflates past the limit a 413.
 */
const infra = testInfra();
const namespace = freshId('enc');
const setup = (provider: string) => CHANNEL_TEST_SETUPS.voice.find((s) => s.definition.manifest.provider === provider)!;
const firehose = setup('amazon-connect');
const twilioVoice = setup('twilio');
let running: RunningIngestApp;

beforeAll(async () => {
  const env = Object.assign(
    {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: namespace,
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: 'https://hub.example.com',
    },
    ...CHANNEL_TEST_SETUPS.voice.map((s) => s.env),
  ) as NodeJS.ProcessEnv;
  running = await startIngestApp('voice', env);
});

afterAll(async () => {
  await running?.close();
});

function post(path: string, headers: Record<string, string>, body: Buffer): Promise<Response> {
  return fetch(`${running.url}${path}`, { method: 'POST', headers, body });
}

/** A valid recorded Firehose delivery, as Firehose sends it with GZIP content encoding. */
function gzippedFirehoseDelivery() {
  const [fixture] = loadConformanceFixtures(firehose.fixturesDir).valid;
  const signed = firehose.sign(fixture!.payload, {});
  const headers = { ...(signed.headers as Record<string, string>), 'content-encoding': 'gzip' };
  const eventIds = (fixture!.expected.events as { metadata: { eventId: string } }[]).map((e) => e.metadata.eventId);
  return { path: new URL(signed.url).pathname, headers, plain: signed.rawBody, body: gzipSync(signed.rawBody), eventIds };
}

async function interactionKeys(expected: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: freshId('enc-read'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: freshId('enc-read'), maxWaitTimeInMs: 200 });
  const ids: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: hubNames(namespace).topics.interactions, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void ids.push((JSON.parse(message.value!.toString()) as { metadata: { eventId: string } }).metadata.eventId),
    });
    await eventually(async () => (ids.length >= expected ? true : undefined), {
      what: `${expected} interactions on Kafka`,
      timeoutMs: 30_000,
    });
  } finally {
    await consumer.disconnect();
  }
  return ids;
}

describe('a gzip-encoded Firehose delivery', () => {
  it('is decoded before verification and parsing: acknowledged as Firehose expects, its events on Kafka', async () => {
    const delivery = gzippedFirehoseDelivery();
    expect(delivery.body.length).toBeLessThan(delivery.plain.length);
    const res = await post(delivery.path, delivery.headers, delivery.body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(expect.objectContaining({ requestId: expect.any(String) }));
    expect(await interactionKeys(delivery.eventIds.length)).toEqual(expect.arrayContaining(delivery.eventIds));
  });
});

describe('a compressed body the route cannot take', () => {
  it('gets 415 on a route that declares no encoding, naming what it accepts', async () => {
    const [fixture] = loadConformanceFixtures(twilioVoice.fixturesDir).valid;
    const signed = twilioVoice.sign(fixture!.payload, {});
    const res = await post(
      new URL(signed.url).pathname,
      { ...(signed.headers as Record<string, string>), 'content-encoding': 'gzip' },
      gzipSync(signed.rawBody),
    );
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      error: 'unsupported_content_encoding',
      reason: 'Content-Encoding gzip is not accepted here',
      accepted: ['identity'],
    });
    expect(running.counters.toJSON()['rejected.unsupported_content_encoding']).toBeGreaterThanOrEqual(1);
  });

  it('gets 415 for an encoding the route does not declare (br), and 400 for a body that is not gzip', async () => {
    const delivery = gzippedFirehoseDelivery();
    const br = await post(delivery.path, { ...delivery.headers, 'content-encoding': 'br' }, delivery.body);
    expect(br.status).toBe(415);
    expect(await br.json()).toEqual(expect.objectContaining({ accepted: ['identity', 'gzip'] }));
    const corrupt = await post(
      delivery.path,
      delivery.headers,
      Buffer.concat([delivery.body.subarray(0, 20), Buffer.from('not gzip at all')]),
    );
    expect(corrupt.status).toBe(400);
    expect(await corrupt.json()).toEqual({ error: 'invalid_content_encoding', reason: expect.stringContaining('not a gzip body') });
    expect(running.counters.toJSON()['rejected.invalid_content_encoding']).toBe(1);
  });

  it('gets 413 when a small body inflates past the route limit (a zip bomb), without inflating it all', async () => {
    const delivery = gzippedFirehoseDelivery();
    const limit = running.services.find((s) => s.manifest.provider === 'amazon-connect')!.manifest.maxBodyBytes;
    const bomb = gzipSync(Buffer.alloc(limit + 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const before = running.counters.toJSON()['rejected.payload_too_large'] ?? 0;
    const res = await post(delivery.path, delivery.headers, bomb);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'payload_too_large', limitBytes: limit });
    expect(running.counters.toJSON()['rejected.payload_too_large']).toBe(before + 1);
  });
});
