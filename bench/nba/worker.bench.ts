/*
 * Job throughput of the next-best-action worker beside a bare BullMQ worker, same Redis, same run.
 *
 *   node -r @swc-node/register bench/nba/worker.bench.ts   (BENCH_CUSTOMERS=1500 BENCH_BARE_JOBS=20000 BENCH_CONCURRENCY=8)
 *
 * 1. In a fresh database (hub_bench_nba_<time>, dropped at the end) it records BENCH_CUSTOMERS
 *    customers through the production stores (personal fields sealed), each a registration and ten
 *    events — messages, an order, a CSAT — ending with an inbound message the worker has to answer.
 * 2. Bare: a BullMQ `Worker` in this process whose processor does nothing, concurrency
 *    BENCH_CONCURRENCY, drains BENCH_BARE_JOBS jobs added beforehand.
 *    Bare with I/O (the reference the worker is held to): the same, but each job does the I/O of a
 *    decision, with none of its logic: read one customer's rows from `hub_events` (raw, not
 *    opened), insert one row of the decision's size into a table shaped like `hub_events`, produce
 *    one Kafka message through the hub's own publisher (idempotent, acks=all, group commit: what the
 *    decisions relay uses) and wait for the ack; one job per customer. Run once
 *    before and once after the real worker, interleaved with it, and averaged.
 * 3. Real: the nba-worker app as its own process (`startAppProcess`, as in production; outbound scan
 *    off) drains one `NbaDecideJob` per customer added beforehand to its queue: read the stream,
 *    fold, decide with the population tally, append the decision, schedule its no-response check;
 *    its relay publishes the decisions to Kafka meanwhile.
 * Both rates are jobs / (last finishedOn − first processedOn), from the jobs' own Redis timestamps,
 * so process start-up is not counted. Prints one line. About a minute on 2 cores.
 */
import { cpus } from 'node:os';
import { Client, Pool } from 'pg';
import { Queue, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { customerStream, deterministicId, hubNames, type EventMetadata } from '@hub/contracts';
import { foldCustomer, type CustomerEvent } from '@hub/customer';
import { createCustomerStores } from '@hub/customer-records';
import { KafkaEventPublisher } from '@hub/messaging';
import { freshId, startAppProcess, TEST_IDENTITY_NAMING } from '@hub/testing';

const CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? '1500');
const BARE_JOBS = Number(process.env['BENCH_BARE_JOBS'] ?? '20000');
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? '8');
/**
 * Extra NODE_OPTIONS for the worker process only. To profile it (Node refuses `--cpu-prof` there):
 * `BENCH_WORKER_NODE_OPTIONS="--require $PWD/bench/cpu-profile.cjs" CPU_PROFILE_DIR=/tmp/prof`.
 */
const WORKER_NODE_OPTIONS = process.env['BENCH_WORKER_NODE_OPTIONS'];
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const TENANT = 'bench';
const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSecond = (rate: number): string => Math.round(rate).toLocaleString('en-US');

/** The size of the row the bare worker with I/O inserts: a decision's budget (data + metadata, sealed). */
const DECISION_BYTES = Number(process.env['BENCH_DECISION_BYTES'] ?? '2048');

const TEXTS = [
  'where is my order?',
  'How do I reset my password?',
  'What are your opening hours?',
  'I want to update my address',
  'thanks',
  'call me back please',
  'hello',
];

function history(customerId: string, n: number): CustomerEvent[] {
  const base = Date.now() - 3 * 86_400_000 + n * 1_000;
  const meta = (name: string, offsetMs: number, channel: EventMetadata['channel'] = 'sms'): EventMetadata => {
    const eventId = deterministicId('bench-nba', customerId, name);
    const at = new Date(base + offsetMs).toISOString();
    return {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId: TENANT,
      channel,
    };
  };
  const phone = `+1415${String(1_000_000 + n).padStart(7, '0')}`;
  const message = (i: number, text: string, direction: 'inbound' | 'outbound', offsetMs: number): CustomerEvent => ({
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction,
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text, media: [] },
      provider: { name: 'twilio', messageId: `SM${n}-${i}` },
    },
    metadata: meta(`m${i}`, offsetMs),
  });
  const events: CustomerEvent[] = [
    {
      type: 'CustomerRegistered',
      data: { customerId, tenantId: TENANT, identity: { kind: 'phone', value: phone } },
      metadata: meta('reg', 0),
    },
  ];
  for (let i = 0; i < 6; i++)
    events.push(
      message(i, i % 2 ? 'Thanks, we are on it.' : TEXTS[(n + i) % TEXTS.length]!, i % 2 ? 'outbound' : 'inbound', (i + 1) * 3_600_000),
    );
  events.push({
    type: 'OrderPlaced',
    data: { orderId: `A-${n}`, amount: 1_000 + (n % 50) * 100, currency: 'EUR' },
    metadata: meta('order', 8 * 3_600_000, 'system'),
  });
  events.push({ type: 'SurveyAnswered', data: { survey: 'csat', score: 1 + (n % 5) }, metadata: meta('csat', 9 * 3_600_000, 'system') });
  events.push(message(9, 'Thanks, we are on it.', 'outbound', 10 * 3_600_000));
  events.push(message(10, TEXTS[n % TEXTS.length]!, 'inbound', 2 * 86_400_000 + n));
  return events;
}

