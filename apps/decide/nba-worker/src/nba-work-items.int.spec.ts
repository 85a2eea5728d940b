import { Pool } from 'pg';
import { customerStream } from '@hub/contracts';
import { workItemIdOf, type CustomerEvent } from '@hub/customer';
import { CustomerRepository } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { NbaDecideJob } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';

const infra = testInfra();
let pool: Pool;
let store: PostgresEventStore;
let customers: CustomerRepository;

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 4 });
  store = await PostgresEventStore.create({ pool });
  customers = new CustomerRepository(store);
});
afterAll(() => pool.end());

const SLAS = { defaultMinutes: 480, byQueue: { escalate_specialist: 30 } };

/** A valuable customer (a 900 EUR order) who wrote three times on web chat within the hour. */
async function unresolvedValuableCustomer(): Promise<{ c: CustomerStream; last: CustomerEvent }> {
  const c = new CustomerStream(freshId('tn'), freshId('c'));
  const order: CustomerEvent = {
    type: 'OrderPlaced',
    data: { orderId: 'A-1', amount: 90_000, currency: 'EUR' },
    metadata: c.meta('order', '2026-11-20T09:00:00.000Z'),
  };
  const messages = ['hello?', 'is anyone there', 'I am still waiting'].map((text, n) =>
    c.message(`m${n}`, `2026-11-23T10:0${n}:00.000Z`, text, 'inbound', 'webchat'),
  );
  await customers.append(c.tenantId, c.customerId, [c.registered('2026-11-01T09:00:00.000Z'), order, ...messages]);
  return { c, last: messages.at(-1)! };
}

describe('NbaDecideJob and work items', () => {
  describe('when it decides to escalate a customer who keeps writing without resolution', () => {
    it('opens a work item beside the decision, in the queue of the action, due after its SLA, prioritised by value and risk — once, however often the job runs', async () => {
      const { c, last } = await unresolvedValuableCustomer();
      const job = new NbaDecideJob(customers, { workItemSlas: SLAS });
      const data = { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: last.metadata.eventId, correlationId: 'corr-wi' };
      const first = await job.run(data, new Date('2026-11-23T10:03:00.000Z'));
      expect(first).toEqual(expect.objectContaining({ kind: 'decided', action: 'escalate_specialist' }));
      if (first.kind !== 'decided') throw new Error('not decided');

      // A redelivered job (another worker, a restart): the decision is found, nothing more is recorded.
      const again = await new NbaDecideJob(customers, { workItemSlas: SLAS }).run(data, new Date('2026-11-23T10:04:00.000Z'));
      expect(again).toEqual({ kind: 'already_decided', decisionId: first.decisionId });

      const stream = await store.readStream(customerStream(c.tenantId, c.customerId));
      expect(stream.slice(-2).map((e) => e.type)).toEqual(['NextBestActionDecided', 'WorkItemOpened']);
      expect(stream.filter((e) => e.type === 'WorkItemOpened')).toHaveLength(1);
      const opened = stream.at(-1)!;
      const workItemId = workItemIdOf(c.tenantId, c.customerId, first.decisionId);
      expect(opened.data).toEqual({
        workItemId,
        decisionId: first.decisionId,
        actionId: 'escalate_specialist',
        queue: 'escalate_specialist',
        // High value (900 EUR net), low churn risk (nothing said, no survey, no refund).
        priority: 'normal',
        dueAt: '2026-11-23T10:33:00.000Z',
        conversation: { channel: 'webchat' },
      });
      expect(opened.metadata).toEqual(
        expect.objectContaining({
          eventId: workItemId,
          causationId: first.decisionId,
          correlationId: 'corr-wi',
          occurredAt: '2026-11-23T10:03:00.000Z',
        }),
      );
    });
  });

  describe('when it decides anything but an escalation', () => {
    it('opens no work item', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const msg = c.message('q', '2026-11-23T10:00:00.000Z', 'How do I reset my password?', 'inbound', 'webchat');
      await customers.append(c.tenantId, c.customerId, [c.registered('2026-11-01T09:00:00.000Z'), msg]);
      const outcome = await new NbaDecideJob(customers, { workItemSlas: SLAS }).run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: msg.metadata.eventId, correlationId: 'corr' },
        new Date('2026-11-23T10:00:01.000Z'),
      );
      expect(outcome).toEqual(expect.objectContaining({ kind: 'decided', action: 'kb_password_reset' }));
      const stream = await store.readStream(customerStream(c.tenantId, c.customerId));
      expect(stream.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded', 'NextBestActionDecided']);
    });
  });
});
