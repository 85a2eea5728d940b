import { Pool } from 'pg';
import type { NbaOutcomeRecorded } from '@hub/customer';
import { CustomerRepository } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { decideOutcome, outcomeEventId } from '@hub/nba';
import { freshId, testInfra } from '@hub/testing';
import { NbaDecideJob } from './nba-decide.job';
import { NbaNoResponseJob } from './nba-no-response.job';
import { CustomerStream } from './testing/customer-stream';

let pool: Pool;
let customers: CustomerRepository;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 6 });
  customers = new CustomerRepository(await PostgresEventStore.create({ pool }));
});
afterAll(() => pool.end());

const HOUR = 3_600_000;
/** A customer sent the password-reset link at 09:00:01 (a decision that contacts them). */
async function contacted(): Promise<{ c: CustomerStream; decisionId: string }> {
  const c = new CustomerStream(freshId('tn'), freshId('c'));
  await customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?')]);
  const r = await new NbaDecideJob(customers).run(
    { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr' },
    new Date('2026-11-23T09:00:01.000Z'),
  );
  return { c, decisionId: (r as { decisionId: string }).decisionId };
}
const outcomesOf = async (c: CustomerStream) =>
  (await customers.history(c.tenantId, c.customerId)).events.filter((e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded');

describe('NbaNoResponseJob', () => {
  describe('when the timeout passed and the customer said nothing', () => {
    it('records no_response once, however often the job runs', async () => {
      const { c, decisionId } = await contacted();
      const job = new NbaNoResponseJob(customers, 2 * HOUR);
      const data = { tenantId: c.tenantId, customerId: c.customerId, decisionId, correlationId: 'corr' };
      expect(await job.run(data, new Date('2026-11-23T11:00:01.000Z'))).toEqual({
        kind: 'recorded',
        eventId: outcomeEventId(c.tenantId, c.customerId, decisionId),
      });
      expect(await job.run(data, new Date('2026-11-23T11:00:02.000Z'))).toEqual({ kind: 'answered', reason: 'already_recorded' });
      const [outcome, ...more] = await outcomesOf(c);
      expect(more).toEqual([]);
      expect(outcome!.data).toEqual({
        decisionId,
        actionId: 'kb_password_reset',
        outcome: 'no_response',
        segment: expect.any(String),
        channel: 'sms',
        source: 'timeout',
      });
      expect(outcome!.metadata).toEqual(
        expect.objectContaining({ causationId: decisionId, correlationId: 'corr', occurredAt: '2026-11-23T11:00:01.000Z' }),
      );
    });
  });

  describe('when the customer wrote back first', () => {
    it('records nothing', async () => {
      const { c, decisionId } = await contacted();
      await customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T09:30:00.000Z', 'done, thanks')]);
      expect(
        await new NbaNoResponseJob(customers, 2 * HOUR).run(
          { tenantId: c.tenantId, customerId: c.customerId, decisionId, correlationId: 'corr' },
          new Date('2026-11-23T11:00:01.000Z'),
        ),
      ).toEqual({
        kind: 'answered',
        reason: 'customer_replied',
      });
      expect(await outcomesOf(c)).toEqual([]);
    });
  });

  describe('when it runs before the timeout (the timeout was lengthened since)', () => {
    it('says when it is due, and records nothing', async () => {
      const { c, decisionId } = await contacted();
      expect(
        await new NbaNoResponseJob(customers, 2 * HOUR).run(
          { tenantId: c.tenantId, customerId: c.customerId, decisionId, correlationId: 'corr' },
          new Date('2026-11-23T10:00:00.000Z'),
        ),
      ).toEqual({
        kind: 'not_yet_due',
        dueAt: '2026-11-23T11:00:01.000Z',
      });
    });
  });

  describe('when a person records an outcome at the same moment', () => {
    it('one outcome is stored: the first append wins, the other finds it', async () => {
      const { c, decisionId } = await contacted();
      const { recorded, events } = await customers.history(c.tenantId, c.customerId);
      const accepted = decideOutcome(events, {
        tenantId: c.tenantId,
        customerId: c.customerId,
        decisionId,
        outcome: 'accepted',
        source: 'agent',
        now: '2026-11-23T11:00:00.500Z',
      });
      const job = new NbaNoResponseJob(customers, 2 * HOUR);
      const results = await Promise.allSettled([
        customers.append(c.tenantId, c.customerId, [(accepted as { event: NbaOutcomeRecorded }).event], recorded.at(-1)!.revision),
        job.run(
          { tenantId: c.tenantId, customerId: c.customerId, decisionId, correlationId: 'corr' },
          new Date('2026-11-23T11:00:01.000Z'),
        ),
      ]);
      expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
      expect(await outcomesOf(c)).toHaveLength(1);
    });
  });
});
