/*
 * Recording throughput: canonical interactions from Kafka into customer streams, by the real
 * timeline-projector process, beside a bare kafkajs consumer writing the same messages to
 * PostgreSQL with multi-row inserts, in the same run.
 *
 *   node -r @swc-node/register bench/record/record.bench.ts [--interactions 20000] [--customers 4000] [--new 0.3]
 *
 * 1. Fresh database (hub_bench_record_<time>, dropped at the end), fresh namespace. It produces
 *    `--interactions` canonical SMS interactions to `hub.interactions.v1` (6 partitions, keyed as the
 *    ingestion apps key them) before anything consumes: `--customers` distinct phone numbers that each
 *    write several times (so most interactions are a returning customer's) and a `--new` share of
 *    one-off numbers (a first contact: a new claim and a registration), shuffled, bursts included.
 * 2. Bare: one kafkajs consumer (eachBatch, 3 partitions at once) inserting each batch into a plain
 *    table with one multi-row insert, committing after it. The floor of "Kafka into PostgreSQL".
 * 3. Hub: the timeline-projector app as its own process (`startAppProcess`, production settings)
 *    records the same topic into customer streams: claims resolved, personal fields sealed,
 *    idempotent appends. Its projection and relay run in the same process meanwhile, as in production.
 * Both rates are interactions / (last row's created_at − first row's), from the database's own clock,
 * so start-up and group joins are not counted. Prints one line.
 *
 * BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of the recorder process there (through the preload
 * bench/cpu-profile.cjs; open it in Chrome's DevTools).
 *
 * Before/after a change: run this file from a checkout of the older commit too (copy it there), on
 * the same machine, one after the other; the bare figure of each run says how loaded the machine was.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'pg';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { deterministicId, hubNames, identityKey, type InteractionReceived } from '@hub/contracts';
import { ensureTopics, hubTopicSpecs } from '@hub/messaging';
import { mulberry32 } from '@hub/nba';
import { freshId, startAppProcess, TEST_IDENTITY_NAMING, type AppProcess } from '@hub/testing';

const { values: args } = parseArgs({
  options: {
    interactions: { type: 'string', default: '20000' },
    customers: { type: 'string', default: '4000' },
    new: { type: 'string', default: '0.3' },
  },
});
const TOTAL = Number(args.interactions);
const CUSTOMERS = Number(args.customers);
const NEW_SHARE = Number(args.new);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const TENANT = 'bench';
const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function interactions(namespace: string): InteractionReceived[] {
  const random = mulberry32(42); // a deterministic mix, so runs compare
  const phones: string[] = [];
  const newCount = Math.round(TOTAL * NEW_SHARE);
  for (let i = 0; i < TOTAL - newCount; i++) phones.push(`+1415${String(1_000_000 + Math.floor(random() * CUSTOMERS)).padStart(7, '0')}`);
  for (let i = 0; i < newCount; i++) phones.push(`+1628${String(1_000_000 + i).padStart(7, '0')}`);
  for (let i = phones.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [phones[i], phones[j]] = [phones[j]!, phones[i]!];
  }
  // Bursts: every 200th interaction is followed by nine more from the same number.
  for (let i = 0; i + 10 < phones.length; i += 200) for (let k = 1; k < 10; k++) phones[i + k] = phones[i]!;
  const base = Date.parse('2026-12-06T08:00:00.000Z');
  return phones.map((phone, n) => {
    const eventId = deterministicId('bench-record', namespace, String(n));
    const at = new Date(base + n * 10).toISOString();
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'phone', value: phone }],
        content: { text: 'Where is my order?', media: [] },
        provider: { name: 'twilio', messageId: `SM${eventId.replace(/-/g, '')}` },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: at,
        recordedAt: at,
        schemaVersion: 1,
        tenantId: TENANT,
        channel: 'sms',
      },
    } satisfies InteractionReceived;
  });
}

async function produce(producer: Producer, topic: string, events: readonly InteractionReceived[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1_000) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 1_000).map((e) => ({
        key: identityKey(TEST_IDENTITY_NAMING.current, TENANT, 'phone', e.data.identities[0]!.value),
        value: JSON.stringify(e),
      })),
    });
  }
}

/** Interactions per second between the first and the last row's `created_at`, once `count` rows are there. */
async function rateOnceDone(
  pool: Pool,
  countSql: string,
  spanSql: string,
  timeoutMs: number,
): Promise<{ rate: number; seconds: number; done: number }> {
  const deadline = Date.now() + timeoutMs;
  let done = 0;
  while (Date.now() < deadline) {
    done = Number((await pool.query<{ n: string }>(countSql)).rows[0]!.n);
    if (done >= TOTAL) break;
    await sleep(250);
  }
  const span = (await pool.query<{ s: number }>(spanSql)).rows[0]!.s;
  return { rate: done / Math.max(span, 0.001), seconds: span, done };
}

