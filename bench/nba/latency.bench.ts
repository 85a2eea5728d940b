/*
 * Webhook-to-decision latency at a fixed rate, through the real apps.
 *
 *   node -r @swc-node/register bench/nba/latency.bench.ts [--rate 20] [--seconds 20] [--debounce 250]
 *
 * ingest-sms, timeline-projector and nba-worker run as their own processes (`startAppProcess`) on
 * a fresh database (hub_bench_nbalat_<time>, dropped at the end) and a fresh namespace. Signed
 * Twilio webhooks — "What are your opening hours?", each from a new phone number, so each is a new
 * customer — are posted open-loop at `--rate` per second for `--seconds`. For each one it notes
 * when the webhook was sent, when ingest-sms answered 202, when the interaction came out of the
 * store on `hub.customer-events.v1` (ingest → Kafka → projector → store → relay: the reference
 * path, in the same run), and when its decision arrived on `hub.nba-decisions.v1` (+ the worker's
 * debounce, decision, append and outbox). Prints p50 / p99 / max of each, from the send.
 * `--debounce` is the worker's NBA_DEBOUNCE_MS (production default 250 ms).
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { hubNames, type CustomerEventMessage } from '@hub/contracts';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';
import { freshId, startAppProcess, type AppProcess } from '@hub/testing';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '20' },
    debounce: { type: 'string', default: '250' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const DEBOUNCE_MS = Number(args.debounce);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  sentAt: number;
  acceptedAt?: number;
  recordedAt?: number;
  decidedAt?: number;
}

function quantiles(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return `p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

async function follow(kafka: Kafka, topic: string, onMessage: (value: unknown) => void): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: freshId('bench-nbalat'), maxWaitTimeInMs: 50 });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => onMessage(JSON.parse(message.value!.toString())) });
  await joined;
  return consumer;
}

async function main(): Promise<void> {
  const dbName = `hub_bench_nbalat_${Date.now()}`;
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const namespace = freshId('bench-nbalat').toLowerCase();
  const names = hubNames(namespace);
  const authToken = randomBytes(16).toString('hex');
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const env = {
    DATABASE_URL: Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).href,
    REDIS_URL,
    KAFKA_BROKERS: BROKERS.join(','),
    HUB_NAMESPACE: namespace,
    TENANT_ID: 'bench',
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_ACCOUNT_SID: accountSid,
    PORT: '0',
    LOG_LEVEL: 'info',
    NBA_DEBOUNCE_MS: String(DEBOUNCE_MS),
    NBA_OUTBOUND_EVERY_MS: '0',
  };
  const apps: AppProcess[] = [];
  const consumers: Consumer[] = [];
  try {
    apps.push(await startAppProcess('timeline-projector', env, { logSuffix: `-${namespace}` }));
    apps.push(await startAppProcess('nba-worker', env, { logSuffix: `-${namespace}` }));
    const ingest = await startAppProcess('ingest-sms', env, { logSuffix: `-${namespace}` });
    apps.push(ingest);
    const webhookUrl = `${ingest.url!}/webhooks/twilio`;

    const byEvent = new Map<string, Sample>();
    const early = new Map<string, { recordedAt?: number; decidedAt?: number }>();
    const note = (eventId: string, field: 'recordedAt' | 'decidedAt') => {
      const at = performance.now();
      const s = byEvent.get(eventId);
      if (s) s[field] ??= at;
      else early.set(eventId, { ...early.get(eventId), [field]: at });
    };
    const kafka = new Kafka({ clientId: freshId('bench-nbalat'), brokers: BROKERS, logLevel: logLevel.NOTHING });
    consumers.push(
      await follow(kafka, names.topics.customerEvents, (v) => {
        const m = v as CustomerEventMessage;
        if (m.type === 'InteractionRecorded') note(m.metadata.eventId, 'recordedAt');
      }),
    );
    consumers.push(
      await follow(kafka, names.topics.nbaDecisions, (v) => note((v as { basedOnEventId: string }).basedOnEventId, 'decidedAt')),
    );
    log(`apps up; sending ${RATE}/s for ${SECONDS} s (debounce ${DEBOUNCE_MS} ms)`);

    // Warm-up: a few webhooks, not measured (JIT, connections, first partition assignments).
    const post = async (n: number) => {
      const params = twilioSmsParams({
        from: `+1415${String(2_000_000 + n).padStart(7, '0')}`,
        to: '+14155550000',
        body: 'What are your opening hours?',
        accountSid,
        seed: `${namespace}-${n}`,
      });
      const signed = signedTwilioRequest({ authToken, url: webhookUrl, params });
      const sentAt = performance.now();
      const res = await fetch(webhookUrl, { method: 'POST', headers: signed.headers, body: signed.body });
      const body = (await res.json()) as { eventIds?: string[] };
      return { sentAt, acceptedAt: performance.now(), status: res.status, eventId: body.eventIds?.[0] };
    };
    for (let n = 0; n < 5; n++) await post(1_000_000 + n);
    await sleep(2_000);

    const total = Math.round(RATE * SECONDS);
    const started = performance.now();
    let rejected = 0;
    const sends: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sends.push(
        post(n).then((r) => {
          if (r.status !== 202 || !r.eventId) {
            rejected++;
            return;
          }
          const sample: Sample = { sentAt: r.sentAt, acceptedAt: r.acceptedAt, ...early.get(r.eventId) };
          early.delete(r.eventId);
          byEvent.set(r.eventId, sample);
        }),
      );
    }
    await Promise.all(sends);
    const deadline = performance.now() + 30_000;
    while ([...byEvent.values()].some((s) => s.decidedAt === undefined) && performance.now() < deadline) await sleep(100);

    const samples = [...byEvent.values()];
    const of = (f: keyof Sample) => samples.filter((s) => s[f] !== undefined).map((s) => s[f]! - s.sentAt);
    const decided = of('decidedAt');
    log(`202: ${quantiles(of('acceptedAt'))}`);
    log(`recorded (on hub.customer-events.v1): ${quantiles(of('recordedAt'))}`);
    log(`decided (on hub.nba-decisions.v1): ${quantiles(decided)}`);
    console.log(
      `nba webhook-to-decision at ${RATE}/s for ${SECONDS} s (${total} webhooks, ${rejected} rejected, ${decided.length} decided; debounce ${DEBOUNCE_MS} ms): ` +
        `decision on the topic ${quantiles(decided)}; interaction out of the store ${quantiles(of('recordedAt'))}; 202 ${quantiles(of('acceptedAt'))}; ` +
        `${cpus().length} cores, node ${process.version}, ${new Date().toISOString()}`,
    );
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await Promise.all(apps.map((a) => a.stop()));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
