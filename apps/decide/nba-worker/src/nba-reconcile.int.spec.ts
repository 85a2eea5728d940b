import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { customerStream, nbaJobKey } from '@hub/contracts';
import { CustomerRepository } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { eventually, freshId, testInfra, ThrowawayRedis } from '@hub/testing';
import { surveyJobKey } from './customer-event.handler';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { reenqueuePendingDecisions, rescheduleNoResponseChecks } from './nba-reconcile';
import { BullNbaFollowUps, noResponseJobId } from './bullmq.nba-follow-ups';
import { NbaNoResponseJob, type NbaNoResponseJobData } from './nba-no-response.job';
import { RecordingFollowUps } from './testing/recording-follow-ups';
import { CustomerStream } from './testing/customer-stream';

/**
 * Issue #15: Redis restarted without persistence loses the pending decide jobs (their Kafka offsets
 * are committed). Against a redis-server of the test's own, killed with SIGKILL and restarted empty:
 * the start-up reconciliation finds the customers whose last trigger has no decision and enqueues
 * their jobs again, and each gets its decision exactly once.
 */
jest.setTimeout(60_000);

const infra = testInfra();
const tenantId = freshId('rec');
const queueName = freshId('nba-decide-rec');
let pool: Pool;
let store: PostgresEventStore;
let customers: CustomerRepository;
let redis: ThrowawayRedis;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 6 });
  store = await PostgresEventStore.create({ pool });
  customers = new CustomerRepository(store);
  redis = await ThrowawayRedis.start(['--save', '', '--appendonly', 'no']);
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.stop();
  await pool?.end();
});

function queueOn(url: string): Queue<NbaDecideJobData> {
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = new Queue<NbaDecideJobData>(queueName, { connection });
  closers.push(async () => {
    await queue.close();
    connection.disconnect();
  });
  return queue;
}

async function decisionsOf(c: CustomerStream): Promise<string[]> {
  const events = await store.readStream(customerStream(c.tenantId, c.customerId));
  return events.filter((e) => e.type === 'NextBestActionDecided').map((e) => (e.data as { basedOnEventId: string }).basedOnEventId);
}

