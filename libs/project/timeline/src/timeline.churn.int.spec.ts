import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { CustomerEvent } from '@hub/customer';
import { day, inbound, orderPlaced, orderRefunded, outbound, registered, surveyAnswered } from '@hub/customer/testing';
import { freshDatabase, freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import { churnLevelSql, churnRiskOfRow } from './timeline.churn';
import { timelineChangeFor, type TimelineChange } from './timeline.projection';
import { TimelineQueries } from './timeline.queries';

/**
 * The churn risk as the projection keeps it (real PostgreSQL): a customer's events move it from low
 * to high batch by batch; a merge and its unmerge leave it as it was; a rebuild — every change again,
 * in one batch, into an empty read model — stores the same; silence is applied as of the read.
 */
jest.setTimeout(60_000);

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
afterAll(() => pool.end());

const changesOf = (tenantId: string, customerId: string, events: CustomerEvent[], from = 0): TimelineChange[] =>
  events.flatMap((e, n) => timelineChangeFor(tenantId, customerId, BigInt(from + n), e) ?? []);

/** The churn columns of a customer's row. */
async function churnRow(db: Pool, tenantId: string, customerId: string): Promise<Record<string, unknown>> {
  const r = await db.query<{ row: Record<string, unknown> }>(
    `select jsonb_build_object('inbound_contacts', inbound_contacts, 'first_inbound_at', first_inbound_at, 'last_inbound_at', last_inbound_at,
            'last_complaint_at', last_complaint_at, 'last_cancellation_at', last_cancellation_at, 'last_repeat_contact_at', last_repeat_contact_at,
            'churn_level', churn_level, 'churn_reasons', churn_reasons) as row
       from timeline_customers where tenant_id = $1 and customer_id = $2`,
    [tenantId, customerId],
  );
  return r.rows[0]!.row;
}

describe('churn risk in the timeline read model', () => {
  const tenantId = freshId('churn');
  const [alice, bob] = ['c-alice', 'c-bob'];
  // Alice writes in every 7 days (days 0–28), gets answers, orders once: regular, nothing worrying.
  const regular: CustomerEvent[] = [
    registered(alice, day(0)),
    ...[0, 7, 14, 21, 28].flatMap((d) => [inbound(randomUUID(), day(d)), outbound(randomUUID(), day(d, 10))]),
    orderPlaced(randomUUID(), day(10), 'o-1', 12_000),
  ];
  // Then she complains, is refunded and answers the NPS survey with a 3.
  const worse: CustomerEvent[] = [
    inbound(randomUUID(), day(35), { signals: ['complaint', 'urgency'] }),
    orderRefunded(randomUUID(), day(36), 'o-1', 12_000),
    surveyAnswered(randomUUID(), day(37), 'nps', 3),
  ];
  const bobs: CustomerEvent[] = [registered(bob, day(1)), inbound(randomUUID(), day(20), { signals: ['refund_cancel'] })];
  const live: TimelineChange[][] = [];

  describe("when Alice's events are projected one batch at a time, as live", () => {
    it('then she is low risk while in regular contact, and high with the reasons once she complains, is refunded and is a detractor', async () => {
      for (const change of changesOf(tenantId, alice, regular)) live.push([change]);
      for (const batch of live) await store.apply(batch);
      expect((await store.getCustomer(tenantId, alice, { now: day(30) }))!.churnRisk).toEqual({ level: 'low', reasons: [] });
      expect(await churnRow(pool, tenantId, alice)).toMatchObject({ inbound_contacts: 5, churn_level: 'low', churn_reasons: [] });

      const more = changesOf(tenantId, alice, worse, regular.length).map((c) => [c]);
      live.push(...more);
      for (const batch of more) await store.apply(batch);

      expect((await store.getCustomer(tenantId, alice, { now: day(38) }))!.churnRisk).toEqual({
        level: 'high',
        reasons: ['detractor', 'refunded', 'stated_complaint'],
      });
      expect(await churnRow(pool, tenantId, alice)).toMatchObject({
        inbound_contacts: 6,
        churn_level: 'high',
        churn_reasons: ['detractor', 'refunded', 'stated_complaint'],
      });
      const found = await queries.searchCustomers(tenantId, { churnRisks: ['high'] }, {}, { now: day(38) });
      expect(found.customers.map((c) => [c.customerId, c.churnRisk])).toEqual([
        [alice, { level: 'high', reasons: ['detractor', 'refunded', 'stated_complaint'] }],
      ]);
      expect((await queries.searchCustomers(tenantId, { churnRisks: ['low', 'medium'] }, {}, { now: day(38) })).customers).toEqual([]);
    });
  });

  describe('when Bob is merged into Alice and then unmerged', () => {
    it("then while merged her summary weighs Bob's words too, and after the unmerge her row and summary are as before", async () => {
      const before = { row: await churnRow(pool, tenantId, alice), summary: await store.getCustomer(tenantId, alice, { now: day(38) }) };
      const bobChanges = changesOf(tenantId, bob, bobs);
      const merge: TimelineChange = { kind: 'merge', tenantId, customerId: bob, survivorId: alice };
      const unmerge: TimelineChange = { kind: 'unmerge', tenantId, customerId: bob, identitiesReturned: [] };
      live.push(bobChanges, [merge]);
      await store.apply(bobChanges);
      await store.apply([merge]);
      expect((await store.getCustomer(tenantId, alice, { now: day(38) }))!.churnRisk.reasons).toEqual([
        'detractor',
        'refunded',
        'stated_cancellation',
        'stated_complaint',
      ]);

      live.push([unmerge]);
      await store.apply([unmerge]);
      expect(await churnRow(pool, tenantId, alice)).toEqual(before.row);
      expect(await store.getCustomer(tenantId, alice, { now: day(38) })).toEqual(before.summary);
    });
  });

  describe('when the same changes are rebuilt into an empty read model in one batch, as a replay does', () => {
    it('then every customer has the same churn columns as the live projection left', async () => {
      const database = await freshDatabase('tl_churn');
      const rebuilt = new Pool({ connectionString: database.url, max: 2 });
      rebuilt.on('error', () => undefined);
      try {
        const rebuild = new PostgresTimelineStore(rebuilt);
        await rebuild.ensureSchema();
        await rebuild.apply(live.flat());
        for (const customerId of [alice, bob])
          expect({ customerId, ...(await churnRow(rebuilt, tenantId, customerId)) }).toEqual({
            customerId,
            ...(await churnRow(pool, tenantId, customerId)),
          });
      } finally {
        await rebuilt.end();
        await database.drop();
      }
    });
  });

  describe('when read long after her last contact', () => {
    it('then silence is added as of the read — in the summary, in the search filter and in the stats — and nothing is stored for it', async () => {
      // Usual gap ≈ 7 days over 6 contacts; silent once 3 gaps (and 14 days) have passed since day 35.
      const later = day(100);
      expect((await store.getCustomer(tenantId, alice, { now: later }))!.churnRisk).toEqual({
        level: 'high',
        reasons: ['detractor', 'refunded', 'stated_complaint', 'gone_silent'],
      });
      expect((await store.getCustomer(tenantId, bob, { now: later }))!.churnRisk).toEqual({
        level: 'high',
        reasons: ['stated_cancellation'],
      });
      expect(await churnRow(pool, tenantId, alice)).toMatchObject({
        churn_level: 'high',
        churn_reasons: ['detractor', 'refunded', 'stated_complaint'],
      });

      // A customer in regular contact, low risk, who then goes silent: medium, found as such only later.
      const carol = 'c-carol';
      await store.apply(
        changesOf(tenantId, carol, [registered(carol, day(0)), ...[0, 10, 20, 30].map((d) => inbound(randomUUID(), day(d)))]),
      );
      const search = async (now: string) =>
        (await queries.searchCustomers(tenantId, { churnRisks: ['medium'] }, {}, { now })).customers.map((c) => [
          c.customerId,
          c.churnRisk,
        ]);
      expect(await search(day(40))).toEqual([]);
      expect(await search(day(70))).toEqual([[carol, { level: 'medium', reasons: ['gone_silent'] }]]);
      const stats = async (now: string) => (await queries.stats(tenantId, 'churnRisk', {}, { now })).map((r) => [r.key, r.customers]);
      expect(await stats(day(40))).toEqual([
        ['high', 2],
        ['low', 1],
      ]);
      expect(await stats(day(70))).toEqual([
        ['high', 2],
        ['medium', 1],
      ]);
    });
  });
});

describe('silence as the queries compute it (churnLevelSql) and as the rule says it (withSilence)', () => {
  it('then they agree on every level, around and at each boundary: contacts, span, usual gap, the 14-day floor', async () => {
    const now = '2026-06-01T00:00:00.000Z';
    const ago = (days: number) => new Date(Date.parse(now) - days * 86_400_000).toISOString();
    const cases: {
      inbound_contacts: number;
      first_inbound_at: string | null;
      last_inbound_at: string | null;
      churn_level: string | null;
    }[] = [];
    for (const level of [null, 'unknown', 'low', 'medium', 'high'])
      for (const count of [0, 1, 2, 3, 4, 7])
        for (const span of [0, 13.99, 14, 30, 60])
          for (const since of [0, 13.99, 14, 14.01, 29.99, 30, 30.01, 44.99, 45, 45.01, 120]) {
            cases.push(
              count === 0
                ? { inbound_contacts: 0, first_inbound_at: null, last_inbound_at: null, churn_level: level }
                : { inbound_contacts: count, first_inbound_at: ago(since + span), last_inbound_at: ago(since), churn_level: level },
            );
          }
    const r = await pool.query<{ level: string }>(
      `select ${churnLevelSql('x', '$5::timestamptz')} as level
         from unnest($1::int[], $2::timestamptz[], $3::timestamptz[], $4::text[]) with ordinality x(inbound_contacts, first_inbound_at, last_inbound_at, churn_level, n)
        order by x.n`,
      [
        cases.map((c) => c.inbound_contacts),
        cases.map((c) => c.first_inbound_at),
        cases.map((c) => c.last_inbound_at),
        cases.map((c) => c.churn_level),
        now,
      ],
    );
    const rule = cases.map(
      (c) =>
        churnRiskOfRow(
          {
            ...c,
            first_inbound_at: c.first_inbound_at === null ? null : new Date(c.first_inbound_at),
            last_inbound_at: c.last_inbound_at === null ? null : new Date(c.last_inbound_at),
            churn_reasons: [],
          },
          now,
        ).level,
    );
    expect(r.rows.map((row, n) => ({ ...cases[n], level: row.level }))).toEqual(cases.map((c, n) => ({ ...c, level: rule[n] })));
    // The cases do reach both sides: some raised by silence, some not.
    expect(rule.filter((l, n) => l !== (cases[n]!.churn_level ?? 'unknown')).length).toBeGreaterThan(20);
  });
});
