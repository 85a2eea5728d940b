import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { Queues, type CustomerEventMessage } from '@hub/contracts';
import { PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import { CustomerRepository } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { BullNbaFollowUps, noResponseJobId, replyOutcomeJobId } from './bullmq.nba-follow-ups';
import { catalogV3, nbaReplyId } from '@hub/nba';
import { NbaReplyOutcomeJob } from './nba-reply-outcome.job';
import { routeCustomerEvent, routeCustomerEvents, surveyJobKey, type CustomerEventRouting } from './customer-event.handler';
import type { NbaDecideJobData } from './nba-decide.job';
import type { NbaNoResponseJobData } from './nba-no-response.job';
import { PostgresOutcomeTallyStore } from '@hub/nba-outcomes';
import { DecisionFoldCache } from './decision-fold.cache';
import { CustomerStream } from './testing/customer-stream';

const infra = testInfra();
let redis: IORedis;
let pool: Pool;
let decide: Queue<NbaDecideJobData>;
let followUpQueue: Queue<NbaNoResponseJobData>;
let deps: CustomerEventRouting;

beforeAll(async () => {
  redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  pool = new Pool({ connectionString: infra.databaseUrl, max: 4 });
  decide = new Queue<NbaDecideJobData>(`${Queues.nbaDecide}-${freshId('test')}`, { connection: redis });
  followUpQueue = new Queue<NbaNoResponseJobData>(`${Queues.nbaFollowUp}-${freshId('test')}`, { connection: redis });
  deps = {
    decide,
    debounceMs: 10_000,
    surveyDelayMs: 3_600_000,
    tally: await PostgresOutcomeTallyStore.create(pool),
    followUps: new BullNbaFollowUps(followUpQueue),
  };
});
afterAll(async () => {
  for (const q of [decide, followUpQueue]) {
    await q.obliterate({ force: true });
    await q.close();
  }
  redis.disconnect();
  await pool.end();
});

let offset = 0;
const message = (type: string, tenantId: string, customerId: string, eventId: string, data: unknown = {}): ConsumedMessage => {
  const value: CustomerEventMessage = {
    type,
    tenantId,
    customerId,
    streamRevision: '1',
    globalPosition: '1',
    data,
    metadata: {
      eventId,
      correlationId: `corr-${eventId}`,
      causationId: eventId,
      occurredAt: '2026-11-23T09:00:00.000Z',
      recordedAt: '2026-11-23T09:00:00.000Z',
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
  return { topic: 't', partition: 0, offset: String(offset++), key: customerId, value: Buffer.from(JSON.stringify(value)), headers: {} };
};
const pending = async (tenantId: string) => (await decide.getJobs(['delayed', 'waiting'])).filter((j) => j.data.tenantId === tenantId);

describe('routeCustomerEvent', () => {
  describe('when triggers arrive for customers', () => {
    it('keeps one pending decide job per customer, carrying the latest trigger, and ignores decisions', async () => {
      const tenantId = freshId('tn');
      for (let i = 0; i < 5; i++)
        await routeCustomerEvent(deps, message('InteractionRecorded', tenantId, 'alice', `e${i}`, { direction: 'inbound' }));
      await routeCustomerEvent(deps, message('SurveyAnswered', tenantId, 'bob', 'b1'));
      expect(await routeCustomerEvent(deps, message('NextBestActionDecided', tenantId, 'alice', 'd1'))).toBe('ignored');
      const jobs = await pending(tenantId);
      expect(jobs.map((j) => j.data.customerId).sort()).toEqual(['alice', 'bob']);
      expect(jobs.find((j) => j.data.customerId === 'alice')!.data).toEqual({
        trigger: 'realtime',
        tenantId,
        customerId: 'alice',
        triggerEventId: 'e4',
        correlationId: 'corr-e4',
        triggerRevision: '1',
      });
    });
  });

  describe('when what the company said is recorded (the outbound sender’s send, an agent’s reply, a delivery status)', () => {
    it('enqueues no decision for it — a send would otherwise decide again — while the customer’s own message does', async () => {
      const tenantId = freshId('tn');
      const sent = message('InteractionRecorded', tenantId, 'carol', 'o1', { direction: 'outbound', kind: 'message' });
      expect(await routeCustomerEvent(deps, sent)).toBe('ignored');
      expect(await routeCustomerEvents(deps, [message('InteractionRecorded', tenantId, 'carol', 'o2', { direction: 'outbound' })])).toEqual(
        [undefined],
      );
      expect(await pending(tenantId)).toEqual([]);
      await routeCustomerEvent(deps, message('InteractionRecorded', tenantId, 'carol', 'i1', { direction: 'inbound' }));
      expect((await pending(tenantId)).map((j) => j.data.correlationId)).toEqual(['corr-i1']);
    });
  });

  describe('when a run of one partition is routed at once (routeCustomerEvents)', () => {
    it("routes each customer's events in order, customers side by side, and returns the reason of a message that can never be routed at its place", async () => {
      const tenantId = freshId('tn');
      const customers = Array.from({ length: 80 }, (_, i) => `c${i}`);
      const run: ConsumedMessage[] = [message('ConversationResolved', tenantId, 'c0', 'r0')];
      for (let round = 0; round < 3; round++)
        for (const c of customers) run.push(message('InteractionRecorded', tenantId, c, `${c}-m${round}`, { direction: 'inbound' }));
      const broken = { ...message('InteractionRecorded', tenantId, 'c1', 'x'), value: Buffer.from('{"type":"InteractionRecorded"}') };
      run.splice(5, 0, broken);

      const outcomes = await routeCustomerEvents(deps, run);

      expect(outcomes).toHaveLength(run.length);
      expect(outcomes[5]).toBeInstanceOf(PermanentMessageError);
      expect(outcomes.filter((o) => o !== undefined)).toHaveLength(1);
      const jobs = await pending(tenantId);
      // One pending decide job per customer, carrying that customer's last trigger of the run; c0's
      // survey follow-up was dropped by the message that came after the resolution.
      expect(jobs.map((j) => j.data.customerId).sort()).toEqual([...customers].sort());
      for (const job of jobs) expect(job.data).toMatchObject({ trigger: 'realtime', triggerEventId: `${job.data.customerId}-m2` });
      expect(await decide.getDeduplicationJobId(surveyJobKey(tenantId, 'c0'))).toBeNull();
    });
  });

  describe('when a run holds several triggers of one customer and a merge', () => {
    it('adds one decide job per customer for the whole run, carrying that customer’s latest trigger, in place of one already pending', async () => {
      const tenantId = freshId('tn');
      await routeCustomerEvents(deps, [message('InteractionRecorded', tenantId, 'kim', 'k0', { direction: 'inbound' })]);
      expect((await pending(tenantId)).map((j) => (j.data as { triggerEventId: string }).triggerEventId)).toEqual(['k0']);
      const run = [
        message('InteractionRecorded', tenantId, 'kim', 'k1', { direction: 'inbound' }),
        message('CustomersMerged', tenantId, 'lee', 'merge-1'),
        message('SurveyAnswered', tenantId, 'kim', 'k2'),
        message('InteractionRecorded', tenantId, 'lee', 'l1', { direction: 'inbound' }),
        message('NextBestActionDecided', tenantId, 'kim', 'd1'),
      ];
      expect(await routeCustomerEvents(deps, run)).toEqual(run.map(() => undefined));
      const jobs = await pending(tenantId);
      expect(jobs.map((j) => [j.data.customerId, (j.data as { triggerEventId: string }).triggerEventId]).sort()).toEqual([
        ['kim', 'k2'],
        ['lee', 'l1'],
      ]);
    });
  });

  describe('when a conversation is resolved', () => {
    it('schedules the survey follow-up; a later resolution replaces it; a message from the customer drops it', async () => {
      const tenantId = freshId('tn');
      expect(await routeCustomerEvent(deps, message('ConversationResolved', tenantId, 'carol', 'r1'))).toBe('survey_scheduled');
      await routeCustomerEvent(deps, message('ConversationResolved', tenantId, 'carol', 'r2'));
      const [survey, ...rest] = await pending(tenantId);
      expect(rest).toEqual([]);
      expect(survey!.data).toEqual({
        trigger: 'survey-follow-up',
        tenantId,
        customerId: 'carol',
        triggerEventId: 'r2',
        correlationId: 'corr-r2',
        triggerRevision: '1',
      });
      expect(await survey!.getState()).toBe('delayed');
      expect(survey!.opts.delay).toBe(3_600_000);

      await routeCustomerEvent(deps, message('InteractionRecorded', tenantId, 'carol', 'm1', { direction: 'inbound' }));
      const left = await pending(tenantId);
      expect(left.map((j) => j.data.trigger)).toEqual(['realtime']);
      expect(await decide.getDeduplicationJobId(surveyJobKey(tenantId, 'carol'))).toBeNull();
    });
  });

  describe('when a message or an order may answer a decision (with reply linking on)', () => {
    it('schedules one link job per such event, besides the decision a typed message triggers (a button press is only its decision’s answer); other messages schedule none', async () => {
      const tenantId = freshId('tn');
      const linking: CustomerEventRouting = { ...deps, replyOutcomes: { keywords: catalogV3().outcomeKeywords ?? [] } };
      const inbound = (text: string, interactive?: { type: 'button'; id: string }) => ({
        direction: 'inbound',
        content: { text, media: [] },
        ...(interactive ? { interactive } : {}),
      });
      const button = { type: 'button' as const, id: nbaReplyId('d-1', 'decline') };
      expect(await routeCustomerEvent(linking, message('InteractionRecorded', tenantId, 'ann', 'b1', inbound('No', button)))).toBe(
        'reply_outcome_scheduled',
      );
      expect(await routeCustomerEvent(linking, message('InteractionRecorded', tenantId, 'ann', 'k1', inbound('Oui!')))).toBe(
        'decision_enqueued',
      );
      expect(await routeCustomerEvent(linking, message('InteractionRecorded', tenantId, 'ann', 'q1', inbound('yes, and the price?')))).toBe(
        'decision_enqueued',
      );
      expect(await routeCustomerEvent(linking, message('OrderPlaced', tenantId, 'ann', 'o1', { orderId: 'A-1' }))).toBe(
        'reply_outcome_scheduled',
      );
      // Redelivered: the same job id, nothing added.
      await routeCustomerEvent(linking, message('InteractionRecorded', tenantId, 'ann', 'b1', inbound('No', button)));
      const links = (await followUpQueue.getJobs(['waiting', 'delayed'])).filter((j) => j.data.tenantId === tenantId);
      expect(links.map((j) => [j.name, j.id, (j.data as unknown as { eventId: string }).eventId]).sort()).toEqual(
        ['b1', 'k1', 'o1'].map((e) => [NbaReplyOutcomeJob.jobName, replyOutcomeJobId(e), e]),
      );
      // The press decided nothing; the typed replies did (debounced into one job for ann).
      expect((await pending(tenantId)).map((j) => j.data.correlationId)).toEqual(['corr-q1']);
      // Without linking (the option absent), a reply is only a trigger.
      expect(await routeCustomerEvent(deps, message('OrderPlaced', freshId('tn'), 'bo', 'o2', { orderId: 'A-2' }))).toBe('ignored');
    });
  });

  describe('when an outcome is recorded', () => {
    it('counts it once however often it is delivered, and drops the decision’s no-response check', async () => {
      const tenantId = freshId('tn');
      const decisionId = freshId('d');
      const followUps = new BullNbaFollowUps(followUpQueue);
      await followUps.scheduleNoResponse({ tenantId, customerId: 'dave', decisionId, correlationId: 'c' }, 3_600_000);
      expect(await (await followUpQueue.getJob(noResponseJobId(decisionId)))!.getState()).toBe('delayed');

      const outcome = message('NbaOutcomeRecorded', tenantId, 'dave', freshId('o'), {
        decisionId,
        actionId: 'retention_offer',
        outcome: 'accepted',
        segment: 'at_risk',
        source: 'agent',
      });
      expect(await routeCustomerEvent(deps, outcome)).toBe('outcome_counted');
      await routeCustomerEvent(deps, outcome);
      expect(await new PostgresOutcomeTallyStore(pool).tally(tenantId)).toEqual({
        retention_offer: { at_risk: { accepted: 1, declined: 0, noResponse: 0 } },
      });
      expect(await followUpQueue.getJob(noResponseJobId(decisionId))).toBeUndefined();
    });
  });

  describe('when a customer is erased, merged into another, or gains or loses a merged-in customer', () => {
    it('drops the fold the decide worker keeps of them, and nothing else', async () => {
      const tenantId = freshId('tn');
      const customers = new CustomerRepository(await PostgresEventStore.create({ pool }));
      const folds = new DecisionFoldCache(customers, 10);
      for (const name of ['erin', 'frank', 'gina', 'hugo', 'ines']) {
        const c = new CustomerStream(tenantId, name);
        await customers.append(tenantId, name, [c.message('m1', '2026-11-23T09:00:00.000Z', 'hello')]);
        await folds.current(tenantId, name);
      }
      expect(await routeCustomerEvent({ ...deps, folds }, message('CustomerErased', tenantId, 'erin', freshId('e')))).toBe('fold_dropped');
      expect(await routeCustomerEvent({ ...deps, folds }, message('CustomerMergedInto', tenantId, 'frank', freshId('e')))).toBe(
        'fold_dropped',
      );
      // A merge also asks for the survivor to be decided again: the merged-in stream's latest trigger may be unanswered.
      expect(await routeCustomerEvent({ ...deps, folds }, message('CustomersMerged', tenantId, 'hugo', freshId('e')))).toBe(
        'decision_enqueued',
      );
      expect((await pending(tenantId)).map((j) => [j.data.customerId, j.data.trigger])).toEqual([['hugo', 'realtime']]);
      expect(await routeCustomerEvent({ ...deps, folds }, message('CustomerUnmerged', tenantId, 'ines', freshId('e')))).toBe(
        'fold_dropped',
      );
      // Anything else advances the kept fold (revision 1 follows gina's message at 0).
      expect(
        await routeCustomerEvent(
          { ...deps, folds },
          message('TraitsUpdated', tenantId, 'gina', freshId('e'), { traits: { tier: 'gold' } }),
        ),
      ).toBe('ignored');
      expect(folds.size).toBe(1);
      const gina = await folds.current(tenantId, 'gina', 1n);
      expect(gina).toMatchObject({ cached: true, unread: true });
      expect(gina.fold.revision).toBe(1n);
      expect(gina.fold.state.traits).toMatchObject({ tier: 'gold' });
      expect((await folds.current(tenantId, 'erin')).cached).toBe(false);
    });
  });

  describe('when the message is not a customer event', () => {
    it('fails permanently (the consumer dead-letters it)', async () => {
      const bad: ConsumedMessage = {
        topic: 't',
        partition: 0,
        offset: '0',
        key: 'k',
        value: Buffer.from('{"type":"InteractionRecorded"}'),
        headers: {},
      };
      await expect(routeCustomerEvent(deps, bad)).rejects.toBeInstanceOf(PermanentMessageError);
      const outcome = message('NbaOutcomeRecorded', freshId('tn'), 'x', 'o1', { decisionId: 'd', outcome: 'maybe' });
      await expect(routeCustomerEvent(deps, outcome)).rejects.toBeInstanceOf(PermanentMessageError);
    });
  });
});
