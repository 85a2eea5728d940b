import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Pool, type PoolClient } from 'pg';
import { hubNames, type CustomerEventMessage } from '@hub/contracts';
import type { NextBestActionDecided } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess, TEST_IDENTITY_NAMING } from '@hub/testing';
import { decisionRelayId } from './nba-decision.relay';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';

/**
 * The worker as its own process, killed with SIGKILL while a decide job is running: BullMQ's
 * stalled-job check hands the job to another worker, and the customer still gets exactly one
 * decision — one stored event, one message on the decisions topic. The job is held mid-way without
 * any test hook: the test locks `hub_events` (SHARE mode, in a database of its own), so the job's
 * append waits until the test lets it go.
 */
jest.setTimeout(120_000);

const infra = testInfra();
const namespace = freshId('nbak').toLowerCase();
const names = hubNames(namespace);
let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let stores: CustomerStores;
let redis: IORedis;
let decide: Queue<NbaDecideJobData>;
const running: AppProcess[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  db = await freshDatabase('nba_faults');
  pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  decide = new Queue<NbaDecideJobData>(names.queues.nbaDecide, { connection: redis });
  env = {
    DATABASE_URL: db.url,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HUB_NAMESPACE: namespace,
    LOG_LEVEL: 'info',
    NBA_DEBOUNCE_MS: '0',
    NBA_LOCK_DURATION_MS: '1500',
    NBA_STALLED_INTERVAL_MS: '500',
    NBA_NO_RESPONSE_AFTER_MS: '1500',
    NBA_SURVEY_DELAY_MS: '500',
    NBA_OUTBOUND_EVERY_MS: '0',
    NBA_DECISIONS_RELAY_START: 'beginning',
  };
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  await decide?.obliterate({ force: true });
  await decide?.close();
  const followUps = new Queue(names.queues.nbaFollowUp, { connection: redis });
  await followUps.obliterate({ force: true });
  await followUps.close();
  redis?.disconnect();
  await pool?.end();
  await db?.drop();
});

const start = async (suffix: string): Promise<AppProcess> => {
  const app = await startAppProcess('nba-worker', env, { logSuffix: `-${namespace}-${suffix}` });
  running.push(app);
  return app;
};

async function decisionsOnTopic(): Promise<number> {
  const admin = new Kafka({ clientId: freshId('faults-admin'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(names.topics.nbaDecisions)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

const storedDecisions = async (c: CustomerStream) =>
  (await stores.customers.history(c.tenantId, c.customerId)).events.filter(
    (e): e is NextBestActionDecided => e.type === 'NextBestActionDecided',
  );

describe('the nba-worker under faults', () => {
  describe('when the worker running a decide job is killed with SIGKILL', () => {
    it('another worker re-runs the job: one decision stored, one message on the decisions topic, then its no-response outcome', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      // Appended after the boot: a trigger already in the store at boot would be decided by the
      // start-up reconciliation (nba-reconcile.ts) before the test's job. Worker b's boot does
      // enqueue it again (no decision yet): still one decision.
      const first = await start('a');
      await stores.customers.append(c.tenantId, c.customerId, [c.message('m1', new Date().toISOString(), 'How do I reset my password?')]);

      // Hold every append: the job will read, decide and then wait on the lock.
      const holder: PoolClient = await pool.connect();
      await holder.query('begin');
      await holder.query('lock table hub_events in share mode');
      const job = await decide.add(
        NbaDecideJob.jobName,
        { trigger: 'realtime', tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr-kill' },
        { attempts: 5 },
      );
      await eventually(
        async () => {
          const r = await pool.query(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          );
          return (r.rows[0] as { n: number }).n > 0 && (await job.getState()) === 'active' ? true : undefined;
        },
        { what: 'the decide job waiting on its append' },
      );
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));

      await start('b');
      await holder.query('rollback');
      holder.release();

      const finished = await eventually(async () => ((await decide.getJob(job.id!))?.finishedOn ? decide.getJob(job.id!) : undefined), {
        what: 'the job re-run to completion',
      });
      expect(await finished!.getState()).toBe('completed');
      expect(finished!.returnvalue).toEqual(expect.objectContaining({ kind: expect.stringMatching(/^(decided|already_decided)$/) }));

      const [decision, ...more] = await storedDecisions(c);
      expect(more).toEqual([]);
      expect(decision!.data.action.code).toBe('kb_password_reset');

      // Once the relay's checkpoint is past the decision, the topic holds all it will ever hold for it.
      const stored = (await stores.raw.readStream(`customer-${c.tenantId}.${c.customerId}`)).find(
        (e) => e.eventId === decision!.data.decisionId,
      )!;
      await eventually(
        async () => {
          const r = await pool.query<{ position: string }>('select position from hub_checkpoints where subscription_id = $1', [
            decisionRelayId(names.topics.nbaDecisions),
          ]);
          return r.rows[0] && BigInt(r.rows[0].position) >= stored.globalPosition ? true : undefined;
        },
        { what: 'the relay checkpoint past the decision' },
      );
      expect(await decisionsOnTopic()).toBe(1);

      // No outcome came: the delayed job records no_response.
      const outcome = await eventually(
        async () => (await stores.customers.history(c.tenantId, c.customerId)).events.find((e) => e.type === 'NbaOutcomeRecorded'),
        { what: 'the no-response outcome' },
      );
      expect(outcome.type === 'NbaOutcomeRecorded' && outcome.data).toEqual(
        expect.objectContaining({ decisionId: decision!.data.decisionId, outcome: 'no_response', source: 'timeout' }),
      );
    });
  });

  describe('when a conversation is resolved and the customer stays silent', () => {
    it('the survey follow-up is decided after the configured delay, and goes to the senders', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const at = new Date(Date.now() - 60_000).toISOString();
      const resolved = c.resolved('r1', new Date().toISOString());
      // Noon where the customer lives, whenever the test runs: the survey is a proactive contact (quiet hours apply).
      const offset = ((12 - new Date().getUTCHours() + 36) % 24) - 12;
      const timezone = offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
      await stores.customers.append(c.tenantId, c.customerId, [
        c.traits('t1', at, { timezone }),
        c.message('m1', at, 'my parcel never came'),
        resolved,
      ]);
      // What the projector's relay would publish for the resolution.
      const producer = new Kafka({
        clientId: freshId('faults-producer'),
        brokers: infra.kafkaBrokers,
        logLevel: logLevel.NOTHING,
      }).producer();
      await producer.connect();
      const value: CustomerEventMessage = {
        type: resolved.type,
        tenantId: c.tenantId,
        customerId: c.customerId,
        streamRevision: '1',
        globalPosition: '0',
        data: resolved.data,
        metadata: resolved.metadata,
      };
      await producer.send({ topic: names.topics.customerEvents, messages: [{ key: c.customerId, value: JSON.stringify(value) }] });
      await producer.disconnect();

      const decision = await eventually(async () => (await storedDecisions(c))[0], { what: 'the survey decision' });
      expect(decision.data).toEqual(
        expect.objectContaining({ basedOnEventId: c.id('r1'), action: expect.objectContaining({ code: 'csat_survey' }) }),
      );
    });
  });
});