it('re-enqueues the decide jobs a Redis restart lost, and each pending trigger is decided exactly once', async () => {
  const at = '2026-11-23T09:00:00.000Z';
  const [a, b, decided, resolved] = ['a', 'b', 'decided', 'resolved'].map((n) => new CustomerStream(tenantId, freshId(`c-${n}`)));
  for (const c of [a!, b!, decided!, resolved!])
    await customers.append(tenantId, c.customerId, [c.registered(at), c.message('m1', at, 'Where is my parcel?')]);
  const job = new NbaDecideJob(customers);
  // Already answered before the loss: not pending.
  await job.run({ tenantId, customerId: decided!.customerId, triggerEventId: decided!.id('m1'), correlationId: 'x' }, new Date(at));
  await job.run({ tenantId, customerId: resolved!.customerId, triggerEventId: resolved!.id('m1'), correlationId: 'x' }, new Date(at));
  await customers.append(tenantId, resolved!.customerId, [resolved!.resolved('r1', '2026-11-23T09:05:00.000Z')]);

  // The jobs the consumer had put in Redis (offsets committed), still pending when Redis dies.
  const before = queueOn(redis.url);
  for (const c of [a!, b!]) {
    await before.add(
      NbaDecideJob.jobName,
      { trigger: 'realtime', tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: c.id('m1') },
      { delay: 600_000, deduplication: { id: nbaJobKey(tenantId, c.customerId) } },
    );
  }
  await before.add(
    NbaDecideJob.jobName,
    { trigger: 'survey-follow-up', tenantId, customerId: resolved!.customerId, triggerEventId: resolved!.id('r1'), correlationId: 'x' },
    { delay: 600_000, deduplication: { id: surveyJobKey(tenantId, resolved!.customerId) } },
  );
  expect(await before.count()).toBe(3);

  await redis.kill();
  await redis.restart();
  const decide = queueOn(redis.url);
  expect(await decide.count()).toBe(0);

  const first = await reenqueuePendingDecisions(store, decide, { tenants: [tenantId], surveyDelayMs: 0 });
  expect(first).toEqual({ pending: 3, realtime: 3, surveyFollowUps: 1 });
  // Run again (a second worker booting): the deduplication ids keep one job per customer and kind.
  await reenqueuePendingDecisions(store, decide, { tenants: [tenantId], surveyDelayMs: 0 });
  expect(await decide.count()).toBe(4);

  const connection = new IORedis(redis.url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const worker = new Worker<NbaDecideJobData>(queueName, (j) => job.run(j.data, new Date()), { connection, concurrency: 2 });
  closers.push(async () => {
    await worker.close();
    connection.disconnect();
  });
  await eventually(async () => ((await decide.getJobCounts('completed')).completed === 4 ? true : undefined), {
    what: 'the re-enqueued jobs done',
  });

  expect(await decisionsOf(a!)).toEqual([a!.id('m1')]);
  expect(await decisionsOf(b!)).toEqual([b!.id('m1')]);
  expect(await decisionsOf(decided!)).toEqual([decided!.id('m1')]);
  expect(await decisionsOf(resolved!)).toEqual([resolved!.id('m1'), resolved!.id('r1')]);
  // Nothing pending any more; a stray repeat of a job decides nothing new.
  expect(await reenqueuePendingDecisions(store, decide, { tenants: [tenantId], surveyDelayMs: 0 })).toEqual({
    pending: 0,
    realtime: 0,
    surveyFollowUps: 0,
  });
  expect(await job.run({ tenantId, customerId: a!.customerId, triggerEventId: a!.id('m1'), correlationId: 'x' }, new Date())).toEqual(
    expect.objectContaining({ kind: 'already_decided' }),
  );
  expect(await decisionsOf(a!)).toEqual([a!.id('m1')]);
});

it('schedules again the no-response checks a Redis loss took: each contacting decision without an outcome, at its original due time, once', async () => {
  const tenant = freshId('nr');
  const [p, q, r] = ['p', 'q', 'r'].map((n) => new CustomerStream(tenant, freshId(`c-${n}`)));
  const at = '2026-11-23T09:00:00.000Z';
  for (const c of [p!, q!, r!])
    await customers.append(tenant, c.customerId, [c.registered(at), c.message('m1', at, 'How do I reset my password?')]);
  const hour = 3_600_000;
  // Decided before the loss; the checks went to a Redis that is gone (here: a port that forgets them).
  const job = new NbaDecideJob(customers, { followUps: new RecordingFollowUps(), noResponseAfterMs: hour });
  const decided = async (c: CustomerStream) =>
    (
      (await job.run(
        { tenantId: tenant, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: `corr-${c.customerId}` },
        new Date('2026-11-23T09:00:01.000Z'),
      )) as { decisionId: string }
    ).decisionId;
  const pDecision = await decided(p!);
  const qDecision = await decided(q!);
  // q's check ran before the loss: its outcome is recorded, nothing is owed. r was never decided.
  expect(
    await new NbaNoResponseJob(customers, hour).run(
      { tenantId: tenant, customerId: q!.customerId, decisionId: qDecision, correlationId: 'x' },
      new Date('2026-11-23T10:00:02.000Z'),
    ),
  ).toMatchObject({
    kind: 'recorded',
  });

  const recording = new RecordingFollowUps();
  const options = { tenants: [tenant], noResponseAfterMs: hour, now: new Date('2026-11-23T09:30:01.000Z') };
  expect(await rescheduleNoResponseChecks(store, customers, recording, options)).toEqual({ customers: 1, checks: 1 });
  expect(recording.scheduled).toEqual([
    {
      followUp: { tenantId: tenant, customerId: p!.customerId, decisionId: pDecision, correlationId: `corr-${p!.customerId}` },
      delayMs: 30 * 60_000,
    },
  ]);

  // Through the real queue, twice (two boots): one check, delayed to its due time.
  const connection = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  const followUpQueue = new Queue<NbaNoResponseJobData>(freshId('nba-follow-up-rec'), { connection });
  closers.push(async () => {
    await followUpQueue.obliterate({ force: true });
    await followUpQueue.close();
    connection.disconnect();
  });
  for (let boot = 0; boot < 2; boot++) await rescheduleNoResponseChecks(store, customers, new BullNbaFollowUps(followUpQueue), options);
  expect(await followUpQueue.getJobCounts('delayed', 'waiting')).toMatchObject({ delayed: 1, waiting: 0 });
  const check = await followUpQueue.getJob(noResponseJobId(pDecision));
  expect(check?.opts.delay).toBe(30 * 60_000);
});
