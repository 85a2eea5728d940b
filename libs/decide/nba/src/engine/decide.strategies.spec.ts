import type { CustomerEvent } from '@hub/customer';
import {
  consentChanged,
  conversationResolved,
  email,
  inbound,
  orderPlaced,
  orderRefunded,
  outbound,
  phone,
  registered,
  surveyAnswered,
  traitsUpdated,
} from '@hub/customer/testing';
import { catalogV3, currentCatalog } from '../catalog/load-catalog';
import { at, candidate, channelVerdictOf, CUSTOMER, decideAfter, outcomeOf, pastDecision, withDecision } from '../testing/nba.fixtures';

/** A registered customer reachable by phone (SMS) and, when asked, by email. */
const customer = (o: { withEmail?: boolean } = {}): CustomerEvent[] => [
  registered(CUSTOMER, at(1, 9), phone()),
  ...(o.withEmail ? [inbound('e-hello', at(1, 9, 5), { channel: 'email' as never, text: 'hello', identities: [email()] })] : []),
];
/** Net revenue of 800 EUR: high value (threshold 500 EUR). */
const bigSpender = (): CustomerEvent[] => [orderPlaced('o1', at(2), 'A-1', 80_000, 'EUR')];

describe('the built-in strategies of catalog v1', () => {
  describe('self-service: when the customer asks a routine question', () => {
    const events = [...customer(), inbound('i1', at(10, 11), { text: 'Hi, where is my order #4411?' })];
    const d = decideAfter(events, { now: at(10, 11, 1) });

    it('then the order-tracking article is the answer, on the channel they wrote on', () => {
      expect(d.chosen).toMatchObject({
        rank: 1,
        actionId: 'kb_order_tracking',
        kind: 'service',
        strategy: 'self_service',
        channel: 'sms',
        contactMode: 'reply',
      });
    });

    it('then the explanation names the strategy, the intent and the keyword', () => {
      expect(d.explanation).toEqual({
        ruleId: 'self_service',
        reason: expect.stringMatching(/^kb_order_tracking ranked first of 1 \(priority \d+\.\d{3}\) on sms$/),
        inputs: {
          trigger: 'InteractionRecorded',
          segment: 'low_value_happy',
          intent: 'order_tracking',
          matched: 'where is my order',
          signals: null,
          survivors: 1,
          channel: 'sms',
        },
      });
    });

    it('then the verdict shows the rule that made it applicable and the fact it read', () => {
      expect(candidate(d, 'kb_order_tracking').policies[1]).toEqual({
        policy: 'applicability',
        passed: true,
        rules: [
          { id: 'asks-order-tracking', rule: 'intent.name eq "order_tracking"', passed: true, facts: { 'intent.name': 'order_tracking' } },
        ],
      });
    });

    it.each([
      ['I forgot my password', 'kb_password_reset'],
      ['What are your hours on Sunday?', 'kb_opening_hours'],
      ['Thanks. Can you also update my address?', 'kb_update_address'],
      ['What is the balance on my plan?', 'kb_balance'],
    ])('then %j is answered by %s', (text, actionId) => {
      expect(decideAfter([...customer(), inbound('i1', at(10, 11), { text })]).chosen.actionId).toBe(actionId);
    });
  });

  describe('escalation at risk', () => {
    describe('when the customer wrote three times without being answered', () => {
      const events = [
        ...customer(),
        inbound('i1', at(10, 8), { text: 'my parcel never came' }),
        inbound('i2', at(10, 10), { text: 'hello??' }),
        inbound('i3', at(10, 11), { text: 'where is my order' }),
      ];
      const d = decideAfter(events);

      it('then a specialist takes over, not another self-service link', () => {
        expect(d.chosen).toMatchObject({ actionId: 'escalate_specialist', kind: 'escalation', contactMode: 'handoff', channel: 'sms' });
      });

      it('then the self-service article was applicable but not suitable: a link did not help so far', () => {
        const kb = candidate(d, 'kb_order_tracking');
        expect(kb.rejectedBy).toEqual(['suitability']);
        expect(kb.policies[2]!.rules).toContainEqual({
          id: 'not-asked-three-times',
          rule: 'conversations.maxInboundSinceOpened lt 3',
          passed: false,
          facts: { 'conversations.maxInboundSinceOpened': 3 },
        });
      });

      it('then the repeated contact is the reason, with the counts read', () => {
        expect(candidate(d, 'escalate_specialist').policies[1]!.rules[0]).toMatchObject({
          id: 'repeated-unresolved-contact',
          passed: true,
          facts: { 'churn.signals': ['repeated_unresolved_contacts'], 'engagement.inboundLast24h': 3 },
        });
      });
    });

    describe('when a high-value customer with a poor experience writes', () => {
      const events = [
        ...customer(),
        ...bigSpender(),
        surveyAnswered('s1', at(5), 'csat', 2),
        inbound('i1', at(10, 11), { text: 'Order GR-2231 again' }),
      ];
      const d = decideAfter(events);

      it('then a manager takes over', () => {
        expect(d.segment).toBe('at_risk');
        expect(d.chosen).toMatchObject({ actionId: 'escalate_manager', channel: 'sms' });
      });

      it('then the at-risk context weighs in the priority', () => {
        expect(candidate(d, 'escalate_manager').score!.context).toMatchObject({
          weight: 1.5,
          rules: [{ rule: 'customer.quadrant eq "at_risk"', passed: true, weight: 1.5 }],
        });
      });
    });

    describe('when the customer complains', () => {
      it.each(['cancel', 'refund', 'lawyer'])('then "%s" sends them to a manager', (word) => {
        const d = decideAfter([...customer(), inbound('i1', at(10, 11), { text: `I want to ${word.toUpperCase()} this!` })]);
        expect(d.chosen.actionId).toBe('escalate_manager');
        expect(d.explanation.inputs).toMatchObject({ intent: 'complaint', matched: word });
      });
    });
  });

  describe('when the customer’s own words carried text signals (issue 12: Arabic and English were not heard)', () => {
    describe('when an Arabic message complains and asks for a refund', () => {
      const events = [
        ...customer(),
        inbound('i1', at(10, 11), { text: 'خدمة سيئة جداً، أريد استرداد المبلغ', signals: ['complaint', 'refund_cancel'] }),
      ];
      const d = decideAfter(events);

      it('then a manager takes over', () => {
        expect(d.chosen).toMatchObject({ actionId: 'escalate_manager', kind: 'escalation', channel: 'sms' });
      });

      it('then the decision names the signals it used, in its inputs and its reason', () => {
        expect(d.explanation.inputs).toMatchObject({ intent: 'none', matched: null, signals: 'complaint,refund_cancel' });
        expect(d.explanation.reason).toMatch(/the customer's words: complaint, refund_cancel$/);
        expect(d.facts).toMatchObject({
          'signals.trigger': ['complaint', 'refund_cancel'],
          'signals.last24h': ['complaint', 'refund_cancel'],
          'intent.complaintWithin24h': true,
        });
      });

      it('then they are churn signals: stated complaint and stated cancellation', () => {
        expect(d.facts['churn.signals']).toEqual(['stated_complaint', 'stated_cancellation']);
      });
    });

    describe('when one message says it is the third (the earlier ones reached us elsewhere)', () => {
      const d = decideAfter([
        ...customer(),
        inbound('i1', at(10, 11), { text: 'This is my third message about this', signals: ['repeat_contact'] }),
      ]);

      it('then a specialist takes over: the repeated unresolved contact is the customer’s word for it', () => {
        expect(d.facts['engagement.inboundLast24h']).toBe(1);
        expect(d.facts['churn.signals']).toEqual(['repeated_unresolved_contacts']);
        expect(d.chosen).toMatchObject({ actionId: 'escalate_specialist', channel: 'sms' });
        expect(d.explanation.inputs).toMatchObject({ signals: 'repeat_contact' });
      });

      it('when the conversation was resolved since, then the statement no longer counts as unresolved', () => {
        const resolved = decideAfter([
          ...customer(),
          inbound('i1', at(10, 11), { text: 'This is my third message about this', signals: ['repeat_contact'] }),
          conversationResolved('r1', at(10, 12)),
        ]);
        expect(resolved.facts['churn.signals']).toEqual([]);
      });
    });

    it('when the signals are older than a day, then the decision no longer reads them as said lately', () => {
      const d = decideAfter([
        ...customer(),
        inbound('i0', at(8, 11), { text: 'URGENT', signals: ['urgency'] }),
        inbound('i1', at(10, 11), { text: 'hello', signals: [] }),
      ]);
      expect(d.facts['signals.last24h']).toEqual([]);
      expect(d.explanation.inputs['signals']).toBeNull();
    });
  });

  describe('service recovery after a poor CSAT', () => {
    const events = [
      ...customer(),
      inbound('i1', at(8, 10), { text: 'where is my order' }),
      conversationResolved('r1', at(8, 12)),
      surveyAnswered('s1', at(10, 11), 'csat', 1),
    ];
    const d = decideAfter(events);

    it('then the customer gets an apology and a goodwill gesture, proactively, by SMS', () => {
      expect(d.chosen).toMatchObject({
        actionId: 'service_recovery',
        strategy: 'service_recovery',
        contactMode: 'proactive',
        channel: 'sms',
      });
    });

    it('then the rules read the score and how recent it is', () => {
      expect(candidate(d, 'service_recovery').policies[1]!.rules.map((r) => [r.id, r.passed, r.facts])).toEqual([
        ['poor-csat', true, { 'satisfaction.lastCsat': 1 }],
        ['csat-this-week', true, { 'satisfaction.lastCsatHoursAgo': 0 }],
      ]);
    });

    it('then a survey is not suitable while the poor score is not handled', () => {
      expect(candidate(d, 'csat_survey').rejectedBy).toEqual(expect.arrayContaining(['applicability', 'suitability']));
    });
  });

  describe('service recovery for an NPS detractor', () => {
    const d = decideAfter([...customer(), surveyAnswered('s1', at(10, 11), 'nps', 3)]);

    it('then customer care calls back to close the loop', () => {
      expect(d.chosen).toMatchObject({ actionId: 'nps_detractor_callback', contactMode: 'handoff' });
      expect(candidate(d, 'nps_detractor_callback').policies[1]!.rules[0]).toMatchObject({
        id: 'detractor',
        passed: true,
        facts: { 'satisfaction.npsCategory': 'detractor' },
      });
    });

    it('then voice, not enabled in this hub, is skipped for the next channel', () => {
      expect(channelVerdictOf(d, 'nps_detractor_callback', 'voice')).toMatchObject({ available: false, blockedBy: ['channel_disabled'] });
      expect(d.chosen.channel).toBe('sms');
    });

    it('then a promoter gets no such call', () => {
      expect(decideAfter([...customer(), surveyAnswered('s1', at(10, 11), 'nps', 9)]).chosen.actionId).toBe('do_nothing');
    });
  });

  describe('retention on churn signals', () => {
    const buyer = [...customer({ withEmail: true }), conversationResolved('r0', at(1, 10), { channel: 'email' as never }), ...bigSpender()];

    describe('when a customer who opted in to email gets a refund', () => {
      const events = [
        ...buyer,
        consentChanged('c1', at(3), 'opted_in', { channel: 'email' as never }),
        orderRefunded('rf1', at(10, 11), 'A-1', 20_000),
      ];
      const d = decideAfter(events);

      it('then they get the retention offer by email', () => {
        expect(d.chosen).toMatchObject({ actionId: 'retention_offer', kind: 'retention', channel: 'email', contactMode: 'proactive' });
        expect(candidate(d, 'retention_offer').policies[1]!.rules[0]).toMatchObject({
          id: 'churn-signal',
          passed: true,
          facts: { 'churn.count': 1 },
        });
      });

      it('then the retention lever is part of the priority', () => {
        expect(candidate(d, 'retention_offer').score!.lever).toEqual({ weight: 1.2, levers: { retention_push: 1.2 } });
      });
    });

    describe('when the customer never opted in to marketing', () => {
      const d = decideAfter([...buyer, orderRefunded('rf1', at(10, 11), 'A-1', 20_000)]);

      it('then no channel may carry the offer, and nothing is done', () => {
        expect(candidate(d, 'retention_offer').rejectedBy).toEqual(['no_channel']);
        expect(channelVerdictOf(d, 'retention_offer', 'email')).toMatchObject({
          available: false,
          blockedBy: ['no_opt_in'],
          consent: { status: null, required: 'opted_in' },
        });
        expect(d.chosen.actionId).toBe('do_nothing');
      });
    });
  });

  describe('survey after a resolved conversation', () => {
    const events = [
      ...customer(),
      inbound('i1', at(10, 9), { text: 'my parcel never came' }),
      outbound('o1', at(10, 9, 30), { text: 'It is on its way: …' }),
      conversationResolved('r1', at(10, 11)),
    ];
    const d = decideAfter(events);

    it('then a one-question survey goes out by SMS', () => {
      expect(d.chosen).toMatchObject({
        actionId: 'csat_survey',
        kind: 'survey',
        strategy: 'survey_after_resolution',
        channel: 'sms',
        contactMode: 'proactive',
      });
    });

    it('then the contact verdict shows the counters it read', () => {
      expect(channelVerdictOf(d, 'csat_survey', 'sms')).toEqual({
        channel: 'sms',
        available: true,
        blockedBy: [],
        consent: { status: null, required: 'not_opted_out' },
        reachable: { viaIdentity: true, viaEngagement: true },
        cap: { used: 0, max: 1, windowDays: 7 },
        totalCap: { used: 0, max: 3, windowDays: 7 },
        quietHours: { timeZone: 'UTC', localTime: '11:00', from: '21:00', to: '08:00', quiet: false },
      });
    });

    it('then a customer who says it is sorted gets the survey too', () => {
      expect(decideAfter([...customer(), inbound('i1', at(10, 11), { text: 'All sorted now, thanks' })]).chosen.actionId).toBe(
        'csat_survey',
      );
    });

    it('then a customer who answered a survey this week is not asked again (eligibility)', () => {
      const d2 = decideAfter([...customer(), surveyAnswered('s0', at(7), 'csat', 5), ...events.slice(1)]);
      expect(candidate(d2, 'csat_survey').rejectedBy).toEqual(['eligibility']);
      expect(d2.chosen.actionId).toBe('do_nothing');
    });
  });

  describe('nothing under opt-out', () => {
    describe('when the customer texted STOP', () => {
      const d = decideAfter([...customer(), inbound('i1', at(10, 11), { text: 'STOP' })]);

      it('then nothing is done', () => {
        expect(d.chosen).toEqual({
          rank: 0,
          actionId: 'do_nothing',
          kind: 'none',
          strategy: 'do_nothing',
          detail: expect.any(String),
          channel: null,
          contactMode: 'none',
          priority: null,
        });
        expect(d.menu).toEqual([]);
      });

      it('then the shared eligibility rule says why, with the consent it read', () => {
        expect(d.defaults[0]!.rules).toContainEqual({
          id: 'not-opted-out-where-they-wrote',
          rule: 'consent.triggerChannel neq "opted_out"',
          passed: false,
          facts: { 'consent.triggerChannel': 'opted_out' },
        });
      });
    });

    describe('when the customer asks a routine question on a channel they opted out of', () => {
      const d = decideAfter([
        ...customer(),
        consentChanged('c1', at(3), 'opted_out'),
        inbound('i1', at(10, 11), { text: 'where is my order, and I want a refund' }),
      ]);

      it('then even being at risk does not override it', () => {
        expect(d.chosen.actionId).toBe('do_nothing');
        expect(candidate(d, 'escalate_manager').rejectedBy).toEqual(['eligibility']);
        expect(d.explanation.reason).toMatch(/^no action survived: escalate_manager: eligibility/);
      });
    });

    describe('when the profile says do not contact', () => {
      it('then nothing is done, whatever the customer asked', () => {
        const d = decideAfter([
          ...customer(),
          traitsUpdated('t1', at(2), { doNotContact: true }),
          inbound('i1', at(10, 11), { text: 'where is my order' }),
        ]);
        expect(d.chosen.actionId).toBe('do_nothing');
        expect(d.defaults[0]!.rules.find((r) => r.id === 'no-do-not-contact-flag')).toMatchObject({
          passed: false,
          facts: { 'traits.doNotContact': true },
        });
      });
    });
  });

  describe('quiet hours', () => {
    const resolvedLate = (tz: string | undefined, hour: number, minute = 0): CustomerEvent[] => [
      ...customer(),
      ...(tz ? [traitsUpdated('t1', at(2), { timezone: tz })] : []),
      inbound('i1', at(10, 8), { text: 'my parcel never came' }),
      conversationResolved('r1', at(10, hour, minute)),
    ];

    describe('when a conversation is resolved at 22:30 in the customer’s time zone (Europe/Berlin)', () => {
      const d = decideAfter(resolvedLate('Europe/Berlin', 21, 30));

      it('then the survey is held back on SMS and nothing is sent', () => {
        expect(channelVerdictOf(d, 'csat_survey', 'sms')).toMatchObject({
          available: false,
          blockedBy: ['quiet_hours'],
          quietHours: { timeZone: 'Europe/Berlin', localTime: '22:30', quiet: true },
        });
        expect(d.chosen.actionId).toBe('do_nothing');
        expect(d.explanation.reason).toBe('no action survived: csat_survey: no_channel (quiet_hours, unreachable)');
      });

      it('then the counters record the time zone and where it came from', () => {
        expect(d.counters).toMatchObject({ timeZone: 'Europe/Berlin', timeZoneSource: 'trait', localTime: '22:30' });
      });
    });

    describe('when it is 22:30 UTC but 07:30 in Tokyo (quiet) or 17:30 in New York (not quiet)', () => {
      it('then the customer’s zone decides', () => {
        expect(decideAfter(resolvedLate('Asia/Tokyo', 22, 30)).chosen.actionId).toBe('do_nothing');
        expect(decideAfter(resolvedLate('America/New_York', 22, 30)).chosen.actionId).toBe('csat_survey');
      });
    });

    describe('when the time zone trait is not a time zone', () => {
      it('then the catalog default (UTC) is used, and the counters say so', () => {
        const d = decideAfter(resolvedLate('Mars/Olympus', 22, 30));
        expect(d.counters).toMatchObject({ timeZone: 'UTC', timeZoneSource: 'default_invalid_trait', localTime: '22:30' });
        expect(d.chosen.actionId).toBe('do_nothing');
      });
    });

    describe('when the customer writes back at night', () => {
      it('then a reply is not held back: quiet hours are for contacts we start', () => {
        const d = decideAfter([
          ...customer(),
          traitsUpdated('t1', at(2), { timezone: 'Europe/Berlin' }),
          inbound('i1', at(10, 23), { text: 'what are your opening hours' }),
        ]);
        expect(d.chosen).toMatchObject({ actionId: 'kb_opening_hours', channel: 'sms', contactMode: 'reply' });
      });
    });
  });

  describe('channel cap', () => {
    const resolved = (withEmail: boolean): CustomerEvent[] => [
      ...customer({ withEmail }),
      inbound('i1', at(10, 9), { text: 'my parcel never came' }),
      conversationResolved('r1', at(10, 11)),
    ];
    const smsTwoDaysAgo = [pastDecision('retention_offer', at(8, 11), { channel: 'sms' })];

    describe('when an SMS went out two days ago and the customer has an email address', () => {
      const d = decideAfter(resolved(true), { extraDecisions: smsTwoDaysAgo });

      it('then the survey goes by email: one SMS per 7 days', () => {
        expect(channelVerdictOf(d, 'csat_survey', 'sms')).toMatchObject({
          available: false,
          blockedBy: ['cap_reached'],
          cap: { used: 1, max: 1, windowDays: 7 },
        });
        expect(d.chosen).toMatchObject({ actionId: 'csat_survey', channel: 'email' });
        expect(d.counters.channels['sms']).toEqual({ used: 1, max: 1, windowDays: 7 });
        expect(d.counters.total).toEqual({ used: 1, max: 3, windowDays: 7 });
      });
    });

    describe('when the only channel is capped', () => {
      it('then nothing is done', () => {
        expect(decideAfter(resolved(false), { extraDecisions: smsTwoDaysAgo }).chosen.actionId).toBe('do_nothing');
      });
    });

    describe('when the last SMS is more than 7 days old', () => {
      it('then SMS is free again', () => {
        const d = decideAfter(resolved(false), { extraDecisions: [pastDecision('retention_offer', at(3, 10), { channel: 'sms' })] });
        expect(d.chosen).toMatchObject({ actionId: 'csat_survey', channel: 'sms' });
      });
    });

    describe('when three proactive contacts were made this week, on other channels', () => {
      it('then the total cap holds everything back', () => {
        const three = [4, 5, 6].map((day) => pastDecision('retention_offer', at(day), { channel: 'whatsapp' }));
        const d = decideAfter(resolved(true), { extraDecisions: three });
        expect(channelVerdictOf(d, 'csat_survey', 'email')).toMatchObject({
          blockedBy: ['total_cap_reached'],
          totalCap: { used: 3, max: 3, windowDays: 7 },
        });
        expect(d.chosen.actionId).toBe('do_nothing');
      });
    });

    describe('when the earlier contacts were replies', () => {
      it('then they do not count: caps are for contacts we start', () => {
        const d = decideAfter(resolved(false), { extraDecisions: [pastDecision('kb_balance', at(9), { contactMode: 'reply' })] });
        expect(d.counters.channels['sms']!.used).toBe(0);
        expect(d.chosen.channel).toBe('sms');
      });
    });
  });

  describe('cooldown', () => {
    const optedInBuyer = [
      ...customer({ withEmail: true }),
      conversationResolved('r0', at(1, 10), { channel: 'email' as never }),
      ...bigSpender(),
      consentChanged('c1', at(2, 10), 'opted_in', { channel: 'email' as never }),
    ];

    describe('when the customer declined the retention offer ten days ago', () => {
      const first = decideAfter([...optedInBuyer, orderRefunded('rf1', at(3, 11), 'A-1', 10_000)]);
      const history = [
        ...withDecision([...optedInBuyer, orderRefunded('rf1', at(3, 11), 'A-1', 10_000)], first),
        outcomeOf(first, 'declined', at(4)),
      ];

      it('then it is not offered again within 30 days', () => {
        expect(first.chosen.actionId).toBe('retention_offer');
        const d = decideAfter([...history, orderRefunded('rf2', at(14, 11), 'A-1', 5_000)]);
        expect(candidate(d, 'retention_offer').contact!.cooldown).toEqual({
          passed: false,
          lastDecidedAt: at(3, 11),
          lastOutcome: { outcome: 'declined', at: at(4) },
          reason: 'declined',
          until: '2025-04-03T12:00:00.000Z',
        });
        expect(candidate(d, 'retention_offer').rejectedBy).toEqual(['cooldown']);
        expect(d.chosen.actionId).toBe('do_nothing');
      });

      it('then after 30 days it may be offered again', () => {
        const d = decideAfter([...history, orderRefunded('rf2', '2025-04-04T11:00:00.000Z', 'A-1', 5_000)]);
        expect(d.chosen.actionId).toBe('retention_offer');
      });
    });

    describe('when the customer did not respond to an upgrade offer yesterday', () => {
      const ask = (id: string, when: string) => inbound(id, when, { text: 'tell me about your pricing' });
      const first = decideAfter([...customer(), ask('i1', at(9, 10))]);
      const events = [...withDecision([...customer(), ask('i1', at(9, 10))], first), outcomeOf(first, 'no_response', at(9, 13))];

      it('then asking again within 3 days does not bring the offer back', () => {
        expect(first.chosen.actionId).toBe('offer_upgrade');
        const d = decideAfter([...events, ask('i2', at(10, 10))]);
        expect(candidate(d, 'offer_upgrade').contact!.cooldown).toMatchObject({ passed: false, reason: 'no_response', until: at(12, 13) });
        expect(d.chosen.actionId).toBe('do_nothing');
      });

      it('then after 3 days it does', () => {
        expect(decideAfter([...events, ask('i2', at(12, 14))]).chosen.actionId).toBe('offer_upgrade');
      });
    });
  });

  describe('each kind of policy', () => {
    it('eligibility (may we?): the do-nothing fallback is never subject to the shared rules', () => {
      const d = decideAfter([...customer(), inbound('i1', at(10, 11), { text: 'STOP' })]);
      expect(d.defaults.map((p) => [p.policy, p.passed])).toEqual([
        ['eligibility', false],
        ['applicability', true],
        ['suitability', true],
      ]);
      expect(candidate(d, 'do_nothing').rejectedBy).toEqual(['fallback']);
    });

    it('applicability (does it fit now?): an upgrade offer needs buying intent', () => {
      const d = decideAfter([...customer(), inbound('i1', at(10, 11), { text: 'Loved the bottle opener' })]);
      expect(candidate(d, 'offer_upgrade').policies[1]).toMatchObject({
        passed: false,
        rules: [{ id: 'asks-about-plans', passed: false, facts: { 'intent.name': 'none' } }],
      });
      expect(d.chosen.actionId).toBe('do_nothing');
      expect(d.explanation.reason).toBe('no action applies');
    });

    it('suitability (is it in the customer’s interest?): no upsell to a customer with a poor experience', () => {
      const d = decideAfter([
        ...customer(),
        surveyAnswered('s1', at(2), 'csat', 2),
        inbound('i1', at(10, 11), { text: 'what does the upgrade cost' }),
      ]);
      const offer = candidate(d, 'offer_upgrade');
      expect(offer.rejectedBy).toEqual(['suitability']);
      expect(offer.policies[2]!.rules[0]).toEqual({
        id: 'happy-customer',
        rule: 'customer.goodExperience eq true',
        passed: false,
        facts: { 'customer.goodExperience': false },
      });
    });
  });
});

describe('catalog v4: value net of the cost to serve', () => {
  // Orders in the table's currency (USD), a refund (a churn signal) and consent to email: the retention offer's case.
  const refunded = (calls: number): CustomerEvent[] => [
    ...customer({ withEmail: true }),
    conversationResolved('r0', at(1, 10), { channel: 'email' as never }),
    orderPlaced('o1', at(2), 'A-1', 80_000, 'USD'),
    ...Array.from({ length: calls }, (_, i) => inbound(`call-${i}`, at(3, 9 + (i % 8), Math.floor(i / 8)), { channel: 'voice' as never })),
    conversationResolved('r1', at(3, 23), { channel: 'voice' as never }),
    consentChanged('c1', at(4), 'opted_in', { channel: 'email' as never }),
    orderRefunded('rf1', at(10, 11), 'A-1', 20_000, 'USD'),
  ];
  const profitableRule = (events: CustomerEvent[]) => {
    const d = decideAfter(events, { catalog: currentCatalog() });
    const offer = candidate(d, 'retention_offer');
    return { chosen: d.chosen.actionId, rule: offer.score!.context.rules.find((r) => r.rule.includes('customer.profitable')) };
  };

  it('then a customer who brings more than they cost gets the retention offer at full weight', () => {
    const { chosen, rule } = profitableRule(refunded(2));
    expect(chosen).toBe('retention_offer');
    expect(rule).toEqual(expect.objectContaining({ passed: false, weight: 0.5, facts: { 'customer.profitable': true } }));
  });

  it('then for one whose calls cost more than the net revenue, the offer weighs half', () => {
    // 101 calls at 600 cents: 60,600 against 60,000 net.
    const { rule } = profitableRule(refunded(101));
    expect(rule).toEqual(expect.objectContaining({ passed: true, weight: 0.5, facts: { 'customer.profitable': false } }));
  });

  it('then decisions of older catalogs read no cost facts', () => {
    const d = decideAfter(refunded(101), { catalog: catalogV3() });
    expect(Object.keys(d.facts).filter((f) => f.includes('profit') || f.includes('costToServe'))).toEqual([]);
  });
});