async function main(): Promise<void> {
  const dbName = `hub_bench_record_${Date.now()}`;
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const databaseUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).href;
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  // An idle connection closed by the server (a restart, another run's cleanup) must not end the run.
  pool.on('error', (err) => log(`bench pool: ${err.message}`));
  const namespace = freshId('bench-record').toLowerCase();
  const names = hubNames(namespace);
  const kafka = new Kafka({ clientId: namespace, brokers: BROKERS, logLevel: logLevel.NOTHING });
  let app: AppProcess | undefined;
  const consumer = kafka.consumer({ groupId: `${namespace}-bare`, maxWaitTimeInMs: 100 });
  try {
    await ensureTopics(kafka, hubTopicSpecs(names));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const events = interactions(namespace);
    log(`producing ${TOTAL} interactions (${CUSTOMERS} returning numbers, ${Math.round(NEW_SHARE * 100)} % first contacts)`);
    await produce(producer, names.topics.interactions, events);
    await producer.disconnect();

    // Bare: the same messages, multi-row inserts, commit after each batch.
    await pool.query(
      `create table bare_interactions (event_id uuid primary key, stream text not null, body jsonb not null, created_at timestamptz not null default clock_timestamp())`,
    );
    await consumer.connect();
    await consumer.subscribe({ topic: names.topics.interactions, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        const rows = batch.messages.map((m) => JSON.parse(m.value!.toString()) as InteractionReceived);
        await pool.query(
          `insert into bare_interactions (event_id, stream, body) select * from unnest($1::uuid[], $2::text[], $3::jsonb[]) on conflict do nothing`,
          [
            rows.map((r) => r.metadata.eventId),
            rows.map((r) => `customer-${TENANT}.${r.data.identities[0]!.value}`),
            rows.map((r) => JSON.stringify(r)),
          ],
        );
      },
    });
    const bare = await rateOnceDone(
      pool,
      'select count(*)::text as n from bare_interactions',
      'select extract(epoch from max(created_at) - min(created_at))::float8 as s from bare_interactions',
      300_000,
    );
    await consumer.disconnect();
    log(`bare consumer: ${bare.rate.toFixed(0)} interactions/s (${bare.done} in ${bare.seconds.toFixed(1)} s)`);

    // Hub: the real recorder. WAL written meanwhile (the whole cluster's: keep the machine otherwise quiet to read it).
    const walBefore = (await pool.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
    app = await startAppProcess(
      'timeline-projector',
      {
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: BROKERS.join(','),
        HUB_NAMESPACE: namespace,
        LOG_LEVEL: 'info',
        // BENCH_PROFILE_DIR=dir: a V8 CPU profile of the recorder process, for where its time goes.
        ...(process.env['BENCH_PROFILE_DIR']
          ? { NODE_OPTIONS: `--require ${join(__dirname, '..', 'cpu-profile.cjs')}`, CPU_PROFILE_DIR: process.env['BENCH_PROFILE_DIR'] }
          : {}),
      },
      { logSuffix: `-${namespace}` },
    );
    const hub = await rateOnceDone(
      pool,
      `select count(*)::text as n from hub_events where event_type = 'InteractionRecorded'`,
      `select extract(epoch from max(created_at) - min(created_at))::float8 as s from hub_events where event_type = 'InteractionRecorded'`,
      600_000,
    );
    const walBytes = Number(
      (await pool.query<{ b: string }>('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text as b', [walBefore])).rows[0]!.b,
    );
    const customers = Number(
      (await pool.query<{ n: string }>(`select count(*)::text as n from hub_events where event_type = 'CustomerRegistered'`)).rows[0]!.n,
    );
    log(`hub recorder: ${hub.rate.toFixed(0)} interactions/s (${hub.done} in ${hub.seconds.toFixed(1)} s, ${customers} customers)`);
    console.log(
      `record ${TOTAL} interactions (${customers} customers): hub recorder ${hub.rate.toFixed(0)}/s, bare kafkajs → multi-row insert ${bare.rate.toFixed(0)}/s, ` +
        `ratio ${(hub.rate / bare.rate).toFixed(3)}${hub.done < TOTAL ? ` (only ${hub.done} recorded in time)` : ''}; ` +
        `WAL ${(walBytes / Math.max(1, hub.done) / 1024).toFixed(1)} KiB per interaction (recording, projection and relay checkpoints); ${cpus().length} cores, node ${process.version}, ${new Date().toISOString()}`,
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await app?.stop();
    await pool.end();
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
