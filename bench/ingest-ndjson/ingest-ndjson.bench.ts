/**
 * bench/ingest-ndjson: canonical events in NDJSON batches through ingest-api (API key, every line
 * parsed, validated, normalised, and acknowledged by Kafka with acks=all before the 200) beside bare
 * kafkajs sending the very same messages (same keys, headers and values, same producer settings),
 * measured in the same run on the same machine. Needs Kafka on KAFKA_BROKERS (npm run infra:up).
 *
 *   node -r @swc-node/register bench/ingest-ndjson/ingest-ndjson.bench.ts [--seconds 10] [--batch 500] [--concurrency 4]
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { hubNames, interactionMessage } from '@hub/contracts';
import { readInteraction, sha256Hex } from '@hub/ingest-api';
import { freshId, startAppProcess, TEST_IDENTITY_NAMING } from '@hub/testing';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const BATCH = arg('batch', 500);
const CONCURRENCY = arg('concurrency', 4);
const BODIES = 8;
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');

interface Row {
  target: string;
  'events/s': number;
  'batches/s': number;
  'p50 ms': number;
  'p99 ms': number;
  failures: number;
}

/** `BODIES` NDJSON bodies of `BATCH` distinct events each (distinct customers, so every partition is used). */
function bodies(tenant: string): string[] {
  return Array.from({ length: BODIES }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => {
      const n = b * BATCH + i;
      return JSON.stringify({
        type: 'InteractionReceived',
        data: {
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'phone', value: `+1415555${String(n % 10_000).padStart(4, '0')}` }],
          content: { text: 'Where is my order #4411? It was due yesterday.', media: [] },
          provider: { messageId: `conv-${b}/msg-${i}` },
          endpoint: '+14155550000',
        },
        metadata: { tenantId: tenant, occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms' },
      });
    }).join('\n'),
  );
}

/** Run `CONCURRENCY` loops of `send` for `SECONDS`; each call moves `BATCH` events. */
async function drive(target: string, send: (i: number) => Promise<boolean>): Promise<Row> {
  const latencies: number[] = [];
  let failures = 0;
  let n = 0;
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const t = process.hrtime.bigint();
        const ok = await send(n++);
        if (ok) latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        else failures++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  return {
    target,
    'events/s': Math.round((latencies.length * BATCH) / SECONDS),
    'batches/s': Math.round(latencies.length / SECONDS),
    'p50 ms': q(0.5),
    'p99 ms': q(0.99),
    failures,
  };
}

async function main(): Promise<void> {
  const namespace = freshId('bench-ndjson');
  const tenant = 'bench';
  const key = randomBytes(24).toString('base64url');
  const app = await startAppProcess(
    'ingest-api',
    {
      HUB_NAMESPACE: namespace,
      PORT: '0',
      INGEST_API_KEYS: `bench:${tenant}:${sha256Hex(key)}`,
      INGEST_RAW_ENABLED: 'false',
      INGEST_MAX_IN_FLIGHT: '100000',
      // Limits on (their cost is measured), out of reach of the one load generator.
      RATE_LIMIT_PER_ADDRESS: '100000000',
      RATE_LIMIT_PER_KEY: '100000000',
      INGEST_MAX_BATCH_EVENTS: String(Math.max(BATCH, 1_000)),
    },
    { logSuffix: '-bench' },
  );
  const topic = hubNames(namespace).topics.interactions;
  const texts = bodies(tenant);
  // The bare reference sends exactly what the app publishes: the same lines read the same way.
  const recordedAt = new Date().toISOString();
  const messages: Message[][] = texts.map((text) =>
    text.split('\n').map((line) => {
      const read = readInteraction(Buffer.from(line), {
        origin: { kind: 'api', source: 'bench', tenantId: tenant },
        recordedAt,
        maxEventBytes: 512 * 1024,
      });
      if (!read.ok) throw new Error(`bench event invalid: ${JSON.stringify(read.errors)}`);
      const m = interactionMessage(read.event, TEST_IDENTITY_NAMING.current);
      return { key: m.key, value: JSON.stringify(m.value), headers: m.headers };
    }),
  );
  const kafka = new Kafka({ clientId: 'bench-ndjson-bare', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const url = `${app.url}/v1/events`;
    const headers = { 'content-type': 'application/x-ndjson', authorization: `Bearer ${key}` };
    const viaApi = async (i: number) => {
      const res = await fetch(url, { method: 'POST', headers, body: texts[i % BODIES] });
      const body = (await res.json()) as { accepted?: number };
      return res.status === 200 && body.accepted === BATCH;
    };
    const bare = async (i: number) => {
      await producer.send({ topic, acks: -1, messages: messages[i % BODIES]! });
      return true;
    };
    await viaApi(0); // warm-up: connections, JIT
    await bare(0);
    const rows = [
      await drive(`ingest-api NDJSON (${BATCH}/request, ${CONCURRENCY} concurrent)`, viaApi),
      await drive(`bare kafkajs sendBatch (${BATCH}/send, ${CONCURRENCY} concurrent)`, bare),
    ];
    console.log(`\nbench/ingest-ndjson — ${SECONDS} s per row, ${new Date().toISOString()}`);
    console.table(rows);
    const [hub, ref] = rows as [Row, Row];
    console.log(
      `ingest-api: ${hub['events/s'].toLocaleString('en')} events/s through NDJSON batches of ${BATCH} (Kafka-acked) vs bare kafkajs ${ref['events/s'].toLocaleString('en')} events/s: ${((hub['events/s'] / ref['events/s']) * 100).toFixed(1)} %`,
    );
  } finally {
    await producer.disconnect();
    await app.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
