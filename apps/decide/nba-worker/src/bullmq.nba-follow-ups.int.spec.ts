import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Queues } from '@hub/contracts';
import { eventually, freshId, testInfra } from '@hub/testing';
import { BullNbaFollowUps, noResponseJobId } from './bullmq.nba-follow-ups';
import type { NbaNoResponseJobData } from './nba-no-response.job';

const infra = testInfra();
let connection: IORedis;
let queue: Queue<NbaNoResponseJobData>;
let followUps: BullNbaFollowUps;

beforeAll(() => {
  connection = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue<NbaNoResponseJobData>(`${Queues.nbaFollowUp}-${freshId('test')}`, { connection });
  followUps = new BullNbaFollowUps(queue);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

const check = (decisionId: string): NbaNoResponseJobData => ({ tenantId: 't', customerId: 'c', decisionId, correlationId: 'corr' });

describe('BullNbaFollowUps', () => {
  it('keeps one check per decision however often it is scheduled', async () => {
    const decisionId = freshId('d');
    await followUps.scheduleNoResponse(check(decisionId), 60_000);
    await followUps.scheduleNoResponse(check(decisionId), 60_000);
    const jobs = (await queue.getJobs(['delayed'])).filter((j) => j.data.decisionId === decisionId);
    expect(jobs.map((j) => j.id)).toEqual([noResponseJobId(decisionId)]);
  });

  it('drops a check still waiting, leaves a running one to finish, and takes a decision without a check in its stride', async () => {
    const waiting = freshId('d');
    const running = freshId('d');
    await followUps.scheduleNoResponse(check(waiting), 60_000);
    await followUps.scheduleNoResponse(check(running), 0);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const workerConnection = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker<NbaNoResponseJobData>(
      queue.name,
      async (job) => {
        started.push(job.data.decisionId);
        await held;
      },
      { connection: workerConnection },
    );
    try {
      await eventually(async () => (started.includes(running) ? true : undefined), { what: 'the due check to start' });
      await followUps.cancelNoResponse(waiting);
      await followUps.cancelNoResponse(running);
      await followUps.cancelNoResponse(freshId('never-scheduled'));
      expect(await queue.getJob(noResponseJobId(waiting))).toBeUndefined();
      expect(await (await queue.getJob(noResponseJobId(running)))?.getState()).toBe('active');
      release();
      await eventually(
        async () => ((await (await queue.getJob(noResponseJobId(running)))?.getState()) === 'completed' ? true : undefined),
        { what: 'the running check to finish' },
      );
    } finally {
      release();
      await worker.close();
      workerConnection.disconnect();
    }
  });
});
