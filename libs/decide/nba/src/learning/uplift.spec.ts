import type { ChannelId } from '@hub/contracts';
import type { CustomerEvent, NbaOutcome, NextBestActionDecided } from '@hub/customer';
import { meta, orderPlaced } from '@hub/customer/testing';
import { at } from '../testing/nba.fixtures';
import { mulberry32 } from './prng';
import { Uplift } from './uplift';

const TENANT = 'acme';

function decided(id: string, when: string, o: { withheld?: boolean; actionId?: string } = {}): NextBestActionDecided {
  const actionId = o.actionId ?? 'offer_upgrade';
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId: id,
      customerId: 'c',
      action: o.withheld
        ? { kind: 'none', code: 'do_nothing', detail: 'x' }
        : { kind: 'offer', code: actionId, channel: 'sms' as ChannelId, detail: 'x' },
      contactMode: o.withheld ? 'none' : 'proactive',
      explanation: { ruleId: 'r', reason: 'r', inputs: {} },
      strategyVersion: 'nba-engine-v2',
      catalogVersion: 'x',
      seed: 1,
      basedOnRevision: '0',
      basedOnEventId: 't',
      segment: 's',
      ...(o.withheld ? { withheld: { actionId, kind: 'offer' as const, channel: 'sms' as ChannelId, share: 0.5 } } : {}),
    },
    metadata: meta(id, when),
  };
}

const outcome = (decisionId: string, when: string, o: NbaOutcome): CustomerEvent => ({
  type: 'NbaOutcomeRecorded',
  data: { decisionId, actionId: 'offer_upgrade', outcome: o, segment: 's', source: 'reply' },
  metadata: meta(`o-${decisionId}`, when),
});

describe('Uplift', () => {
  describe('given treated and control decisions of an action, with answers and orders', () => {
    it('then it counts conversions per arm: accepted or ordered within the window when treated, ordered when control', () => {
      const u = new Uplift({ windowHours: 72 });
      // c1 treated, accepts. c2 treated, declines, orders 4 days later (outside). c3 control, orders the next day. c4 control, nothing.
      u.add(TENANT, 'c1', decided('d1', at(1, 9)));
      u.add(TENANT, 'c1', outcome('d1', at(1, 10), 'accepted'));
      u.add(TENANT, 'c2', decided('d2', at(1, 9)));
      u.add(TENANT, 'c2', outcome('d2', at(1, 10), 'declined'));
      u.add(TENANT, 'c2', orderPlaced('o2', at(5, 10), 'A-2', 100));
      u.add(TENANT, 'c3', decided('d3', at(1, 9), { withheld: true }));
      u.add(TENANT, 'c3', orderPlaced('o3', at(2, 9), 'A-3', 100));
      u.add(TENANT, 'c4', decided('d4', at(1, 9), { withheld: true }));
      // An action without any control decision is not reported; a do-nothing decision is no exposure.
      u.add(TENANT, 'c5', decided('d5', at(1, 9), { actionId: 'kb_balance' }));
      const [row, ...more] = u.report().actions;
      expect(more).toEqual([]);
      expect(row).toEqual({
        actionId: 'offer_upgrade',
        treated: { decisions: 2, customers: 2, conversions: 1, accepted: 1, orders: 0, rate: 0.5 },
        control: { decisions: 2, customers: 2, conversions: 1, accepted: 0, orders: 1, rate: 0.5 },
        uplift: 0,
        ci95: [expect.closeTo(-0.98, 2), expect.closeTo(0.98, 2)],
      });
    });
  });

  describe('given a simulated population (fixed seed): 30 % convert when treated, 10 % in control', () => {
    it('then the uplift is near 0.2 and its interval holds it and excludes 0', () => {
      const random = mulberry32(20261207);
      const u = new Uplift({ windowHours: 72 });
      for (let i = 0; i < 2_000; i++) {
        const control = random() < 0.2;
        const c = `c${i}`;
        u.add(TENANT, c, decided(`d${i}`, at(1, 9), { withheld: control }));
        if (random() < (control ? 0.1 : 0.3)) u.add(TENANT, c, orderPlaced(`o${i}`, at(2, 9), `A-${i}`, 100));
      }
      const [row] = u.report().actions;
      expect(row!.treated.decisions + row!.control.decisions).toBe(2_000);
      expect(row!.uplift).toBeCloseTo(0.2, 1);
      const [low, high] = row!.ci95!;
      expect(low).toBeGreaterThan(0);
      expect(low).toBeLessThan(0.2);
      expect(high).toBeGreaterThan(0.2);
    });
  });

  describe('given a window of decisions (from, to)', () => {
    it('then only decisions made in it are counted, and an arm with none has no rate', () => {
      const u = new Uplift({ windowHours: 72, from: at(2, 0), to: at(3, 0) });
      u.add(TENANT, 'c1', decided('d1', at(1, 9)));
      u.add(TENANT, 'c2', decided('d2', at(2, 9), { withheld: true }));
      const [row] = u.report().actions;
      expect(row).toEqual(
        expect.objectContaining({ treated: expect.objectContaining({ decisions: 0, rate: null }), uplift: null, ci95: null }),
      );
      expect(row!.control.decisions).toBe(1);
    });
  });
});
