import { Kafka, logLevel } from 'kafkajs';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { CONFORMANCE_BASE_URL, loadConformanceFixtures } from '@hub/channels-core/testing';
import { hubNames, type IngestChannelId } from '@hub/contracts';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * One ingestion process hosting two channels (`INGEST_CHANNELS=sms,whatsapp`, issue #18: a
 * deployment choice for small installations), in-process on the real Kafka: each channel's provider
 * answers on its own route with its own signature check and its own body limit, and both publish to
 * the interactions topic, counted under their own codes.
 */
const infra = testInfra();
const namespace = freshId('chans');
const CHANNELS: readonly IngestChannelId[] = ['sms', 'whatsapp'];
const setup = (channel: IngestChannelId) => CHANNEL_TEST_SETUPS[channel][0]!;
let app: RunningIngestApp;

beforeAll(async () => {
  app = await startIngestApp(CHANNELS, {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    TENANT_ID: namespace,
    HUB_NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: CONFORMANCE_BASE_URL,
    ...setup('sms').env,
    ...setup('whatsapp').env,
  });
});

afterAll(() => app?.close());

/** The channel's first valid fixture that needs no config of its own, signed as its provider signs it. */
function signedFixture(channel: IngestChannelId): { path: string; headers: Record<string, string>; body: Buffer } {
  const s = setup(channel);
  const fixture = loadConformanceFixtures(s.fixturesDir).valid.find((f) => Object.keys(f.config).length === 0)!;
  const request = s.sign(fixture.payload, {});
  const headers = Object.fromEntries(Object.entries(request.headers).filter((e): e is [string, string] => e[1] !== undefined));
  return { path: s.definition.manifest.route.path, headers, body: request.rawBody };
}

const post = (path: string, headers: Record<string, string>, body: Buffer) =>
  fetch(`${app.url}${path}`, { method: 'POST', headers, body: new Uint8Array(body) });

describe('given one process serving sms and whatsapp', () => {
  it('then each provider is answered on its own route, checked with its own signature, and both reach Kafka', async () => {
    const sms = signedFixture('sms');
    const whatsapp = signedFixture('whatsapp');
    expect([sms.path, whatsapp.path]).toEqual(['/webhooks/twilio', '/webhooks/whatsapp']);

    const answers = [await post(sms.path, sms.headers, sms.body), await post(whatsapp.path, whatsapp.headers, whatsapp.body)];
    expect(answers.map((r) => r.status)).toEqual([202, 202]);
    const ids = await Promise.all(answers.map(async (r) => ((await r.json()) as { eventIds: string[] }).eventIds));

    // A body signed for one provider, sent to the other's route, is that provider's forgery.
    const crossed = await post(whatsapp.path, sms.headers, sms.body);
    expect(crossed.status).toBe(401);

    const kafka = new Kafka({ clientId: freshId('chans-read'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: freshId('chans-read'), maxWaitTimeInMs: 200 });
    const seen = new Map<string, string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: hubNames(namespace).topics.interactions, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const value = JSON.parse(String(message.value)) as { metadata: { eventId: string; channel: string } };
          seen.set(value.metadata.eventId, value.metadata.channel);
        },
      });
      await eventually(async () => (ids.flat().every((id) => seen.has(id)) ? true : undefined), { what: 'both events on Kafka' });
    } finally {
      await consumer.disconnect();
    }
    expect(ids.map((forChannel) => forChannel.map((id) => seen.get(id)))).toEqual([
      ids[0]!.map(() => 'sms'),
      ids[1]!.map(() => 'whatsapp'),
    ]);
    expect(app.counters.toJSON()).toMatchObject({ accepted: 2 });
    expect(Object.entries(app.counters.toJSON()).filter(([k]) => k.startsWith('rejected.signature')).length).toBe(1);
  });

  it('then each route keeps its own body limit (64 KiB for Twilio, 4 MiB for Meta)', async () => {
    const big = Buffer.alloc(100 * 1024, 'a');
    const tooBigForTwilio = await post('/webhooks/twilio', { 'content-type': 'application/x-www-form-urlencoded' }, big);
    expect(tooBigForTwilio.status).toBe(413);
    const fineForMeta = await post('/webhooks/whatsapp', { 'content-type': 'application/json' }, big);
    // Not refused for its size: read, then refused for what it is (unsigned).
    expect(fineForMeta.status).toBe(401);
  });
});
