import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { InteractionRecorded } from '@hub/customer';
import { freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import { timelineChangeFor, type TimelineChange } from './timeline.projection';
import { TimelineQueries } from './timeline.queries';

/**
 * An edit of a message (Telegram `edited_message`, Messenger `message_edit`) is recorded as an
 * `InteractionRecorded` whose `edits` names the provider id of the message edited: the timeline
 * shows the original entry, edited — its text now the latest version's, with every version kept —
 * never a second entry. The same whatever the order the original and its edits are projected in,
 * through the set-based apply and the one-by-one reference alike.
 */
let pool: Pool;
let store: PostgresTimelineStore;
let queries: TimelineQueries;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  store = new PostgresTimelineStore(pool);
  await store.ensureSchema();
  queries = new TimelineQueries(pool);
  await queries.ensureSchema();
});

afterAll(async () => {
  await pool?.end();
});

/** A Telegram message and its edits, as the adapter maps them: same `<chat>:<message_id>`, `edits` on the edits. */
function telegramHistory(tenantId: string, customerId: string) {
  const message = (revision: number, text: string, at: string, edits?: string): { revision: bigint; event: InteractionRecorded } => {
    const eventId = randomUUID();
    return {
      revision: BigInt(revision),
      event: {
        type: 'InteractionRecorded',
        data: {
          channel: 'telegram',
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'handle', namespace: 'telegram', value: '987654321' }],
          content: { text, media: [] },
          provider: { name: 'telegram', messageId: '123456789:42' },
          threadId: '123456789',
          ...(edits ? { edits } : {}),
        },
        metadata: {
          eventId,
          correlationId: eventId,
          causationId: eventId,
          occurredAt: at,
          recordedAt: at,
          schemaVersion: 1,
          tenantId,
          channel: 'telegram',
        },
      },
    };
  };
  const original = message(1, 'Where is my order #123?', '2025-01-15T09:30:00.000Z');
  const first = message(2, 'Where is my order #1234?', '2025-01-15T09:30:25.000Z', '123456789:42');
  const second = message(3, 'Where is my order #12345?', '2025-01-15T09:31:00.000Z', '123456789:42');
  const change = (m: { revision: bigint; event: InteractionRecorded }): TimelineChange =>
    timelineChangeFor(tenantId, customerId, m.revision, m.event)!;
  return { original, first, second, change };
}

const register = (tenantId: string, customerId: string): TimelineChange => ({
  kind: 'customer',
  tenantId,
  customerId,
  identity: { kind: 'handle', namespace: 'telegram', value: '987654321' },
  at: '2025-01-15T09:30:00.000Z',
});

describe.each([
  ['the set-based apply', (changes: TimelineChange[]) => store.apply(changes)],
  [
    'the one-by-one reference',
    (changes: TimelineChange[]) => store.inTransaction((client) => store.applyEachInTransaction(client, changes)),
  ],
])('when a Telegram message is edited twice (%s)', (_how, apply) => {
  it.each([
    ['in the order they happened, one batch each', [['original'], ['first'], ['second']]],
    ['in one batch', [['original', 'first', 'second']]],
    ['edits projected before the original, the latest edit first', [['second'], ['first'], ['original']]],
    ['redelivered', [['original', 'first'], ['first', 'second', 'original'], ['second']]],
  ] as const)(
    'then the timeline has the original entry, showing the latest text, with every version in its edit history (%s)',
    async (_order, batches) => {
      const tenantId = freshId('edits');
      const customerId = freshId('c');
      const h = telegramHistory(tenantId, customerId);
      await apply([register(tenantId, customerId)]);
      for (const batch of batches) await apply(batch.map((name) => h.change(h[name])));

      const { entries } = await queries.timeline(tenantId, customerId);
      expect(entries).toHaveLength(1);
      const [entry] = entries;
      expect(entry).toMatchObject({
        eventId: h.original.event.metadata.eventId,
        occurredAt: '2025-01-15T09:30:00.000Z',
        text: 'Where is my order #12345?',
      });
      expect(entry!.edited).toEqual({
        original: { text: 'Where is my order #123?', media: [] },
        edits: [
          { eventId: h.first.event.metadata.eventId, occurredAt: '2025-01-15T09:30:25.000Z', text: 'Where is my order #1234?', media: [] },
          {
            eventId: h.second.event.metadata.eventId,
            occurredAt: '2025-01-15T09:31:00.000Z',
            text: 'Where is my order #12345?',
            media: [],
          },
        ],
      });
      expect((await store.getCustomer(tenantId, customerId))?.interactions).toBe(1);
    },
  );
});

describe('when a message is never edited', () => {
  it('then its entry says so: edited is null', async () => {
    const tenantId = freshId('edits');
    const customerId = freshId('c');
    const h = telegramHistory(tenantId, customerId);
    await store.apply([register(tenantId, customerId), h.change(h.original)]);
    const { entries } = await queries.timeline(tenantId, customerId);
    expect(entries.map((e) => [e.text, e.edited])).toEqual([['Where is my order #123?', null]]);
  });
});

describe('when the customer who edited is erased', () => {
  it('then the edits go with the entries, and a redelivered edit brings nothing back', async () => {
    const tenantId = freshId('edits');
    const customerId = freshId('c');
    const h = telegramHistory(tenantId, customerId);
    await store.apply([register(tenantId, customerId), h.change(h.original), h.change(h.first)]);
    await store.apply([{ kind: 'purge', tenantId, customerId }]);
    await store.apply([h.change(h.second)]);
    const left = await pool.query('select count(*)::int as n from timeline_edits where tenant_id = $1', [tenantId]);
    expect(left.rows[0].n).toBe(0);
  });
});
