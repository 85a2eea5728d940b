import type { CustomerEvent } from '@hub/customer';
import { inbound, registered } from '@hub/customer/testing';
import { at, CUSTOMER, decideAfter, TENANT, withDecision } from '../testing/nba.fixtures';
import { outcomeEventId } from './outcome-recording';
import { decideClickOutcome, signTrackingLink, verifyTrackingLink, type TrackingLink } from './tracking-link';

const KEY = 'k'.repeat(32);
const link: TrackingLink = { tenantId: TENANT, customerId: CUSTOMER, decisionId: 'd-1', target: 'https://shop.example/upgrade?plan=pro' };

describe('tracking links', () => {
  describe('given a link signed with the key', () => {
    it('then the token reads back as the same link, and is URL-safe', () => {
      const token = signTrackingLink(link, KEY);
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(verifyTrackingLink(token, KEY)).toEqual({ ok: true, link });
    });
  });

  describe('given a token changed in any way, or signed with another key', () => {
    it('then it is forged', () => {
      const token = signTrackingLink(link, KEY);
      const [payload, sig] = token.split('.') as [string, string];
      const other = signTrackingLink({ ...link, target: 'https://evil.example/' }, KEY).split('.')[0]!;
      expect(verifyTrackingLink(`${other}.${sig}`, KEY)).toEqual({ ok: false, reason: 'forged' });
      expect(verifyTrackingLink(token, 'x'.repeat(32))).toEqual({ ok: false, reason: 'forged' });
      expect(verifyTrackingLink(`${payload}.${sig.slice(0, -2)}`, KEY)).toEqual({ ok: false, reason: 'forged' });
    });
  });

  describe('given something that is not a token', () => {
    it('then it is malformed', () => {
      for (const t of ['', 'abc', 'a.b.c', 'a+b.c', `${'a'.repeat(5000)}.b`])
        expect(verifyTrackingLink(t, KEY)).toEqual({ ok: false, reason: 'malformed' });
    });
  });

  describe('given a target that is not an absolute http(s) URL, or a short key', () => {
    it('then no link is signed', () => {
      expect(() => signTrackingLink({ ...link, target: 'javascript:alert(1)' }, KEY)).toThrow(RangeError);
      expect(() => signTrackingLink({ ...link, target: '/relative' }, KEY)).toThrow(RangeError);
      expect(() => signTrackingLink(link, 'short')).toThrow(RangeError);
    });
  });
});

describe('decideClickOutcome', () => {
  const decided = () => {
    const events: CustomerEvent[] = [registered(CUSTOMER, at(1, 8)), inbound('m1', at(1, 9), { text: 'How do I reset my password?' })];
    const decision = decideAfter(events, { now: at(1, 9, 1) });
    return { decision, events: withDecision(events, decision) };
  };
  const cmd = (decisionId: string, now: string) => ({ tenantId: TENANT, customerId: CUSTOMER, decisionId, now, windowHours: 72 });

  describe('when the customer clicks within the decision’s window', () => {
    it('then the decision is accepted, source click, under its outcome id', () => {
      const { decision, events } = decided();
      const r = decideClickOutcome(events, cmd(decision.decisionId, at(2, 9)));
      expect(r.kind).toBe('record');
      const event = (r as Extract<typeof r, { kind: 'record' }>).event;
      expect(event.data).toEqual(expect.objectContaining({ outcome: 'accepted', source: 'click' }));
      expect(event.metadata.eventId).toBe(outcomeEventId(TENANT, CUSTOMER, decision.decisionId));
    });
  });

  describe('when the click comes after the window', () => {
    it('then nothing is recorded: the decision stays no response', () => {
      const { decision, events } = decided();
      expect(decideClickOutcome(events, cmd(decision.decisionId, at(4, 9, 2)))).toEqual({ kind: 'outside_window' });
    });
  });

  describe('when the decision is unknown', () => {
    it('then it says so', () => {
      expect(decideClickOutcome(decided().events, cmd('nope', at(2, 9)))).toEqual({ kind: 'unknown_decision' });
    });
  });
});
