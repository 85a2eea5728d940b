import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import type { TimelineChange } from './timeline.projection';
import { TimelineQueries, type CustomerSearch, type ExportedItem, type TimelineItem } from './timeline.queries';

describe('TimelineQueries', () => {
  let pool: Pool;
  let store: PostgresTimelineStore;
  let queries: TimelineQueries;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
    store = new PostgresTimelineStore(pool);
    queries = new TimelineQueries(pool);
    await store.ensureSchema();
    await queries.ensureSchema();
  });

  afterAll(async () => {
    await pool?.end();
  });

  interface EntrySpec {
    occurredAt: string;
    recordedAt?: string;
    channel?: string;
    direction?: 'inbound' | 'outbound';
    kind?: string;
    text?: string;
    eventId?: string;
    threadId?: string;
    occurredAtSource?: 'provider' | 'received';
  }

  /** Projects a customer (first contact from `phone`) with these entries, through the real store. */
  async function project(tenantId: string, customerId: string, phone: string, entries: EntrySpec[]): Promise<string[]> {
    const ids = entries.map((e) => e.eventId ?? randomUUID());
    const changes: TimelineChange[] = [
      {
        kind: 'customer',
        tenantId,
        customerId,
        identity: { kind: 'phone', value: phone },
        at: entries[0]?.occurredAt ?? '2025-01-01T00:00:00.000Z',
      },
      ...entries.map(
        (e, n): TimelineChange => ({
          kind: 'entry',
          identities: [{ kind: 'phone', value: phone }],
          entry: {
            tenantId,
            customerId,
            eventId: ids[n]!,
            streamRevision: String(n + 1),
            occurredAt: e.occurredAt,
            ...(e.occurredAtSource ? { occurredAtSource: e.occurredAtSource } : {}),
            recordedAt: e.recordedAt ?? e.occurredAt,
            channel: e.channel ?? 'sms',
            direction: e.direction ?? 'inbound',
            kind: e.kind ?? 'message',
            text: e.text ?? `message ${n}`,
            media: [],
            provider: { name: 'twilio', messageId: `SM${n}` },
          },
        }),
      ),
    ];
    await store.apply(changes);
    // Threads are the projector's to fill; set here directly so these tests do not depend on how.
    for (const [n, e] of entries.entries()) {
      if (e.threadId) await pool.query('update timeline_entries set thread_id = $2 where event_id = $1', [ids[n], e.threadId]);
    }
    return ids;
  }

  async function collect(pages: AsyncGenerator<ExportedItem[]>): Promise<ExportedItem[][]> {
    const out: ExportedItem[][] = [];
    for await (const page of pages) out.push(page);
    return out;
  }

  const at = (minute: number, micros = 0) => `2025-02-01T10:${String(minute).padStart(2, '0')}:00.${String(micros).padStart(6, '0')}Z`;

  async function allPages(
    tenantId: string,
    customerId: string,
    limit: number,
    filter = {},
  ): Promise<{ pages: TimelineItem[][]; nexts: (string | null)[] }> {
    const pages: TimelineItem[][] = [];
    const nexts: (string | null)[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.timeline(tenantId, customerId, filter, { limit, ...(cursor ? { cursor } : {}) });
      pages.push(page.entries);
      nexts.push(page.next);
      cursor = page.next ?? undefined;
    } while (cursor);
    return { pages, nexts };
  }

  describe('timeline pages', () => {
    describe('when a customer has more entries than a page holds', () => {
      it('then pages follow each other in (occurred_at, event_id) order with no gap or repeat, and the last has no next', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        // Two entries in the same millisecond, a microsecond apart, straddle a page boundary; two share one instant (event id breaks the tie).
        const [low, high] = [randomUUID(), randomUUID()].sort();
        const ids = await project(tenantId, customerId, '+14155550201', [
          { occurredAt: at(5) },
          { occurredAt: at(1, 1) },
          { occurredAt: at(1, 2) },
          { occurredAt: at(3), eventId: high! },
          { occurredAt: at(3), eventId: low! },
          { occurredAt: at(2) },
          { occurredAt: at(4) },
        ]);

        const { pages, nexts } = await allPages(tenantId, customerId, 2);

        expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
        expect(nexts.at(-1)).toBeNull();
        expect(pages.flat().map((e) => e.eventId)).toEqual([ids[1], ids[2], ids[5], ids[4], ids[3], ids[6], ids[0]]);
        expect(pages[0]![0]).toEqual(
          expect.objectContaining({
            tenantId,
            customerId,
            channel: 'sms',
            direction: 'inbound',
            threadId: null,
            text: 'message 1',
            occurredAt: '2025-02-01T10:01:00.000Z',
          }),
        );
      });

      it('then a page exactly as large as what is left has no next', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        await project(tenantId, customerId, '+14155550202', [{ occurredAt: at(1) }, { occurredAt: at(2) }]);
        expect((await queries.timeline(tenantId, customerId, {}, { limit: 2 })).next).toBeNull();
      });
    });

    describe('when a late entry arrives before the cursor while a reader is paging', () => {
      it('then the next page continues after the cursor (nothing repeated), and a new read includes the late entry', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        const ids = await project(tenantId, customerId, '+14155550203', [
          { occurredAt: at(10) },
          { occurredAt: at(20) },
          { occurredAt: at(30) },
          { occurredAt: at(40) },
        ]);
        const first = await queries.timeline(tenantId, customerId, {}, { limit: 2 });

        const [late] = await project(tenantId, customerId, '+14155550203', [{ occurredAt: at(15), recordedAt: at(50) }]);
        const second = await queries.timeline(tenantId, customerId, {}, { limit: 2, cursor: first.next! });

        expect(first.entries.map((e) => e.eventId)).toEqual([ids[0], ids[1]]);
        expect(second.entries.map((e) => e.eventId)).toEqual([ids[2], ids[3]]);
        expect(second.next).toBeNull();
        expect((await queries.timeline(tenantId, customerId)).entries.map((e) => e.eventId)).toEqual([
          ids[0],
          late,
          ids[1],
          ids[2],
          ids[3],
        ]);
      });
    });

    describe('when filters are given', () => {
      it('then only matching entries come back, by channel, direction, kind, occurred range (from inclusive, to exclusive) and recorded-by instant', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        const ids = await project(tenantId, customerId, '+14155550204', [
          { occurredAt: at(1), channel: 'sms', direction: 'inbound' },
          { occurredAt: at(2), channel: 'email', direction: 'outbound', kind: 'message' },
          { occurredAt: at(3), channel: 'sms', direction: 'outbound', kind: 'call' },
          { occurredAt: at(4), channel: 'whatsapp', direction: 'inbound', recordedAt: at(30) },
        ]);
        const idsOf = async (filter: object) => (await queries.timeline(tenantId, customerId, filter)).entries.map((e) => e.eventId);

        expect(await idsOf({ channels: ['sms'] })).toEqual([ids[0], ids[2]]);
        expect(await idsOf({ channels: ['email', 'whatsapp'] })).toEqual([ids[1], ids[3]]);
        expect(await idsOf({ directions: ['outbound'] })).toEqual([ids[1], ids[2]]);
        expect(await idsOf({ kinds: ['call'] })).toEqual([ids[2]]);
        expect(await idsOf({ from: at(2), to: at(4) })).toEqual([ids[1], ids[2]]);
        expect(await idsOf({ asOf: at(10) })).toEqual([ids[0], ids[1], ids[2]]);
        expect(await idsOf({ channels: ['sms'], directions: ['inbound'], from: at(1) })).toEqual([ids[0]]);
      });

      it('then a window on occurred time and the same window on recorded time select different entries where the two differ', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        // An SMS recorded as it arrived, and a WhatsApp message that happened at 10:02 but arrived at 10:30.
        const ids = await project(tenantId, customerId, '+14155550206', [
          { occurredAt: at(1), recordedAt: at(1), occurredAtSource: 'received' },
          { occurredAt: at(2), recordedAt: at(30), channel: 'whatsapp', occurredAtSource: 'provider' },
          { occurredAt: at(31) },
        ]);
        const idsOf = async (filter: object) => (await queries.timeline(tenantId, customerId, filter)).entries.map((e) => e.eventId);

        expect(await idsOf({ from: at(0), to: at(10) })).toEqual([ids[0], ids[1]]);
        expect(await idsOf({ recordedFrom: at(0), recordedTo: at(10) })).toEqual([ids[0]]);
        expect(await idsOf({ recordedFrom: at(30) })).toEqual([ids[1], ids[2]]);
        expect(await idsOf({ recordedFrom: at(30), recordedTo: at(31) })).toEqual([ids[1]]);
        expect(await idsOf({ from: at(0), to: at(10), recordedFrom: at(10) })).toEqual([ids[1]]);
        const sources = (await queries.timeline(tenantId, customerId)).entries.map((e) => e.occurredAtSource);
        expect(sources).toEqual(['received', 'provider', null]);
        const exported = (await collect(queries.exportEntries(tenantId, { recordedFrom: at(30) }))).flat();
        expect(exported.map((e) => [e.eventId, e.occurredAtSource])).toEqual([
          [ids[1], 'provider'],
          [ids[2], null],
        ]);
      });

      it('then the cursor pages within the filtered entries', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        const ids = await project(
          tenantId,
          customerId,
          '+14155550205',
          [1, 2, 3, 4, 5, 6].map((m) => ({ occurredAt: at(m), channel: m % 2 ? 'sms' : 'email' })),
        );
        const { pages } = await allPages(tenantId, customerId, 2, { channels: ['sms'] });
        expect(pages.flat().map((e) => e.eventId)).toEqual([ids[0], ids[2], ids[4]]);
      });
    });

    describe('when another customer was merged into this one', () => {
      it("then the merged customer's entries are part of the survivor's timeline and conversations, and not the other way round", async () => {
        const tenantId = freshId('tenant');
        const [survivor, merged] = [freshId('c'), freshId('c')];
        const a = await project(tenantId, survivor, '+14155550206', [{ occurredAt: at(1) }, { occurredAt: at(3) }]);
        const b = await project(tenantId, merged, '+14155550207', [{ occurredAt: at(2) }]);
        await store.merge(tenantId, merged, survivor);

        const { pages } = await allPages(tenantId, survivor, 1);
        expect(pages.flat().map((e) => [e.eventId, e.customerId])).toEqual([
          [a[0], survivor],
          [b[0], merged],
          [a[1], survivor],
        ]);
        expect((await queries.timeline(tenantId, merged)).entries.map((e) => e.eventId)).toEqual(b);
        expect((await queries.conversations(tenantId, survivor))[0]).toEqual(expect.objectContaining({ channel: 'sms', count: 3 }));
        expect(await queries.timelineMembers(tenantId, survivor)).toEqual([survivor, merged]);
      });
    });

    describe('when a customer was merged into one that was later merged into a third', () => {
      it('then the top survivor’s timeline, conversations, export and members hold all three, at any depth', async () => {
        const tenantId = freshId('tenant');
        const [top, middle, bottom] = [freshId('c'), freshId('c'), freshId('c')];
        const a = await project(tenantId, top, '+14155550216', [{ occurredAt: at(1) }]);
        const b = await project(tenantId, middle, '+14155550217', [{ occurredAt: at(2) }]);
        const c = await project(tenantId, bottom, '+14155550218', [{ occurredAt: at(3) }]);
        await store.merge(tenantId, bottom, middle);
        await store.merge(tenantId, middle, top);

        expect((await queries.timelineMembers(tenantId, top)).sort()).toEqual([top, middle, bottom].sort());
        expect((await allPages(tenantId, top, 1)).pages.flat().map((e) => [e.eventId, e.customerId])).toEqual([
          [a[0], top],
          [b[0], middle],
          [c[0], bottom],
        ]);
        expect((await queries.conversations(tenantId, top))[0]).toEqual(expect.objectContaining({ channel: 'sms', count: 3 }));
        expect((await store.getTimeline(tenantId, top)).map((e) => e.eventId)).toEqual([a[0], b[0], c[0]]);
        const exported = (await collect(queries.exportEntries(tenantId, { customerIds: [top] }))).flat();
        expect(exported.map((e) => [e.eventId, e.timelineCustomerId]).sort()).toEqual(
          [
            [a[0], top],
            [b[0], top],
            [c[0], top],
          ].sort(),
        );
        // The middle customer's own timeline is still its own and the bottom one's.
        expect((await queries.timeline(tenantId, middle)).entries.map((e) => e.eventId)).toEqual([b[0], c[0]]);
      });
    });

    describe('when an operator reads a whole merged timeline (hub timeline)', () => {
      it('then it holds every member’s entries by occurredAt, each in the top survivor’s timeline, cut at asOf; unknown customers give undefined', async () => {
        const tenantId = freshId('tenant');
        const [top, middle, bottom] = [freshId('c'), freshId('c'), freshId('c')];
        const a = await project(tenantId, top, '+14155550226', [{ occurredAt: at(1) }, { occurredAt: at(4), recordedAt: at(9) }]);
        const b = await project(tenantId, middle, '+14155550227', [{ occurredAt: at(2) }]);
        const c = await project(tenantId, bottom, '+14155550228', [{ occurredAt: at(3) }]);
        await store.merge(tenantId, bottom, middle);
        await store.merge(tenantId, middle, top);

        expect(await queries.hasReadModel()).toBe(true);
        expect((await queries.wholeTimeline(tenantId, top))!.map((e) => [e.eventId, e.customerId, e.timelineCustomerId])).toEqual([
          [a[0], top, top],
          [b[0], middle, top],
          [c[0], bottom, top],
          [a[1], top, top],
        ]);
        expect((await queries.wholeTimeline(tenantId, top, { asOf: at(5) }))!.map((e) => e.eventId)).toEqual([a[0], b[0], c[0]]);
        // A merged-away customer still has its own (and its members') entries, shown in the top survivor's timeline.
        expect((await queries.wholeTimeline(tenantId, middle))!.map((e) => [e.eventId, e.timelineCustomerId])).toEqual([
          [b[0], top],
          [c[0], top],
        ]);
        expect(await queries.wholeTimeline(tenantId, freshId('c'))).toBeUndefined();
      });
    });

    describe('when the customer belongs to another tenant', () => {
      it('then nothing of it is visible', async () => {
        const [tenantA, tenantB] = [freshId('tenant'), freshId('tenant')];
        const customerId = freshId('c');
        await project(tenantA, customerId, '+14155550208', [{ occurredAt: at(1) }]);
        expect(await queries.customerExists(tenantB, customerId)).toBe(false);
        expect((await queries.timeline(tenantB, customerId)).entries).toEqual([]);
        expect(await queries.unknownCustomers(tenantB, [customerId])).toEqual([customerId]);
        expect(await queries.unknownCustomers(tenantA, [customerId, 'nobody'])).toEqual(['nobody']);
      });
    });
  });

  describe('conversations', () => {
    describe('when a customer talked on two channels, one of them in two threads', () => {
      it('then there is one conversation per (channel, thread), entries without a thread forming the channel default, latest first', async () => {
        const tenantId = freshId('tenant');
        const customerId = freshId('c');
        const ids = await project(tenantId, customerId, '+14155550209', [
          { occurredAt: at(1), channel: 'sms', text: 'hello' },
          { occurredAt: at(2), channel: 'whatsapp', threadId: 'wa-1', text: 'order?' },
          { occurredAt: at(3), channel: 'whatsapp', threadId: 'wa-1', direction: 'outbound', text: 'shipped' },
          { occurredAt: at(4), channel: 'whatsapp', threadId: 'wa-2', text: 'refund' },
          { occurredAt: at(5), channel: 'sms', text: 'thanks' },
        ]);

        const conversations = await queries.conversations(tenantId, customerId);

        expect(conversations).toEqual([
          {
            channel: 'sms',
            threadId: null,
            firstAt: '2025-02-01T10:01:00.000Z',
            lastAt: '2025-02-01T10:05:00.000Z',
            count: 2,
            inbound: 2,
            outbound: 0,
            lastEventId: ids[4],
            lastDirection: 'inbound',
            lastText: 'thanks',
          },
          {
            channel: 'whatsapp',
            threadId: 'wa-2',
            firstAt: '2025-02-01T10:04:00.000Z',
            lastAt: '2025-02-01T10:04:00.000Z',
            count: 1,
            inbound: 1,
            outbound: 0,
            lastEventId: ids[3],
            lastDirection: 'inbound',
            lastText: 'refund',
          },
          {
            channel: 'whatsapp',
            threadId: 'wa-1',
            firstAt: '2025-02-01T10:02:00.000Z',
            lastAt: '2025-02-01T10:03:00.000Z',
            count: 2,
            inbound: 1,
            outbound: 1,
            lastEventId: ids[2],
            lastDirection: 'outbound',
            lastText: 'shipped',
          },
        ]);
        expect((await queries.conversations(tenantId, customerId, { channels: ['whatsapp'] })).map((c) => c.threadId)).toEqual([
          'wa-2',
          'wa-1',
        ]);
        expect(await queries.conversations(tenantId, freshId('nobody'))).toEqual([]);
      });
    });
  });

  describe('customer search', () => {
    /** `n` customers with one entry each, first seen a minute apart (from minute `offset + 1`). */
    async function customers(tenantId: string, n: number, channel = 'sms', offset = 0) {
      const out: string[] = [];
      for (let i = offset; i < offset + n; i++) {
        const id = `c${i}-${freshId('')}`;
        await project(tenantId, id, `+1415555${String(3000 + i)}`, [{ occurredAt: at(i + 1), channel }]);
        out.push(id);
      }
      return out;
    }

    describe('when a tenant has more customers than a page holds', () => {
      it('then pages list them oldest first, each once, with their identities, and merged customers are left out', async () => {
        const tenantId = freshId('tenant');
        const ids = await customers(tenantId, 5);
        await store.merge(tenantId, ids[1]!, ids[0]!);

        const first = await queries.searchCustomers(tenantId, {}, { limit: 2 });
        const second = await queries.searchCustomers(tenantId, {}, { limit: 2, cursor: first.next! });

        expect(first.customers.map((c) => c.customerId)).toEqual([ids[0], ids[2]]);
        expect(second.customers.map((c) => c.customerId)).toEqual([ids[3], ids[4]]);
        expect(second.next).toBeNull();
        expect(first.customers[0]).toEqual(
          expect.objectContaining({
            tenantId,
            interactions: 1,
            channels: ['sms'],
            preferredChannel: 'sms', // the projector derives it from the inbound entries
            quadrant: 'unknown',
            // The merged customer's identity now finds the survivor.
            identities: [
              { kind: 'phone', value: '+14155553000' },
              { kind: 'phone', value: '+14155553001' },
            ],
          }),
        );
      });
    });

    describe('when filters are given', () => {
      it('then they combine: identity, channel used (also through a merged customer), preferred channel and quadrant', async () => {
        const tenantId = freshId('tenant');
        const [a, b, c] = await customers(tenantId, 3);
        const [d] = await customers(tenantId, 1, 'email', 3);
        await pool.query(
          `update timeline_customers set preferred_channel = 'email', quadrant = 'at_risk' where tenant_id = $1 and customer_id = $2`,
          [tenantId, a],
        );
        await pool.query(
          `update timeline_customers set preferred_channel = 'sms', quadrant = 'at_risk' where tenant_id = $1 and customer_id = $2`,
          [tenantId, b],
        );
        const ids = async (search: CustomerSearch) => (await queries.searchCustomers(tenantId, search)).customers.map((x) => x.customerId);

        expect(await ids({ identity: { kind: 'phone', value: '+14155553001' } })).toEqual([b]);
        expect(await ids({ identity: { kind: 'phone', value: '+19995550000' } })).toEqual([]);
        expect(await ids({ channels: ['email'] })).toEqual([d]);
        expect(await ids({ quadrants: ['at_risk'] })).toEqual([a, b]);
        expect(await ids({ quadrants: ['at_risk'], preferredChannels: ['sms'] })).toEqual([b]);
        expect(await ids({ channels: ['email', 'sms'] })).toEqual([a, b, c, d]);
        expect(await ids({ quadrants: ['unknown'] })).toEqual([c, d]);
        expect(await ids({ quadrants: ['at_risk'], preferredChannels: ['sms', 'email'] })).toEqual([a, b]);
        expect(await ids({ channels: ['sms'], identity: { kind: 'phone', value: '+14155553002' } })).toEqual([c]);

        await store.merge(tenantId, d!, c!);
        expect(await ids({ channels: ['email'] })).toEqual([c]);
      });
    });
  });

  describe('exports', () => {
    describe('when a tenant is exported in pages smaller than its entries', () => {
      it('then every entry comes once, customer by customer in time order, with the timeline it belongs to', async () => {
        const tenantId = freshId('tenant');
        const [a, b, c] = ['a', 'b', 'c'].map((x) => `${x}-${freshId('')}`) as [string, string, string];
        const ea = await project(tenantId, a, '+14155550211', [{ occurredAt: at(3) }, { occurredAt: at(1) }]);
        const eb = await project(tenantId, b, '+14155550212', [{ occurredAt: at(2) }, { occurredAt: at(2) }, { occurredAt: at(9) }]);
        const ec = await project(tenantId, c, '+14155550213', [{ occurredAt: at(4), recordedAt: at(40) }]);
        await store.merge(tenantId, b, a);

        const pages = await collect(queries.exportEntries(tenantId, {}, { pageSize: 2 }));

        expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
        const rows = pages.flat();
        expect(rows.map((r) => r.eventId)).toEqual([ea[1], ea[0], ...[eb[0], eb[1]].sort(), eb[2], ec[0]]);
        expect(rows.map((r) => r.timelineCustomerId)).toEqual([a, a, a, a, a, c]);

        const selected = (await collect(queries.exportEntries(tenantId, { customerIds: [a], from: at(2), asOf: at(30) }))).flat();
        expect(selected.map((r) => r.customerId)).toEqual([a, b, b, b]);
        expect(await collect(queries.exportEntries(tenantId, { customerIds: [c], asOf: at(30) }))).toEqual([]);
        expect(await collect(queries.exportEntries(freshId('tenant')))).toEqual([]);
      });
    });
  });

  describe('entries in recorded order (live streams)', () => {
    describe('when entries are recorded after a known one', () => {
      it('then they come in (recorded_at, event_id) order after its exact position, also from merged customers', async () => {
        const tenantId = freshId('tenant');
        const [a, b] = [freshId('c'), freshId('c')];
        const ea = await project(tenantId, a, '+14155550221', [
          { occurredAt: at(1), recordedAt: at(10, 1) },
          { occurredAt: at(0), recordedAt: at(10, 2) },
          { occurredAt: at(2), recordedAt: at(12) },
        ]);
        const eb = await project(tenantId, b, '+14155550222', [{ occurredAt: at(5), recordedAt: at(11) }]);
        await store.merge(tenantId, b, a);

        const from = await queries.recordedPosition(tenantId, ea[0]!);
        expect(from).toEqual({ at: '2025-02-01T10:10:00.000001Z', id: ea[0] });
        const after = await queries.entriesRecordedAfter(tenantId, await queries.timelineMembers(tenantId, a), from!);

        expect(after.map((r) => r.item.eventId)).toEqual([ea[1], eb[0], ea[2]]);
        expect(after[0]!.position).toEqual({ at: '2025-02-01T10:10:00.000002Z', id: ea[1] });
        expect(await queries.recordedPosition(freshId('tenant'), ea[0]!)).toBeUndefined();
        expect(await queries.recordedPosition(tenantId, 'not-a-uuid')).toBeUndefined();
      });
    });
  });

  describe('ensureSchema', () => {
    it('takes no table lock when the schema is in place, so it cannot wait on (or deadlock with) a projector mid-batch', async () => {
      const projector = await pool.connect();
      try {
        await projector.query('begin');
        // What a projection batch holds until it commits: write locks on both tables.
        await projector.query('lock table timeline_customers, timeline_entries, timeline_identities in row exclusive mode');
        const outcome = await Promise.race([
          queries.ensureSchema().then(() => 'done'),
          new Promise((resolve) => setTimeout(() => resolve('blocked'), 3_000)),
        ]);
        expect(outcome).toBe('done');
      } finally {
        await projector.query('rollback');
        projector.release();
      }
    });

    it('is idempotent and leaves the query columns in place', async () => {
      await queries.ensureSchema();
      await Promise.all([queries.ensureSchema(), queries.ensureSchema()]);
      const r = await pool.query<{ c: string }>(
        `select table_name || '.' || column_name as c from information_schema.columns
          where table_schema = current_schema() and table_name in ('timeline_entries', 'timeline_customers') and column_name in ('thread_id', 'preferred_channel', 'quadrant') order by 1`,
      );
      expect(r.rows.map((x) => x.c)).toEqual([
        'timeline_customers.preferred_channel',
        'timeline_customers.quadrant',
        'timeline_entries.thread_id',
      ]);
    });
  });
});
