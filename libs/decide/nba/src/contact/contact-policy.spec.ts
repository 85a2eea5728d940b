import { initialCustomerState, upcast, type CustomerState } from '@hub/customer';
import { meta } from '@hub/customer/testing';
import { catalogV1 } from '../catalog/load-catalog';
import { contactHistoryFrom, outcomesDue, type ContactHistory } from '../history/contact-history';
import { pastDecision } from '../testing/nba.fixtures';
import { cooldownVerdict, inQuietHours, localTime, timeZoneOf } from './contact-policy';

describe('the contact policy', () => {
  describe('quiet hours', () => {
    it.each([
      ['20:59', false],
      ['21:00', true],
      ['23:59', true],
      ['00:00', true],
      ['07:59', true],
      ['08:00', false],
      ['12:00', false],
    ])('given 21:00–08:00, then %s is quiet: %s', (t, quiet) => {
      expect(inQuietHours(t, '21:00', '08:00')).toBe(quiet);
    });

    it('given a window within one day (12:00–14:00), then only that is quiet; an empty window never is', () => {
      expect([
        inQuietHours('11:59', '12:00', '14:00'),
        inQuietHours('13:00', '12:00', '14:00'),
        inQuietHours('14:00', '12:00', '14:00'),
      ]).toEqual([false, true, false]);
      expect(inQuietHours('03:00', '00:00', '00:00')).toBe(false);
    });

    it('given the customer’s time zone, then the local time follows its daylight-saving rules', () => {
      expect(localTime('Europe/Berlin', Date.parse('2025-01-15T20:30:00.000Z'))).toBe('21:30');
      expect(localTime('Europe/Berlin', Date.parse('2025-07-15T20:30:00.000Z'))).toBe('22:30');
      expect(localTime('America/New_York', Date.parse('2025-07-15T03:05:00.000Z'))).toBe('23:05');
      expect(localTime('UTC', Date.parse('2025-07-15T00:00:00.000Z'))).toBe('00:00');
    });

    it('given a trait that is absent, invalid or not a string, then the catalog default is used and says why', () => {
      const catalog = catalogV1();
      const withTz = (tz: string | number | undefined): CustomerState => ({
        ...initialCustomerState(),
        traits: tz === undefined ? {} : { timezone: tz },
      });
      expect(timeZoneOf(withTz(undefined), catalog)).toEqual({ timeZone: 'UTC', source: 'default' });
      expect(timeZoneOf(withTz('Asia/Kolkata'), catalog)).toEqual({ timeZone: 'Asia/Kolkata', source: 'trait' });
      expect(timeZoneOf(withTz('GMT+25'), catalog)).toEqual({ timeZone: 'UTC', source: 'default_invalid_trait' });
      expect(timeZoneOf(withTz(3), catalog)).toEqual({ timeZone: 'UTC', source: 'default_invalid_trait' });
    });
  });

  describe('cooldown', () => {
    const catalog = catalogV1();
    const retention = catalog.actions.find((a) => a.id === 'retention_offer')!; // 30 days after a decline, 14 between offers
    const nowMs = Date.parse('2025-03-20T12:00:00.000Z');
    const history = (h: Partial<ContactHistory>): ContactHistory => ({ decisions: [], outcomes: [], ...h });

    it('given no earlier decision, then it passes', () => {
      expect(cooldownVerdict(retention, { catalog, history: history({}), nowMs })).toEqual({
        passed: true,
        lastDecidedAt: null,
        lastOutcome: null,
        reason: null,
        until: null,
      });
    });

    it('given several holds, then the one that lasts longest is named', () => {
      const h = history({
        decisions: [pastDecision('retention_offer', '2025-03-15T12:00:00.000Z')],
        outcomes: [{ decisionId: 'x', actionId: 'retention_offer', outcome: 'no_response', at: '2025-03-18T12:00:00.000Z', segment: null }],
      });
      // no_response: until 03-21 (3 days); min days between: until 03-29 (14 days).
      expect(cooldownVerdict(retention, { catalog, history: h, nowMs })).toMatchObject({
        passed: false,
        reason: 'min_days_between',
        until: '2025-03-29T12:00:00.000Z',
      });
    });

    it('given a later acceptance, then an earlier decline no longer holds it back', () => {
      const h = history({
        outcomes: [
          { decisionId: 'a', actionId: 'retention_offer', outcome: 'declined', at: '2025-03-01T12:00:00.000Z', segment: null },
          { decisionId: 'b', actionId: 'retention_offer', outcome: 'accepted', at: '2025-03-02T12:00:00.000Z', segment: null },
        ],
      });
      expect(cooldownVerdict(retention, { catalog, history: h, nowMs })).toMatchObject({
        passed: true,
        lastOutcome: { outcome: 'accepted' },
      });
    });

    it('given decisions after now (a recomputation as of an earlier time), then they are not seen', () => {
      const h = history({ decisions: [pastDecision('retention_offer', '2025-03-21T12:00:00.000Z')] });
      expect(cooldownVerdict(retention, { catalog, history: h, nowMs })).toMatchObject({ passed: true, lastDecidedAt: null });
    });
  });

  describe('outcomes due', () => {
    it('given decisions without an outcome after the timeout, then they are due as no-response', () => {
      const h: ContactHistory = {
        decisions: [
          pastDecision('retention_offer', '2025-03-10T12:00:00.000Z', { decisionId: 'old' }),
          pastDecision('retention_offer', '2025-03-19T12:00:00.000Z', { decisionId: 'recent' }),
          pastDecision('retention_offer', '2025-03-09T12:00:00.000Z', { decisionId: 'answered' }),
          pastDecision('do_nothing', '2025-03-01T12:00:00.000Z', {
            decisionId: 'nothing',
            kind: 'none',
            contactMode: 'none',
            channel: null,
          }),
        ],
        outcomes: [
          { decisionId: 'answered', actionId: 'retention_offer', outcome: 'accepted', at: '2025-03-09T13:00:00.000Z', segment: null },
        ],
      };
      expect(outcomesDue(h, '2025-03-20T12:00:00.000Z', 72).map((d) => d.decisionId)).toEqual(['old']);
    });
  });
});

describe('the contact history', () => {
  it('given a decision of the first rule set (v1, upcast), then it counts as a reply, not against caps', () => {
    const v1 = upcast({
      type: 'NextBestActionDecided',
      data: {
        decisionId: 'd-1',
        customerId: 'c-1',
        action: { kind: 'offer', code: 'offer_upgrade', channel: 'sms', detail: 'Offer the annual plan upgrade' },
        explanation: { ruleId: 'buying-intent-offer', reason: 'buying intent ("plan")', inputs: {} },
        rulesetVersion: 'rules-v0.2',
        basedOnRevision: '3',
        basedOnEventId: 'i1',
      },
      metadata: meta('d-1', '2025-03-01T09:00:00.000Z'),
    });
    expect(contactHistoryFrom([v1]).decisions).toEqual([
      {
        decisionId: 'd-1',
        actionId: 'offer_upgrade',
        kind: 'offer',
        channel: 'sms',
        contactMode: 'reply',
        decidedAt: '2025-03-01T09:00:00.000Z',
        basedOnEventId: 'i1',
        segment: null,
      },
    ]);
  });
});
