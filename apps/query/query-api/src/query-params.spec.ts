import { BadRequestException } from '@nestjs/common';
import { encodeCursor } from '@hub/timeline';
import {
  CustomerSearchQuery,
  entryFilter,
  instant,
  isInstant,
  parseIdentityParam,
  queryAs,
  TimelineExportQuery,
  TimelineQuery,
} from './query-params';

function failingFields(run: () => unknown): { field: string; messages: string[] }[] {
  try {
    run();
  } catch (err) {
    if (err instanceof BadRequestException) return (err.getResponse() as { fields: { field: string; messages: string[] }[] }).fields;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('query parameters', () => {
  describe('instants', () => {
    it.each(['2025-03-01', '2025-03-01T10:00Z', '2025-03-01T10:00:00Z', '2025-03-01T10:00:00.123456+02:00', '2024-02-29T23:59:59-14:00'])(
      '%s is an instant',
      (v) => {
        expect(isInstant(v)).toBe(true);
      },
    );
    it.each([
      'yesterday',
      '2025-02-30',
      '2025-02-29',
      '2025-13-01',
      '2025-03-01T24:00:00Z',
      '2025-03-01T10:00:00',
      '2025-03-01T10:00:00+15:00',
      '2025-03-01 10:00:00Z',
      '1741000000',
    ])('%s is not', (v) => {
      expect(isInstant(v)).toBe(false);
    });
    it('a bare date is UTC midnight', () => {
      expect(instant('2025-03-01')).toBe('2025-03-01T00:00:00Z');
      expect(instant('2025-03-01T10:00:00+02:00')).toBe('2025-03-01T10:00:00+02:00');
    });
  });

  describe('when a timeline query names the plain chat channel (the generic API’s only)', () => {
    it('then it filters by it like any channel', () => {
      expect(entryFilter(queryAs(TimelineQuery, { channel: 'chat,webchat' }))).toEqual({ channels: ['chat', 'webchat'] });
    });
  });

  describe('when a timeline query is valid', () => {
    it('then lists are split, numbers converted, and the filter built', () => {
      const q = queryAs(TimelineQuery, {
        channel: 'sms, email',
        direction: 'inbound',
        from: '2025-03-01',
        to: '2025-03-02T00:00:00Z',
        limit: '50',
      });
      expect(q.limit).toBe(50);
      expect(entryFilter(q)).toEqual({
        channels: ['sms', 'email'],
        directions: ['inbound'],
        from: '2025-03-01T00:00:00Z',
        to: '2025-03-02T00:00:00Z',
      });
      expect(
        queryAs(TimelineQuery, {
          cursor: encodeCursor('timeline', { at: '2025-03-01T10:00:00.000000Z', id: '00000000-0000-4000-8000-000000000001' }),
        }).cursor,
      ).toBeDefined();
    });

    it('then a window on recorded time is its own pair, beside the occurred one', () => {
      const q = queryAs(TimelineExportQuery, { from: '2025-03-01', recordedFrom: '2025-03-05', recordedTo: '2025-03-06T12:00:00+02:00' });
      expect(entryFilter(q)).toEqual({
        from: '2025-03-01T00:00:00Z',
        recordedFrom: '2025-03-05T00:00:00Z',
        recordedTo: '2025-03-06T12:00:00+02:00',
      });
    });
  });

  describe('when a timeline query has bad parameters', () => {
    it('then every failing field is named at once', () => {
      const fields = failingFields(() =>
        queryAs(TimelineQuery, {
          limit: '501',
          cursor: 'bogus',
          from: '2025-03-02',
          to: '2025-03-01',
          direction: 'sideways',
          asOf: 'now',
          chanel: 'sms',
        }),
      );
      expect(fields.map((f) => f.field).sort()).toEqual(['asOf', 'chanel', 'cursor', 'direction', 'limit', 'to']);
      expect(fields.find((f) => f.field === 'to')?.messages).toEqual(['to must be later than from']);
    });

    it('then a recorded window is checked like the occurred one: instants with a zone, the end after the start', () => {
      const fields = failingFields(() => queryAs(TimelineQuery, { recordedFrom: '2025-03-02T10:00', recordedTo: 'later' }));
      expect(fields.map((f) => f.field).sort()).toEqual(['recordedFrom', 'recordedTo']);
      expect(failingFields(() => queryAs(TimelineQuery, { recordedFrom: '2025-03-02', recordedTo: '2025-03-01' }))).toEqual([
        { field: 'recordedTo', messages: ['recordedTo must be later than recordedFrom'] },
      ]);
    });

    it.each([['0'], ['abc'], ['1.5'], ['']])('then limit=%j is refused', (limit) => {
      expect(failingFields(() => queryAs(TimelineQuery, { limit })).map((f) => f.field)).toEqual(['limit']);
    });

    it('then a customers cursor is refused for a timeline', () => {
      const cursor = encodeCursor('customers', { at: '2025-03-01T10:00:00.000000Z', id: 'c1' });
      expect(failingFields(() => queryAs(TimelineQuery, { cursor })).map((f) => f.field)).toEqual(['cursor']);
    });
  });

  describe('export and search queries', () => {
    it('refuse an unknown format and too many customers', () => {
      const ids = Array.from({ length: 1001 }, (_, n) => `c${n}`).join(',');
      expect(
        failingFields(() => queryAs(TimelineExportQuery, { format: 'xlsx', customerIds: ids }))
          .map((f) => f.field)
          .sort(),
      ).toEqual(['customerIds', 'format']);
    });

    it('take q as free text of 1…200 characters with a word in it, into the entry filter', () => {
      expect(entryFilter(queryAs(TimelineQuery, { q: 'استرداد المبلغ' }))).toEqual({ q: 'استرداد المبلغ' });
      expect(queryAs(CustomerSearchQuery, { q: '"broken headphones" -refund' }).q).toBe('"broken headphones" -refund');
      for (const q of ['', ' ', '"-"', 'x'.repeat(201), ['a', 'b']]) {
        expect(failingFields(() => queryAs(CustomerSearchQuery, { q })).map((f) => f.field)).toEqual(['q']);
        expect(failingFields(() => queryAs(TimelineExportQuery, { q })).map((f) => f.field)).toEqual(['q']);
      }
    });

    it('normalise an identity, and say why one is refused', () => {
      expect(parseIdentityParam('phone:+1 (415) 555-0100')).toEqual({ ok: true, identity: { kind: 'phone', value: '+14155550100' } });
      expect(parseIdentityParam('email:Ann@Example.COM')).toEqual({
        ok: true,
        identity: { kind: 'email', value: expect.stringMatching(/^ann@example\.com$/i) },
      });
      expect(parseIdentityParam('fax:123').ok).toBe(false);
      expect(
        failingFields(() => queryAs(CustomerSearchQuery, { identity: 'fax:123', quadrant: 'a b', region: 'Mars' }))
          .map((f) => f.field)
          .sort(),
      ).toEqual(['identity', 'quadrant', 'region']);
      expect(parseIdentityParam('phone:not a number')).toEqual({ ok: false, reason: expect.stringContaining('not a valid phone number') });
    });

    it('keep the namespace of a handle and of an external id (the id may contain `:`)', () => {
      expect(parseIdentityParam('handle:telegram:4242')).toEqual({
        ok: true,
        identity: { kind: 'handle', namespace: 'telegram', value: '4242' },
      });
      expect(parseIdentityParam('handle:Instagram: 1784')).toEqual({
        ok: true,
        identity: { kind: 'handle', namespace: 'instagram', value: '1784' },
      });
      expect(parseIdentityParam('handle:whatsapp:14155550100')).toEqual({ ok: true, identity: { kind: 'phone', value: '+14155550100' } });
      expect(parseIdentityParam('external:Salesforce:0035g00000AbCdE')).toEqual({
        ok: true,
        identity: { kind: 'external', namespace: 'salesforce', value: '0035g00000AbCdE' },
      });
      expect(parseIdentityParam('external:shop:gid:7')).toEqual({
        ok: true,
        identity: { kind: 'external', namespace: 'shop', value: 'gid:7' },
      });
      expect(parseIdentityParam('handle:4242')).toEqual({ ok: false, reason: expect.stringContaining('handle:<platform>:<id>') });
      expect(parseIdentityParam('external:0035g00000AbCdE')).toEqual({
        ok: false,
        reason: expect.stringContaining('external:<system>:<id>'),
      });
      expect(parseIdentityParam('handle:viber:4242')).toEqual({ ok: false, reason: expect.stringContaining('unknown handle platform') });
    });

    it('read a national number in the region given, and say a region is missing when none is', () => {
      expect(parseIdentityParam('phone:(650) 555-0123', 'US')).toEqual({ ok: true, identity: { kind: 'phone', value: '+16505550123' } });
      expect(parseIdentityParam('phone:07400 245698', 'GB')).toEqual({ ok: true, identity: { kind: 'phone', value: '+447400245698' } });
      // An international number ignores the region.
      expect(parseIdentityParam('phone:+44 7400 245698', 'US')).toEqual({ ok: true, identity: { kind: 'phone', value: '+447400245698' } });
      expect(parseIdentityParam('phone:650-555-0123')).toEqual({
        ok: false,
        reason: expect.stringContaining('needs region=<ISO 3166 country code>'),
      });
      expect(queryAs(CustomerSearchQuery, { identity: 'phone:650-555-0123', region: 'us' })).toMatchObject({ region: 'US' });
    });
  });
});
