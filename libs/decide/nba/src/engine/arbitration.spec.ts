import type { CustomerEvent } from '@hub/customer';
import { consentChanged, inbound, phone, registered } from '@hub/customer/testing';
import { at, candidate, CUSTOMER, decideAfter } from '../testing/nba.fixtures';
import { testAction, testCatalog } from '../testing/test-catalog';

const someone: CustomerEvent[] = [registered(CUSTOMER, at(1, 9), phone()), inbound('i1', at(10, 11), { text: 'hello' })];

describe('arbitration', () => {
  describe('given three actions that all apply, with certain priors', () => {
    const catalog = testCatalog([
      testAction('b_lever', { value: 4, levers: ['push'] }), // 0.5 × 1 × 4 × 2 = 4
      testAction('a_value', { value: 10 }), // 0.5 × 1 × 10 × 1 = 5
      testAction('c_context', {
        value: 6,
        contextWeights: [{ when: { fact: 'customer.quadrant', op: 'eq', value: 'low_value_happy' }, weight: 1.5 }],
      }), // 4.5
    ]);
    const d = decideAfter(someone, { catalog });

    it('then they are ranked by propensity × context × value × lever, and the menu holds the top two', () => {
      expect(d.menu.map((m) => [m.rank, m.actionId])).toEqual([
        [1, 'a_value'],
        [2, 'c_context'],
      ]);
      expect(d.chosen.actionId).toBe('a_value');
      expect(candidate(d, 'b_lever').survived).toBe(true);
    });

    it('then each score is its factors multiplied, as recorded', () => {
      for (const id of ['a_value', 'b_lever', 'c_context']) {
        const s = candidate(d, id).score!;
        expect(s.priority).toBe(s.propensity.sampled * s.context.weight * s.value * s.lever.weight);
      }
      expect(candidate(d, 'c_context').score).toMatchObject({ context: { weight: 1.5 }, value: 6, lever: { weight: 1, levers: {} } });
      expect(candidate(d, 'b_lever').score).toMatchObject({
        context: { weight: 1, rules: [] },
        value: 4,
        lever: { weight: 2, levers: { push: 2 } },
      });
      expect(candidate(d, 'a_value').score!.priority).toBeCloseTo(5, 3);
    });

    it('then the menu entries carry what an agent or sender needs', () => {
      expect(d.menu[0]).toEqual({
        rank: 1,
        actionId: 'a_value',
        kind: 'service',
        strategy: 'test',
        detail: 'do a_value',
        channel: 'sms',
        contactMode: 'reply',
        priority: candidate(d, 'a_value').score!.priority,
      });
    });
  });

  describe('given two actions of the same priority', () => {
    it('then the catalog order breaks the tie', () => {
      // Worth nothing, both: priority 0 whatever the samples.
      const ab = testCatalog([testAction('first', { value: 0 }), testAction('second', { value: 0 })]);
      const ba = testCatalog([testAction('second', { value: 0 }), testAction('first', { value: 0 })]);
      expect(decideAfter(someone, { catalog: ab }).menu.map((m) => [m.actionId, m.priority])).toEqual([
        ['first', 0],
        ['second', 0],
      ]);
      expect(decideAfter(someone, { catalog: ba }).menu.map((m) => m.actionId)).toEqual(['second', 'first']);
    });
  });

  describe('given a minimum priority', () => {
    const catalog = testCatalog([testAction('high', { value: 10 }), testAction('low', { value: 2 })], {
      arbitration: { menuSize: 3, minPriority: 2 },
    });
    const d = decideAfter(someone, { catalog });

    it('then a candidate below it is dropped, its score kept to say why', () => {
      expect(d.menu.map((m) => m.actionId)).toEqual(['high']);
      expect(candidate(d, 'low')).toMatchObject({ survived: false, rejectedBy: ['below_min_priority'], score: { value: 2 } });
    });
  });

  describe('given a proactive action the customer can receive on several channels', () => {
    const catalog = testCatalog([testAction('nudge', { contactMode: 'proactive', channels: ['email', 'sms', 'whatsapp'] })]);
    // Mostly on WhatsApp (the preferred channel), but the latest message came by SMS.
    const events: CustomerEvent[] = [
      registered(CUSTOMER, at(1, 9), phone()),
      inbound('w1', at(5, 10), { channel: 'whatsapp' }),
      inbound('w2', at(6, 10), { channel: 'whatsapp' }),
      inbound('s1', at(10, 11), { text: 'hello' }),
    ];

    it('then the preferred channel comes first, then the one they wrote on, then the catalog order', () => {
      const d = decideAfter(events, { catalog });
      expect(candidate(d, 'nudge').contact!.channels.map((c) => c.channel)).toEqual(['whatsapp', 'sms', 'email']);
      expect(d.chosen.channel).toBe('whatsapp');
    });

    it('then a channel without consent is passed over for the next', () => {
      const d = decideAfter([...events.slice(0, 3), consentChanged('c1', at(7), 'opted_out', { channel: 'whatsapp' }), events[3]!], {
        catalog,
      });
      expect(candidate(d, 'nudge').contact!.channels[0]).toMatchObject({ channel: 'whatsapp', available: false, blockedBy: ['opted_out'] });
      expect(d.chosen.channel).toBe('sms');
    });
  });

  describe('given that no action survives', () => {
    const catalog = testCatalog([
      testAction('never', { policies: { applicability: [{ id: 'never', fact: 'engagement.total', op: 'lt', value: 0 }] } }),
    ]);
    const d = decideAfter(someone, { catalog });

    it('then the do-nothing action is chosen, unranked, and the menu is empty', () => {
      expect(d.menu).toEqual([]);
      expect(d.chosen).toEqual({
        rank: 0,
        actionId: 'nothing',
        kind: 'none',
        strategy: 'do_nothing',
        detail: 'No contact',
        channel: null,
        contactMode: 'none',
        priority: null,
      });
      expect(candidate(d, 'never')).toMatchObject({ survived: false, rejectedBy: ['applicability'], contact: null, score: null });
    });
  });
});