async function drainRate(queue: Queue, expected: number, timeoutMs: number): Promise<{ rate: number; seconds: number; failed: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    if ((counts['completed'] ?? 0) + (counts['failed'] ?? 0) >= expected) break;
    if (Date.now() > deadline) throw new Error(`${queue.name}: ${JSON.stringify(counts)} of ${expected} after ${timeoutMs} ms`);
    await sleep(100);
  }
  let first = Infinity;
  let last = 0;
  let failed = 0;
  for (let start = 0; start < expected; start += 1000) {
    const jobs: Job[] = await queue.getJobs(['completed', 'failed'], start, start + 999);
    for (const j of jobs) {
      first = Math.min(first, j.processedOn ?? Infinity);
      last = Math.max(last, j.finishedOn ?? 0);
      if (j.failedReason) failed++;
    }
  }
  const seconds = (last - first) / 1000;
  return { rate: expected / seconds, seconds, failed };
}

/** The bare worker with a decision's I/O: read the customer's rows, insert one row, produce one Kafka message. */
async function bareWithIo(
  ctx: {
    redis: IORedis;
    pool: Pool;
    producer: KafkaEventPublisher;
    topic: string;
    namespace: string;
    ids: readonly string[];
    queues: Queue[];
  },
  round: number,
): Promise<{ rate: number; seconds: number }> {
  const name = `${ctx.namespace}-bare-io-${round}`;
  const queue = new Queue(name, { connection: ctx.redis });
  ctx.queues.push(queue);
  for (let i = 0; i < ctx.ids.length; i += 1000) {
    await queue.addBulk(ctx.ids.slice(i, i + 1000).map((customerId) => ({ name: 'BareIo', data: { customerId } })));
  }
  // A decision-sized row: what a decision appends (its data and metadata), as text of the same length.
  const row = {
    data: JSON.stringify({ pad: 'x'.repeat(DECISION_BYTES) }),
    metadata: JSON.stringify({ correlationId: 'bench', schemaVersion: 3, tenantId: TENANT }),
  };
  const connection = ctx.redis.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker(
    name,
    async (job: Job<{ customerId: string }>) => {
      const stream = customerStream(TENANT, job.data.customerId);
      const rows = await ctx.pool.query(
        'select stream_revision, event_id, event_type, data, metadata from hub_events where stream_name = $1 order by stream_revision',
        [stream],
      );
      const eventId = deterministicId('bench-bare-io', String(round), job.data.customerId);
      const insert =
        'insert into bench_bare_events (stream_name, stream_revision, event_id, event_type, data, metadata) values ($1, $2, $3, $4, $5, $6)';
      await ctx.pool.query(insert, [stream, round * 1000 + rows.rowCount!, eventId, 'NextBestActionDecided', row.data, row.metadata]);
      await ctx.producer.publish(ctx.topic, [{ key: job.data.customerId, value: { eventId, customerId: job.data.customerId, stream } }]);
    },
    { connection, concurrency: CONCURRENCY },
  );
  const rate = await drainRate(queue, ctx.ids.length, 120_000);
  await worker.close();
  connection.disconnect();
  log(
    `bare BullMQ with a decision's I/O (round ${round}): ${Math.round(rate.rate)} jobs/s (${ctx.ids.length} in ${rate.seconds.toFixed(1)} s)`,
  );
  return rate;
}

