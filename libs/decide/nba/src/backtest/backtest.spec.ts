import type { NextBestActionDecided } from '@hub/customer';
import {
  consentChanged,
  conversationResolved,
  email,
  inbound,
  orderPlaced,
  orderRefunded,
  phone,
  registered,
  surveyAnswered,
  traitsUpdated,
} from '@hub/customer/testing';
import catalogV1Json from '../../catalog/catalog.v1.json';
import { loadCatalog } from '../catalog/load-catalog';
import type { Catalog } from '../catalog/catalog.types';
import { at, TENANT } from '../testing/nba.fixtures';
import { RecordedStream } from '../testing/recorded-stream';
import { Backtest, type BacktestReport } from './backtest';

/** Three customers' weeks, decided as the worker decides, with what became of the decisions. */
function history(): { streams: RecordedStream[]; decided: NextBestActionDecided[] } {
  const decided: NextBestActionDecided[] = [];
  const a = new RecordedStream(TENANT, 'c-a').append(
    registered('c-a', at(1, 9), phone()),
    inbound('a-hello', at(1, 9, 5), { channel: 'email' as never, text: 'hello', identities: [email()] }),
    conversationResolved('a-r0', at(1, 10), { channel: 'email' as never }),
    inbound('a-i1', at(3, 10), { text: 'Hi, where is my order #4411?' }),
  );
  decided.push(a.decide(at(3, 10, 1)));
  a.outcome(decided.at(-1)!, 'accepted', at(3, 11));
  a.append(conversationResolved('a-r1', at(3, 14)));
  decided.push(a.decide(at(3, 14, 1)));
  a.append(surveyAnswered('a-s1', at(4, 9), 'csat', 1));
  decided.push(a.decide(at(4, 9, 1)));
  a.outcome(decided.at(-1)!, 'declined', at(4, 10));
  a.append(
    orderPlaced('a-o1', at(5), 'A-1', 80_000, 'EUR'),
    consentChanged('a-c1', at(6), 'opted_in', { channel: 'email' as never }),
    orderRefunded('a-rf1', at(20, 11), 'A-1', 20_000),
  );
  decided.push(a.decide(at(20, 11, 1)));
  a.outcome(decided.at(-1)!, 'accepted', at(21, 9));

  const b = new RecordedStream(TENANT, 'c-b').append(
    registered('c-b', at(2, 9), phone('+14155550111')),
    inbound('b-i1', at(8, 10), { text: 'How do I reset my password?', identities: [phone('+14155550111')] }),
  );
  decided.push(b.decide(at(8, 10, 1)));
  b.outcome(decided.at(-1)!, 'accepted', at(8, 10, 30));
  b.append(conversationResolved('b-r1', at(8, 12)));
  decided.push(b.decide(at(8, 12, 1)));
  b.outcome(decided.at(-1)!, 'no_response', at(11, 12, 1));

  const c = new RecordedStream(TENANT, 'c-c').append(
    registered('c-c', at(2, 9), phone('+14155550122')),
    surveyAnswered('c-s1', at(12, 11), 'nps', 3),
  );
  decided.push(c.decide(at(12, 11, 1)));
  return { streams: [a, b, c], decided };
}

const { streams, decided } = history();

function backtest(candidate: Catalog, from = '2025-03-01T00:00:00.000Z', to = '2025-04-01T00:00:00.000Z'): BacktestReport {
  const run = new Backtest({ candidate, from, to });
  for (const s of streams)
    for (const e of s.events) run.add({ tenantId: s.tenantId, customerId: s.customerId, revision: e.revision, event: e.event });
  return run.report();
}

/** The shipped catalog, changed, under a version of its own. */
function variant(version: string, change: (json: typeof catalogV1Json) => void): Catalog {
  const json = JSON.parse(JSON.stringify(catalogV1Json)) as typeof catalogV1Json;
  json.catalogVersion = version;
  change(json);
  return loadCatalog(json);
}

