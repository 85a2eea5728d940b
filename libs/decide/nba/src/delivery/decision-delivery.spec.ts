import { conversationResolved, email, inbound, phone, registered, surveyAnswered } from '@hub/customer/testing';
import {
  foldCustomer,
  type CustomerEvent,
  type NbaCandidate,
  type NbaChannelBlock,
  type NbaTriggerRef,
  type NextBestActionDecided,
} from '@hub/customer';
import { catalogV1 } from '../catalog/load-catalog';
import { decide } from '../engine/decide';
import { decidedEvent } from '../engine/decided-event';
import { buildDecisionInput } from '../engine/decision-input';
import { reproduceDecision, type StreamEvent } from '../explain/reproduce-decision';
import { at, CUSTOMER, decideAfter, TENANT } from '../testing/nba.fixtures';
import { storedAndRead } from '../testing/recorded-stream';
import { channelAddress, decisionTriggers, pendingTriggersAfter, type DecisionDelivery } from './decision-delivery';
import { noActionReason } from './no-action-reason';

const ref = (e: CustomerEvent): NbaTriggerRef => ({ eventId: e.metadata.eventId, type: e.type, occurredAt: e.metadata.occurredAt });
const pendingAfter = (events: readonly CustomerEvent[]) => events.reduce(pendingTriggersAfter, [] as readonly NbaTriggerRef[]);

describe('the triggers a decision folds', () => {
  const [m1, m2, m3] = [inbound('m1', at(3, 10)), inbound('m2', at(3, 10, 1)), inbound('m3', at(3, 10, 2))];

  describe('when three messages arrive before a decision', () => {
    it('names all three, in order, for the decision answering the last', () => {
      expect(decisionTriggers(pendingAfter([registered(CUSTOMER, at(1)), m1, m2, m3]), m3)).toEqual([ref(m1), ref(m2), ref(m3)]);
    });
  });

  describe('when an earlier decision answered the first', () => {
    it('names only those after it', () => {
      const first = decidedEvent(decideAfter([m1]), 'corr', { triggers: [ref(m1)] });
      expect(decisionTriggers(pendingAfter([m1, first, m2, m3]), m3)).toEqual([ref(m2), ref(m3)]);
    });
  });

  describe('when the decision answers an event that is no pending real-time trigger (a resolution, a scan)', () => {
    it('names that event alone, and leaves the pending ones to the real-time decision', () => {
      const resolved = conversationResolved('r1', at(3, 11));
      const pending = pendingAfter([m1, resolved]);
      expect(decisionTriggers(pending, resolved)).toEqual([ref(resolved)]);
      expect(pending).toEqual([ref(m1)]);
    });
  });

  it('counts survey answers and refunds as triggers, and not what never calls for a decision', () => {
    const s = surveyAnswered('s1', at(4), 'csat', 2);
    expect(pendingAfter([registered(CUSTOMER, at(1)), s])).toEqual([ref(s)]);
  });
});

describe('the address of the chosen channel', () => {
  const state = foldCustomer([
    registered(CUSTOMER, at(1), phone('+14155550100')),
    inbound('e1', at(2), { channel: 'email', identities: [email('ana@example.com')] }),
    inbound('t1', at(2, 13), { channel: 'telegram', identities: [{ kind: 'handle', namespace: 'telegram', value: '123456789' }] }),
    inbound('s2', at(3), { identities: [phone('+14155550199')] }),
  ]);

  it('is the phone number for SMS, WhatsApp and voice: the one the customer gained last', () => {
    for (const channel of ['sms', 'whatsapp', 'voice'] as const)
      expect(channelAddress(state, channel)).toEqual({ channel, kind: 'phone', value: '+14155550199' });
  });

  it('is the email address for email, and the handle in the channel’s namespace for a messenger', () => {
    expect(channelAddress(state, 'email')).toEqual({ channel: 'email', kind: 'email', value: 'ana@example.com' });
    expect(channelAddress(state, 'telegram')).toEqual({ channel: 'telegram', kind: 'handle', namespace: 'telegram', value: '123456789' });
  });

  it('is absent for a channel nobody is addressed on, one the customer has no identity for, and no channel', () => {
    expect(channelAddress(state, 'survey')).toBeUndefined();
    expect(channelAddress(state, 'messenger')).toBeUndefined();
    expect(channelAddress(state, null)).toBeUndefined();
    expect(channelAddress({ ...state, identities: [] }, 'sms')).toBeUndefined();
  });
});