async function main(): Promise<void> {
  const dbName = `hub_bench_nba_${Date.now()}`;
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const databaseUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).href;
  const namespace = freshId('bench-nba').toLowerCase();
  const names = hubNames(namespace);
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const pool = new Pool({ connectionString: databaseUrl, max: 8 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  const queues: Queue[] = [];
  const kafka = new Kafka({ clientId: 'bench-nba-worker', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = new KafkaEventPublisher(kafka);
  const kafkaAdmin = kafka.admin();
  let app: Awaited<ReturnType<typeof startAppProcess>> | undefined;
  try {
    // 1. Customers, 8 appends in flight.
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const ids = Array.from({ length: CUSTOMERS }, (_, n) => `c-${n}`);
    const started = Date.now();
    for (let i = 0; i < ids.length; i += 8)
      await Promise.all(ids.slice(i, i + 8).map((id, k) => stores.customers.append(TENANT, id, history(id, i + k))));
    log(`${CUSTOMERS} customers × 11 events recorded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // 2. Bare BullMQ.
    const bareQueue = new Queue(`${namespace}-bare`, { connection: redis });
    queues.push(bareQueue);
    for (let i = 0; i < BARE_JOBS; i += 1000)
      await bareQueue.addBulk(Array.from({ length: Math.min(1000, BARE_JOBS - i) }, (_, k) => ({ name: 'Bare', data: { n: i + k } })));
    const bareConnection = redis.duplicate({ maxRetriesPerRequest: null });
    const bare = new Worker(`${namespace}-bare`, async () => undefined, { connection: bareConnection, concurrency: CONCURRENCY });
    const bareRate = await drainRate(bareQueue, BARE_JOBS, 120_000);
    await bare.close();
    bareConnection.disconnect();
    log(`bare BullMQ: ${Math.round(bareRate.rate)} jobs/s (${BARE_JOBS} in ${bareRate.seconds.toFixed(1)} s)`);

    // 2b. Bare with a decision's I/O, round 1 (round 2 follows the real worker).
    await pool.query('create table bench_bare_events (like hub_events including defaults including indexes)');
    const topic = `${namespace}.bare-io`;
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
    await producer.start();
    const io = { redis, pool, producer, topic, namespace, ids, queues };
    const bareIo1 = await bareWithIo(io, 1);

    // 3. The real worker, its queue filled first.
    const decide = new Queue(names.queues.nbaDecide, { connection: redis });
    queues.push(decide, new Queue(names.queues.nbaFollowUp, { connection: redis }));
    for (let i = 0; i < ids.length; i += 1000) {
      await decide.addBulk(
        ids.slice(i, i + 1000).map((customerId) => ({
          name: 'NbaDecideJob',
          data: {
            trigger: 'realtime',
            tenantId: TENANT,
            customerId,
            triggerEventId: deterministicId('bench-nba', customerId, 'm10'),
            correlationId: `bench-${customerId}`,
          },
          opts: { attempts: 8, backoff: { type: 'exponential', delay: 200 } },
        })),
      );
    }
    app = await startAppProcess(
      'nba-worker',
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        KAFKA_BROKERS,
        HUB_NAMESPACE: namespace,
        NBA_CONCURRENCY: String(CONCURRENCY),
        NBA_OUTBOUND_EVERY_MS: '0',
        // The queue is filled above; the boot reconciliation would add one more job per customer.
        NBA_RECONCILE_AT_START: 'off',
        LOG_LEVEL: 'info',
        ...(WORKER_NODE_OPTIONS ? { NODE_OPTIONS: WORKER_NODE_OPTIONS } : {}),
      },
      { logSuffix: `-${namespace}` },
    );
    const real = await drainRate(decide, CUSTOMERS, 120_000);
    await app.stop();
    app = undefined;
    const bareIo2 = await bareWithIo(io, 2);
    const bareIoRate = (bareIo1.rate + bareIo2.rate) / 2;

    // 4. Reference: what loading those customers costs (read the stream, open sealed fields, fold), same concurrency.
    const loadStarted = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) foldCustomer((await stores.customers.history(TENANT, ids[next++]!)).events);
      }),
    );
    const loadRate = CUSTOMERS / (Number(process.hrtime.bigint() - loadStarted) / 1e9);
    log(`read+fold in this process: ${Math.round(loadRate)} customers/s`);

    const decided = await pool.query<{ n: number; kib: number }>(
      `select count(*)::int as n, avg(length(data::text) + length(metadata::text))::float / 1024 as kib from hub_events where event_type = 'NextBestActionDecided'`,
    );
    const actions = await pool.query<{ code: string; n: number }>(
      `select data->'action'->>'code' as code, count(*)::int as n from hub_events where event_type = 'NextBestActionDecided' group by 1 order by 2 desc`,
    );
    log(
      `nba-worker: ${Math.round(real.rate)} jobs/s (${CUSTOMERS} in ${real.seconds.toFixed(1)} s), ${decided.rows[0]!.n} decisions, ${real.failed} failed; ${actions.rows.map((r) => `${r.code} ${r.n}`).join(', ')}`,
    );
    console.log(
      `nba-worker: ${perSecond(real.rate)} decide jobs/s vs bare BullMQ with a decision's I/O ${perSecond(bareIoRate)} jobs/s ` +
        `(${(real.rate / bareIoRate).toFixed(2)}× of it; rounds ${Math.round(bareIo1.rate)} and ${Math.round(bareIo2.rate)}) ` +
        `and empty ${perSecond(bareRate.rate)} jobs/s, on the same Redis ` +
        `(concurrency ${CONCURRENCY} each); bare read+fold of the same customers ${Math.round(loadRate).toLocaleString('en-US')}/s; ` +
        `${CUSTOMERS} customers × 12 events (after the decision), sealed store; ${decided.rows[0]!.n} decisions of ${decided.rows[0]!.kib.toFixed(1)} KiB avg, ${real.failed} failed jobs; ` +
        `${cpus().length} cores, node ${process.version}, ${new Date().toISOString()}`,
    );
  } finally {
    await app?.stop();
    for (const q of queues) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    redis.disconnect();
    await producer.close().catch(() => undefined);
    await kafkaAdmin.deleteTopics({ topics: [`${namespace}.bare-io`] }).catch(() => undefined);
    await kafkaAdmin.disconnect().catch(() => undefined);
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
