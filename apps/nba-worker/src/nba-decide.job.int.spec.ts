import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { customerStream, deterministicId, Queues, type CustomerEventMessage } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { CustomerRepository } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import type { ConsumedMessage } from '@hub/messaging';
import { freshId, testInfra } from '@hub/testing';
import { enqueueDecision } from './customer-event.handler';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import { RULESET_VERSION } from '@hub/nba';

const infra = testInfra();
let pool: Pool;
let store: PostgresEventStore;
let customers: CustomerRepository;

function interactionRecorded(tenantId: string, customerId: string, text: string, at: string): CustomerEvent {
  const eventId = deterministicId('test', tenantId, customerId, text, at);
  return {
    type: 'InteractionRecorded',
    data: { channel: 'sms', direction: 'inbound', kind: 'message', identities: [{ kind: 'phone', value: '+14155550100' }], content: { text, media: [] }, provider: { name: 'twilio', messageId: eventId } },
    metadata: { eventId, correlationId: eventId, causationId: eventId, occurredAt: at, recordedAt: at, schemaVersion: 1, tenantId, channel: 'sms' },
  };
}

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 10 });
  store = await PostgresEventStore.create({ pool });
  customers = new CustomerRepository(store);
});
afterAll(() => pool.end());

describe('NbaDecideJob', () => {
  describe('when the customer asked a routine question', () => {
    it('records a self-service decision with the revision and interaction it was based on', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'How do I reset my password?', '2026-11-23T09:00:00.000Z');
      await customers.append(tenantId, customerId, [msg]);
      const outcome = await new NbaDecideJob(customers).run({ tenantId, customerId, triggerEventId: msg.metadata.eventId, correlationId: 'corr-1' }, new Date('2026-11-23T09:00:01.000Z'));
      expect(outcome).toEqual(expect.objectContaining({ kind: 'decided', action: 'kb_password_reset' }));

      const stream = await store.readStream(customerStream(tenantId, customerId));
      const decision = stream.at(-1)!;
      expect(decision.type).toBe('NextBestActionDecided');
      expect(decision.data).toEqual(
        expect.objectContaining({ basedOnRevision: '0', basedOnEventId: msg.metadata.eventId, rulesetVersion: RULESET_VERSION, explanation: expect.objectContaining({ ruleId: 'routine-self-service' }) }),
      );
      expect(decision.metadata).toEqual(expect.objectContaining({ causationId: msg.metadata.eventId, correlationId: 'corr-1', occurredAt: '2026-11-23T09:00:01.000Z' }));
    });
  });

  describe('when the job runs again for the same interaction (a retry)', () => {
    it('records no second decision', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'What are your opening hours?', '2026-11-23T09:00:00.000Z');
      await customers.append(tenantId, customerId, [msg]);
      const job = new NbaDecideJob(customers);
      const data: NbaDecideJobData = { tenantId, customerId, triggerEventId: msg.metadata.eventId, correlationId: 'c' };
      const first = await job.run(data, new Date('2026-11-23T09:00:01.000Z'));
      const second = await job.run(data, new Date('2026-11-23T09:00:05.000Z'));
      expect(first.kind).toBe('decided');
      expect(second).toEqual({ kind: 'already_decided', decisionId: (first as { decisionId: string }).decisionId });
      const decisions = (await store.readStream(customerStream(tenantId, customerId))).filter((e) => e.type === 'NextBestActionDecided');
      expect(decisions).toHaveLength(1);
    });
  });

  describe('when two workers decide for one customer at the same moment', () => {
    it('records one decision; the other fails with a concurrency error and would be retried', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'please call me', '2026-11-23T09:00:00.000Z');
      await customers.append(tenantId, customerId, [msg]);
      const data: NbaDecideJobData = { tenantId, customerId, triggerEventId: msg.metadata.eventId, correlationId: 'c' };
      const results = await Promise.allSettled([1, 2, 3].map(() => new NbaDecideJob(customers).run(data, new Date('2026-11-23T09:00:01.000Z'))));
      expect(results.filter((r) => r.status === 'fulfilled' && r.value.kind === 'decided').length).toBeGreaterThanOrEqual(1);
      const decisions = (await store.readStream(customerStream(tenantId, customerId))).filter((e) => e.type === 'NextBestActionDecided');
      expect(decisions).toHaveLength(1);
    });
  });
});

describe('enqueueDecision', () => {
  let redis: IORedis;
  let queue: Queue<NbaDecideJobData>;
  beforeAll(() => {
    redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue<NbaDecideJobData>(`${Queues.nbaDecide}-${freshId('test')}`, { connection: redis });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  const message = (type: string, tenantId: string, customerId: string, eventId: string): ConsumedMessage => {
    const value: Partial<CustomerEventMessage> = { type, tenantId, customerId, streamRevision: '1', globalPosition: '1', data: {}, metadata: { eventId, correlationId: eventId, causationId: eventId, occurredAt: '', recordedAt: '', schemaVersion: 1, tenantId, channel: 'sms' } };
    return { topic: 't', partition: 0, offset: '0', key: customerId, value: Buffer.from(JSON.stringify(value)), headers: {} };
  };

  it('keeps one pending job per customer however many events arrive, and ignores decisions', async () => {
    const tenantId = freshId('tn');
    for (let i = 0; i < 5; i++) await enqueueDecision(queue, 10_000, message('InteractionRecorded', tenantId, 'alice', `e${i}`));
    await enqueueDecision(queue, 10_000, message('InteractionRecorded', tenantId, 'bob', 'b1'));
    expect(await enqueueDecision(queue, 10_000, message('NextBestActionDecided', tenantId, 'alice', 'd1'))).toBe(false);
    const jobs = await queue.getJobs(['delayed', 'waiting']);
    const mine = jobs.filter((j) => j.data.tenantId === tenantId);
    expect(mine.map((j) => j.data.customerId).sort()).toEqual(['alice', 'bob']);
    // The pending job carries the latest trigger.
    expect(mine.find((j) => j.data.customerId === 'alice')!.data.triggerEventId).toBe('e4');
  });
});