describe('why a decision contacts nobody', () => {
  const nothing = decideAfter([registered(CUSTOMER, at(1)), inbound('m1', at(3, 10), { text: 'ok' })]);
  const held = (rejectedBy: NbaCandidate['rejectedBy'], blockedBy: NbaChannelBlock[][] = []): NbaCandidate => ({
    ...nothing.candidates.find((c) => c.kind !== 'none')!,
    survived: false,
    rejectedBy,
    contact: {
      mode: 'proactive',
      passed: false,
      cooldown: { passed: true, lastDecidedAt: null, lastOutcome: null, reason: null, until: null },
      channels: blockedBy.map((blocks, i) => ({
        channel: ['sms', 'email'][i]!,
        available: false,
        blockedBy: blocks,
        consent: { status: null, required: 'opted_in' },
      })),
      channel: null,
    },
  });
  const withCandidates = (candidates: NbaCandidate[]) => ({ ...nothing, candidates });

  it('is no eligible action when none passed the policies', () => {
    expect(nothing.chosen.kind).toBe('none');
    expect(noActionReason(nothing)).toBe('no_eligible_action');
  });

  it('is missing consent when every action that applied could reach the customer only without it', () => {
    expect(noActionReason(withCandidates([held(['no_channel'], [['no_opt_in'], ['opted_out', 'channel_disabled']])]))).toBe(
      'consent_missing',
    );
  });

  it('is the contact policy when a cooldown, a cap or quiet hours held one back', () => {
    expect(noActionReason(withCandidates([held(['no_channel'], [['no_opt_in'], ['quiet_hours']])]))).toBe('contact_policy');
    expect(noActionReason(withCandidates([held(['cooldown'])]))).toBe('contact_policy');
  });

  it('is the minimum priority when every one that applied scored below it', () => {
    expect(noActionReason(withCandidates([held(['below_min_priority'])]))).toBe('below_min_priority');
  });

  it('is none for a decision that contacts the customer', () => {
    const reply = decideAfter([registered(CUSTOMER, at(1)), inbound('m1', at(3, 10), { text: 'How do I reset my password?' })]);
    expect(reply.chosen.kind).not.toBe('none');
    expect(noActionReason(reply)).toBeUndefined();
  });
});

describe('a decision recorded with what a platform acts on', () => {
  const events: StreamEvent[] = [];
  const append = (e: CustomerEvent) => events.push({ revision: BigInt(events.length), event: storedAndRead(e) });
  append(registered(CUSTOMER, at(1), phone()));
  append(inbound('m1', at(3, 10), { text: 'hi' }));
  append(inbound('m2', at(3, 10, 1), { text: 'How do I reset my password?' }));
  const input = buildDecisionInput({
    tenantId: TENANT,
    customerId: CUSTOMER,
    events: events.map((e) => e.event),
    revision: BigInt(events.length - 1),
    catalog: catalogV1(),
    outcomes: {},
    now: at(3, 10, 2),
  })!;
  const decision = decide(input);
  const delivery: DecisionDelivery = {
    triggers: decisionTriggers(pendingAfter(events.map((e) => e.event)), input.trigger),
    address: channelAddress(input.state, decision.chosen.channel)!,
  };
  const decided = storedAndRead(decidedEvent(decision, 'corr', delivery));

  it('carries every trigger, the address and no no-action reason', () => {
    expect(decided.data.triggers?.map((t) => t.eventId)).toEqual(['m1', 'm2']);
    expect(decided.data.address).toEqual({ channel: 'sms', kind: 'phone', value: '+14155550100' });
    expect(decided.data).not.toHaveProperty('noAction');
  });

  it('reproduces bit for bit, the triggers and address recomputed from the stream', () => {
    expect(reproduceDecision({ decided, tenantId: TENANT, customerId: CUSTOMER, stream: events }).differences).toEqual([]);
  });

  it('shows a recorded trigger list or address that the stream does not give as a difference', () => {
    const tampered: NextBestActionDecided = storedAndRead(decided);
    tampered.data.triggers = tampered.data.triggers!.slice(1);
    tampered.data.address = { ...tampered.data.address!, value: '+14155550111' };
    const paths = reproduceDecision({ decided: tampered, tenantId: TENANT, customerId: CUSTOMER, stream: events }).differences.map(
      (d) => d.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['triggers.0.eventId', 'address.value']));
  });
});