describe('backtesting a catalog against recorded decisions', () => {
  it('records the variety the stories are meant to have', () => {
    expect(decided.map((d) => `${d.data.action.code}/${d.data.action.channel ?? '-'}`)).toEqual([
      'kb_order_tracking/sms',
      'csat_survey/sms',
      // One proactive SMS per 7 days: the survey of the day before took it.
      'service_recovery/email',
      'retention_offer/email',
      'kb_password_reset/sms',
      'csat_survey/sms',
      'nps_detractor_callback/voice',
    ]);
  });

  describe('given the catalog the decisions were made with', () => {
    const report = backtest(loadCatalog(catalogV1Json));

    it('then every decision agrees, action and channel', () => {
      expect(report).toMatchObject({
        decisions: 7,
        agreement: { sameAction: 7, sameActionAndChannel: 7, rate: 1 },
        changes: [],
        replayedPosteriors: 0,
        decidedCatalogVersions: { '2025.06-1': 7 },
      });
    });

    it('then both sides count the same actions, channels, proactive contacts and value', () => {
      for (const row of report.actions) expect(row.candidate).toBe(row.decided);
      for (const row of report.channels) expect([row.candidate, row.candidateProactive]).toEqual([row.decided, row.decidedProactive]);
      expect(report.proactive).toEqual({ decided: 4, candidate: 4 });
      expect(report.value.candidate).toBe(report.value.decided);
      expect(report.channels.find((c) => c.channel === 'sms')).toEqual({
        channel: 'sms',
        decided: 4,
        candidate: 4,
        decidedProactive: 2,
        candidateProactive: 2,
      });
    });

    it('then the outcomes of the decided actions are counted, with what is still pending', () => {
      expect(report.outcomes).toEqual({ accepted: 3, declined: 1, noResponse: 1, pending: 2, acceptance: 3 / 5 });
      expect(report.actions.find((r) => r.actionId === 'csat_survey')).toMatchObject({
        decided: 2,
        accepted: 0,
        noResponse: 1,
        pending: 1,
        acceptance: 0,
      });
      expect(report.value.decidedAccepted).toBe(10 + 50 + 10);
    });
  });

  describe('given a catalog without the retention offer', () => {
    const report = backtest(variant('2025.06-no-retention', (c) => (c.actions = c.actions.filter((a) => a.id !== 'retention_offer'))));

    it('then the one retention decision goes another way, and its value with it', () => {
      expect(report.agreement).toEqual({ sameAction: 6, sameActionAndChannel: 6, rate: 6 / 7 });
      expect(report.changes).toEqual([{ from: 'retention_offer', to: expect.any(String), count: 1 }]);
      expect(report.actions.find((r) => r.actionId === 'retention_offer')).toMatchObject({ decided: 1, candidate: 0, accepted: 1 });
      expect(report.value.candidate).toBeLessThan(report.value.decided);
      expect(report.proactive.candidate).toBeLessThan(report.proactive.decided);
    });
  });

  describe('given a catalog with no proactive SMS at all (cap 0)', () => {
    const report = backtest(
      variant('2025.06-no-sms-push', (c) => (c.contactPolicy.channels.find((ch) => ch.channel === 'sms')!.cap.max = 0)),
    );

    it('then no proactive contact goes by SMS; replies on SMS are untouched', () => {
      const sms = report.channels.find((c) => c.channel === 'sms')!;
      expect(sms).toMatchObject({ decidedProactive: 2, candidateProactive: 0 });
      expect(sms.candidate).toBe(2);
      expect(report.actions.find((r) => r.actionId === 'kb_order_tracking')).toMatchObject({ decided: 1, candidate: 1 });
    });

    it('then the customer with an email address gets them by email, the other gets nothing', () => {
      expect(report.channels.find((c) => c.channel === 'email')).toMatchObject({ decidedProactive: 2, candidateProactive: 3 });
      expect(report.changes).toEqual([{ from: 'csat_survey', to: 'do_nothing', count: 1 }]);
    });
  });

  describe('given a window', () => {
    it('then only the decisions made in it are replayed, on the history before them', () => {
      const report = backtest(loadCatalog(catalogV1Json), '2025-03-08T00:00:00.000Z', '2025-03-12T00:00:00.000Z');
      expect(report).toMatchObject({ decisions: 2, agreement: { rate: 1 } });
      expect(report.actions.map((r) => r.actionId)).toEqual(['kb_password_reset', 'csat_survey']);
    });
  });

  describe('when a decision was stored after an event later than the revision it was based on', () => {
    it('then it is replayed on the stream up to that revision, not on what followed', () => {
      const s = new RecordedStream(TENANT, 'c-x').append(
        registered('c-x', at(1, 9), phone()),
        inbound('x-i1', at(2, 10), { text: 'Hi, where is my order #4411?' }),
      );
      s.decide(at(2, 10, 1));
      const [decision] = s.events.splice(2, 1);
      // Do-not-contact, set in between: it would hold every action back had it been folded in.
      s.append(traitsUpdated('x-t1', at(2, 10), { doNotContact: true }));
      s.events.push({ revision: 3n, event: decision!.event });
      const run = new Backtest({ candidate: loadCatalog(catalogV1Json), from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' });
      for (const e of s.events) run.add({ tenantId: s.tenantId, customerId: s.customerId, revision: e.revision, event: e.event });
      expect(run.report()).toMatchObject({
        decisions: 1,
        agreement: { sameAction: 1 },
        actions: [{ actionId: 'kb_order_tracking', decided: 1, candidate: 1 }],
      });
    });
  });
});
