import { Pool } from 'pg';
import { customerStream, deterministicId } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { ConcurrencyError, PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { CustomerRepository } from './customer.repository';
import { handleCustomerCommand } from './handle-command';

let pool: Pool;
let store: PostgresEventStore;
let customers: CustomerRepository;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 30 });
  store = await PostgresEventStore.create({ pool });
  customers = new CustomerRepository(store);
});
afterAll(() => pool.end());

/** A command whose event depends on the state it was decided on: the n-th message is numbered n. */
const numberedMessage =
  (tenantId: string, writer: number) =>
  (state: { engagement: { total: number } }): CustomerEvent[] => {
    const n = state.engagement.total;
    const eventId = deterministicId('writer', tenantId, String(writer));
    return [
      {
        type: 'InteractionRecorded',
        data: {
          channel: 'sms',
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'phone', value: '+14155550100' }],
          content: { text: `writer ${writer} saw ${n}`, media: [] },
          provider: { name: 'test', messageId: eventId },
        },
        metadata: {
          eventId,
          correlationId: eventId,
          causationId: eventId,
          occurredAt: '2026-11-23T10:00:00.000Z',
          recordedAt: '2026-11-23T10:00:00.000Z',
          schemaVersion: 1,
          tenantId,
          channel: 'sms',
        },
      },
    ];
  };

describe('when 50 writers update one customer at the same time', () => {
  it('loses no update and decides each one on the state it was appended after', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, w) => handleCustomerCommand(customers, tenantId, customerId, numberedMessage(tenantId, w))),
    );
    const stream = await store.readStream(customerStream(tenantId, customerId));
    expect(stream.map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
    // Each event was decided on exactly the state before it: the n-th saw n earlier messages.
    stream.forEach((e, i) => expect((e.data as { content: { text: string } }).content.text).toMatch(new RegExp(` saw ${i}$`)));
    expect(outcomes.some((o) => o.attempts > 1)).toBe(true);
  });
});

describe('when a command decides nothing', () => {
  it('appends nothing', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    const outcome = await handleCustomerCommand(customers, tenantId, customerId, () => []);
    expect(outcome).toEqual({ events: [], result: undefined, attempts: 1 });
  });
});

describe('when the expected revision is wrong', () => {
  it('surfaces a ConcurrencyError from the repository', async () => {
    const [tenantId, customerId] = [freshId('tn'), freshId('c')];
    await handleCustomerCommand(customers, tenantId, customerId, numberedMessage(tenantId, 1));
    const err = await customers
      .append(tenantId, customerId, numberedMessage(tenantId, 2)({ engagement: { total: 1 } }), 'no_stream')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
  });
});
