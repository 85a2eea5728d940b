import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import type { TimelineChange } from './timeline.projection';
import { TimelineQueries } from './timeline.queries';
import { FOLD_FROM, foldSql, searchVectorSql, translateFoldSql } from './timeline.search';

/** Free-text search over the real read model: the generated search vector, its configurations, erasure. */
describe('free-text search', () => {
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

  let seq = 0;
  /** A customer with these texts (minute n, channel sms unless given), projected through the store; customers first seen in the order created. */
  async function customerWith(
    tenantId: string,
    entries: { text: string; channel?: string }[],
  ): Promise<{ customerId: string; eventIds: string[] }> {
    const customerId = freshId('c');
    const phone = `+1415557${String(1000 + seq++).padStart(4, '0')}`;
    const eventIds = entries.map(() => randomUUID());
    const changes: TimelineChange[] = [
      {
        kind: 'customer',
        tenantId,
        customerId,
        identity: { kind: 'phone', value: phone },
        at: new Date(Date.UTC(2025, 2, 1, 9) + seq * 1000).toISOString(),
      },
      ...entries.map(
        (e, n): TimelineChange => ({
          kind: 'entry',
          identities: [{ kind: 'phone', value: phone }],
          entry: {
            tenantId,
            customerId,
            eventId: eventIds[n]!,
            streamRevision: String(n + 1),
            occurredAt: `2025-03-01T10:${String(n).padStart(2, '0')}:00.000Z`,
            recordedAt: `2025-03-01T10:${String(n).padStart(2, '0')}:00.000Z`,
            channel: e.channel ?? 'sms',
            direction: 'inbound',
            kind: 'message',
            text: e.text,
            media: [],
            provider: { name: 'twilio', messageId: `SM${seq}-${n}` },
          },
        }),
      ),
    ];
    await store.apply(changes);
    return { customerId, eventIds };
  }

  const matching = async (tenantId: string, customerId: string, q: string, filter = {}) =>
    (await queries.timeline(tenantId, customerId, { ...filter, q })).entries.map((e) => e.text);

  describe('the fold skips translate for an all-ASCII text', () => {
    it('maps or deletes only characters outside ASCII, so translate leaves an ASCII text as it is', () => {
      expect([...FOLD_FROM].filter((c) => c.codePointAt(0)! < 0x80)).toEqual([]);
    });

    it('gives the same fold and the same search vector as translate on every text, ASCII or not', async () => {
      const texts = [
        null,
        '',
        'I want a REFUND for my broken headphones!',
        'Where is order #123? Call me 555-0100',
        'tab\tand\nnewline',
        'Quiero una devolución de mi pedido',
        'Ÿ ÀÉÎÕÜ Çà',
        'أريد استرداد المبلغ لطلبي',
        'می‌خواهم سفارشم را لغو کنم',
        'Где мой заказ? Ёлка',
        'mixed ascii and ١٢٣ digits',
        'soft\u00adhyphen',
        'Kelvin \u212a sign',
        'İstanbul',
        'emoji 😀 text',
        '~',
        '\u007f del',
      ];
      const r = await pool.query<{ same_fold: boolean; same_vector: boolean; t: string | null }>(
        `select t, ${foldSql('t')} is not distinct from ${translateFoldSql('t')} as same_fold,
                ${searchVectorSql('t')} is not distinct from replace_fold.v as same_vector
           from unnest($1::text[]) t
           cross join lateral (select ${searchVectorSql('t').split(foldSql('t')).join(translateFoldSql('t'))} as v) replace_fold`,
        [texts],
      );
      expect(r.rows).toHaveLength(texts.length);
      expect(r.rows.filter((row) => !row.same_fold || !row.same_vector)).toEqual([]);
    });
  });

  describe('when customers wrote in English, Arabic, Persian, Russian and Spanish', () => {
    const texts = {
      english: 'I want a refund for my broken headphones',
      arabic: 'أريد استرداد المبلغ لطلبي',
      persian: 'می‌خواهم سفارشم را لغو کنم',
      russian: 'Где мой заказ? Хочу вернуть деньги',
      spanish: 'Quiero una devolución de mi pedido, por favor',
    };
    let tenantId: string;
    let customerId: string;

    beforeAll(async () => {
      tenantId = freshId('search');
      ({ customerId } = await customerWith(
        tenantId,
        Object.values(texts).map((text) => ({ text })),
      ));
    });

    it.each([
      ['english', 'refund'],
      ['english', 'refunds'], // stemmed
      ['english', '"broken headphones"'], // a phrase
      ['arabic', 'استرداد'],
      ['arabic', 'المبلغ'], // with the definite article
      ['arabic', 'مبلغ'], // without it
      ['arabic', 'مَبْلَغ'], // with harakat
      ['persian', 'لغو'],
      ['persian', 'سفارشم'],
      ['persian', 'كنم'], // Arabic kaf for the Persian one
      ['persian', 'می خواهم'], // a space for the zero-width non-joiner
      ['russian', 'заказ'],
      ['russian', 'заказа'], // another case of the word
      ['russian', 'деньги'],
      ['spanish', 'devolución'],
      ['spanish', 'devolucion'], // without the accent
      ['spanish', 'PEDIDO'],
    ] as const)('then the %s entry is found by %s, and no other', async (language, q) => {
      expect(await matching(tenantId, customerId, q)).toEqual([texts[language]]);
    });

    it.each(['banana', 'تفاح', 'سیب', 'яблоко', 'manzana', '"headphones broken"'])('then %s finds nothing', async (q) => {
      expect(await matching(tenantId, customerId, q)).toEqual([]);
    });
  });

  describe('when a text filter is combined with others', () => {
    it('then the timeline keeps the entries matching all of them, and pages through them with the cursor', async () => {
      const tenantId = freshId('search');
      const { customerId, eventIds } = await customerWith(tenantId, [
        { text: 'refund please', channel: 'sms' },
        { text: 'refund for order 12', channel: 'whatsapp' },
        { text: 'where is my parcel', channel: 'whatsapp' },
        { text: 'still waiting for the refund', channel: 'whatsapp' },
      ]);

      expect(await matching(tenantId, customerId, 'refund', { channels: ['whatsapp'] })).toEqual([
        'refund for order 12',
        'still waiting for the refund',
      ]);
      const first = await queries.timeline(tenantId, customerId, { q: 'refund' }, { limit: 2 });
      const second = await queries.timeline(tenantId, customerId, { q: 'refund' }, { limit: 2, cursor: first.next! });
      expect([...first.entries, ...second.entries].map((e) => e.eventId)).toEqual([eventIds[0], eventIds[1], eventIds[3]]);
      expect(second.next).toBeNull();
      // A cursor of the unfiltered timeline does not page the searched one.
      const unfiltered = await queries.timeline(tenantId, customerId, {}, { limit: 1 });
      await expect(queries.timeline(tenantId, customerId, { q: 'refund' }, { cursor: unfiltered.next! })).rejects.toThrow(
        /pages another query/,
      );
    });

    it('then customer search finds the customers whose timeline matches — through customers merged into them, at any depth — and combines with channel', async () => {
      const tenantId = freshId('search');
      const sms = await customerWith(tenantId, [{ text: 'my parcel never arrived', channel: 'sms' }]);
      const mail = await customerWith(tenantId, [{ text: 'the parcel arrived broken', channel: 'email' }]);
      const other = await customerWith(tenantId, [{ text: 'thanks for the quick answer', channel: 'sms' }]);
      const middle = await customerWith(tenantId, [{ text: 'hello', channel: 'sms' }]);
      const top = await customerWith(tenantId, [{ text: 'hi again', channel: 'webchat' }]);
      const deep = await customerWith(tenantId, [{ text: 'Где моя посылка?', channel: 'telegram' }]);
      await store.merge(tenantId, deep.customerId, middle.customerId);
      await store.merge(tenantId, middle.customerId, top.customerId);

      const ids = async (search: Parameters<TimelineQueries['searchCustomers']>[1]) =>
        (await queries.searchCustomers(tenantId, search)).customers.map((c) => c.customerId);
      expect(await ids({ q: 'parcel' })).toEqual([sms.customerId, mail.customerId]);
      expect(await ids({ q: 'parcel', channels: ['email'] })).toEqual([mail.customerId]);
      expect(await ids({ q: 'посылка' })).toEqual([top.customerId]);
      expect(await ids({ q: 'refund' })).toEqual([]);
      expect(other.customerId).toBeDefined();
      const first = await queries.searchCustomers(tenantId, { q: 'parcel' }, { limit: 1 });
      const second = await queries.searchCustomers(tenantId, { q: 'parcel' }, { limit: 1, cursor: first.next! });
      expect([...first.customers, ...second.customers].map((c) => c.customerId)).toEqual([sms.customerId, mail.customerId]);
    });
  });

  describe('when a customer is erased', () => {
    it('then their text is found no more, and no row of theirs is left in the search column', async () => {
      const tenantId = freshId('search');
      const erased = await customerWith(tenantId, [{ text: 'my secret address is 12 Baker Street' }, { text: 'أريد استرداد المبلغ' }]);
      const kept = await customerWith(tenantId, [{ text: 'Baker Street store opening hours?' }]);
      expect((await queries.searchCustomers(tenantId, { q: 'baker' })).customers.map((c) => c.customerId)).toEqual([
        erased.customerId,
        kept.customerId,
      ]);

      await store.purgeCustomer(tenantId, erased.customerId);

      expect((await queries.searchCustomers(tenantId, { q: 'baker' })).customers.map((c) => c.customerId)).toEqual([kept.customerId]);
      expect((await queries.searchCustomers(tenantId, { q: 'استرداد' })).customers).toEqual([]);
      expect(await matching(tenantId, erased.customerId, 'secret')).toEqual([]);
      const left = await pool.query(
        `select count(*)::int as n from timeline_entries where tenant_id = $1 and (customer_id = $2 or search @@ to_tsquery('simple', 'secret') or event_id = any($3::uuid[]))`,
        [tenantId, erased.customerId, erased.eventIds],
      );
      expect(left.rows[0].n).toBe(0);
    });
  });

  describe("when an entry's text changes (an edit writes the latest version into it)", () => {
    it('then the search vector follows: the new text is found, the old one is not', async () => {
      const tenantId = freshId('search');
      const { customerId } = await customerWith(tenantId, [{ text: 'please cancel my order' }]);
      await pool.query('update timeline_entries set text = $2 where tenant_id = $1', [tenantId, 'please keep my order']);
      expect(await matching(tenantId, customerId, 'cancel')).toEqual([]);
      expect(await matching(tenantId, customerId, 'keep')).toEqual(['please keep my order']);
    });
  });
});
