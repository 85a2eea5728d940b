import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '@hub/contracts';
import { eventually, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';

/**
 * Kafka stops while the ingest app is serving. The app must answer 503 with Retry-After (never a
 * 202 for a message Kafka did not take) and recover by itself when Kafka is back. A broker of its
 * own, so stopping it disturbs no other test.
 */
const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../../..');
const KAFKA_SH = join(ROOT, 'infra/kafka/kafka.sh');
const PORT = 19092;
const brokerEnv = {
  ...process.env,
  KAFKA_PORT: String(PORT),
  KAFKA_CONTROLLER_PORT: '19093',
  KAFKA_RUN_DIR: join(ROOT, '.run', 'kafka-outage'),
  KAFKA_HEAP_OPTS: '-Xms256m -Xmx256m',
};
const broker = (cmd: 'start' | 'stop' | 'clean', fresh = '1') =>
  run('bash', [KAFKA_SH, cmd], { env: { ...brokerEnv, KAFKA_FRESH: fresh }, timeout: 120_000 });

const AUTH_TOKEN = randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const tenant = freshId('outage');
let ingest: AppProcess | undefined;

async function send(seed: string, body: string) {
  const url = `${ingest!.url}/webhooks/twilio`;
  const params = twilioSmsParams({ from: '+14155550177', to: '+14155550000', body, accountSid: ACCOUNT_SID, seed });
  const signed = signedTwilioRequest({ authToken: AUTH_TOKEN, url, params });
  const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

async function bodiesOnBroker(): Promise<string[]> {
  const kafka = new Kafka({ clientId: freshId('outage-reader'), brokers: [`127.0.0.1:${PORT}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // Just after the restart a partition may still be electing its leader ("not the leader for that
  // topic-partition"): read the offsets again until every partition answers.
  const offsets = await eventually(() => admin.fetchTopicOffsets(Topics.interactions), {
    what: 'the topic offsets after the restart',
    timeoutMs: 60_000,
  });
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const consumer = kafka.consumer({ groupId: freshId('outage-reader'), maxWaitTimeInMs: 200 });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.interactions, fromBeginning: true });
  await new Promise<void>((done) => {
    if (total === 0) return done();
    void consumer.run({
      eachMessage: async ({ message }) => {
        const v = JSON.parse(message.value!.toString()) as { data: { content: { text?: string } } };
        seen.push(v.data.content.text ?? '');
        if (seen.length >= total) done();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

beforeAll(async () => {
  await broker('start');
  ingest = await startAppProcess(
    'ingest-sms',
    {
      KAFKA_BROKERS: `127.0.0.1:${PORT}`,
      TENANT_ID: tenant,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      PORT: '0',
      INGEST_SEND_TIMEOUT_MS: '3000',
      DATABASE_URL: testInfra().databaseUrl,
    },
    { logSuffix: `-${tenant}` },
  );
}, 180_000);

afterAll(async () => {
  await ingest?.stop();
  await broker('clean').catch(() => undefined);
}, 60_000);

describe('when Kafka stops while the ingest app is serving', () => {
  it('answers 503 with Retry-After, acknowledges nothing it did not publish, and recovers when Kafka returns', async () => {
    const before = await send(`${tenant}-1`, 'before the outage');
    expect(before.status).toBe(202);

    await broker('stop');
    const during = await send(`${tenant}-2`, 'during the outage');
    expect(during.status).toBe(503);
    expect(Number(during.retryAfter)).toBeGreaterThan(0);
    expect(during.body).toEqual({ error: 'unavailable', reason: 'event bus unavailable' });
    const health = (await (await fetch(`${ingest!.url}/health`)).json()) as { kafka: boolean };
    expect(health.kafka).toBe(false);

    await broker('start', '0'); // same data directory: what was published before is still there
    const after = await eventuallyAccepted(`${tenant}-3`, 'after the outage');
    expect(after).toBe(202);

    const bodies = await bodiesOnBroker();
    expect(bodies).toContain('before the outage');
    expect(bodies).toContain('after the outage');
    // The message answered 503 may only reach Kafka if the provider retries it; it never did here.
    expect(bodies).not.toContain('during the outage');
    // Its own budget: a broker stop and a start (each allowed 120 s) and up to 60 s for the app to
    // reconnect. Under the whole suite's load on two cores the default 60 s was exceeded once.
  }, 360_000);
});

async function eventuallyAccepted(seed: string, body: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await send(seed, body);
    if (res.status === 202 || Date.now() > deadline) return res.status;
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 500));
  }
}
