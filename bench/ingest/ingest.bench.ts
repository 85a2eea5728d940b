/**
 * bench/ingest: a signed Twilio SMS webhook through ingest-sms (verified, validated, mapped, and
 * acknowledged by Kafka with acks=all) beside a bare Fastify hello and a NestJS-on-Fastify hello,
 * measured in the same run on the same machine. Needs Kafka on KAFKA_BROKERS (npm run infra:up).
 *
 *   node -r @swc-node/register bench/ingest/ingest.bench.ts [--seconds 10] [--rate 300]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startAppProcess } from '@hub/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';

const ROOT = resolve(__dirname, '../..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 300);
const CONNECTIONS = arg('connections', 32);

function startReference(file: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, file)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (b: Buffer) => {
      const line = b
        .toString()
        .split('\n')
        .find((l) => l.includes('"ready"'));
      if (line) ok({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('exit', (code) => fail(new Error(`${file} exited ${code}`)));
  });
}

interface Row {
  target: string;
  mode: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function measure(target: string, url: string, mode: 'max' | 'rate', body: string, headers: Record<string, string>): Promise<Row> {
  const result = await autocannon({
    url,
    method: 'POST',
    body,
    headers,
    duration: SECONDS,
    connections: CONNECTIONS,
    ...(mode === 'rate' ? { overallRate: RATE } : {}),
  });
  return {
    target,
    mode: mode === 'max' ? `max, ${CONNECTIONS} conns` : `${RATE} req/s fixed`,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** Reference: bare kafkajs, the same producer settings (idempotent, acks=all), no HTTP, no hub code. */
async function bareKafkajs(concurrency: number): Promise<Row> {
  const kafka = new Kafka({
    clientId: 'bench-bare',
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const latencies: number[] = [];
  const value = JSON.stringify({ type: 'InteractionReceived', data: { text: 'Where is my order #4411? It was due yesterday.' } });
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const t = process.hrtime.bigint();
        await producer.send({ topic: 'hub.interactions.v1', acks: -1, messages: [{ key: 'bench|phone|+14155550100', value }] });
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  await producer.disconnect();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  return {
    target: 'bare kafkajs send (idempotent, acks=all)',
    mode: `${concurrency} concurrent senders`,
    rps: Math.round(latencies.length / SECONDS),
    p50: q(0.5),
    p99: q(0.99),
    non2xx: 0,
    errors: 0,
  };
}

async function main(): Promise<void> {
  const authToken = randomBytes(16).toString('hex');
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const ingest = await startAppProcess(
    'ingest-sms',
    // The rate limits stay on (their cost is part of what is measured) but out of reach of one load generator's address at max rate.
    {
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_ACCOUNT_SID: accountSid,
      PORT: '0',
      TENANT_ID: 'bench',
      INGEST_MAX_IN_FLIGHT: '100000',
      RATE_LIMIT_PER_ADDRESS: '100000000',
      RATE_LIMIT_PER_SOURCE: '100000000',
    },
    { logSuffix: '-bench' },
  );
  const fastify = await startReference('hello-fastify.ts');
  const nest = await startReference('hello-nest.ts');
  try {
    const webhook = `${ingest.url}/webhooks/twilio`;
    // One realistic signed webhook, re-sent: every request is verified, validated, mapped and published.
    const signed = signedTwilioRequest({
      authToken,
      url: webhook,
      params: twilioSmsParams({
        from: '+14155550100',
        to: '+14155550000',
        body: 'Where is my order #4411? It was due yesterday.',
        accountSid,
        seed: 'bench',
      }),
    });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const rows: Row[] = [];
    for (const mode of ['max', 'rate'] as const) {
      rows.push(await measure('bare Fastify hello', `${fastify.url}/hello`, mode, signed.body, form));
      rows.push(await measure('NestJS+Fastify hello', `${nest.url}/hello`, mode, signed.body, form));
      rows.push(await measure('ingest-sms (signed, Kafka-acked)', webhook, mode, signed.body, signed.headers));
    }
    rows.push(await bareKafkajs(1));
    rows.push(await bareKafkajs(CONNECTIONS));
    console.log(`\nbench/ingest — ${SECONDS} s per row, ${new Date().toISOString()}`);
    console.table(rows.map(({ p50, p99, ...r }) => ({ ...r, 'p50 ms': p50, 'p99 ms': p99 })));
    const bare = rows.find((r) => r.mode.startsWith('max') && r.target.startsWith('bare'))!;
    const hub = rows.find((r) => r.mode.startsWith('max') && r.target.startsWith('ingest'))!;
    console.log(`ingest-sms sustains ${((hub.rps / bare.rps) * 100).toFixed(1)} % of bare Fastify's throughput in the same run`);
  } finally {
    fastify.child.kill();
    nest.child.kill();
    await ingest.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
