import type { CustomerEvent, NextBestActionDecided } from '@hub/customer';
import { inbound, registered } from '@hub/customer/testing';
import { at, CUSTOMER, decideAfter, TENANT, withDecision } from '../testing/nba.fixtures';
import { contactsCustomer, decideNoResponse, decideOutcome, outcomeEventId } from './outcome-recording';

const asked = (): CustomerEvent[] => [registered(CUSTOMER, at(1, 8)), inbound('m1', at(1, 9), { text: 'How do I reset my password?' })];
const decidedAfterAsking = () => {
  const events = asked();
  const decision = decideAfter(events, { now: at(1, 9, 1) });
  return { decision, events: withDecision(events, decision) };
};
const cmd = (decisionId: string, o: Partial<Parameters<typeof decideOutcome>[1]> = {}) => ({
  tenantId: TENANT,
  customerId: CUSTOMER,
  decisionId,
  outcome: 'accepted' as const,
  source: 'agent',
  now: at(1, 10),
  ...o,
});

describe('decideOutcome', () => {
  describe('when the decision contacted the customer and has no outcome yet', () => {
    it('records the outcome with the action, segment and channel of the decision, under an id derived from it', () => {
      const { decision, events } = decidedAfterAsking();
      const r = decideOutcome(events, cmd(decision.decisionId));
      expect(r.kind).toBe('record');
      const event = (r as { event: { data: unknown; metadata: { eventId: string; causationId: string; occurredAt: string } } }).event;
      expect(event.data).toEqual({
        decisionId: decision.decisionId,
        actionId: 'kb_password_reset',
        outcome: 'accepted',
        segment: decision.segment,
        channel: 'sms',
        source: 'agent',
      });
      expect(event.metadata).toEqual(
        expect.objectContaining({
          eventId: outcomeEventId(TENANT, CUSTOMER, decision.decisionId),
          causationId: decision.decisionId,
          occurredAt: at(1, 10),
          correlationId: 'corr',
        }),
      );
    });
  });

  describe('when the decision is not in the stream', () => {
    it('says so', () => {
      expect(decideOutcome(asked(), cmd('nope'))).toEqual({ kind: 'unknown_decision' });
    });
  });

  describe('when an outcome was recorded already', () => {
    it('keeps the first one', () => {
      const { decision, events } = decidedAfterAsking();
      const first = decideOutcome(events, cmd(decision.decisionId, { outcome: 'declined' }));
      const after = [...events, (first as { event: CustomerEvent }).event];
      expect(decideOutcome(after, cmd(decision.decisionId))).toEqual({
        kind: 'already_recorded',
        outcome: 'declined',
        eventId: outcomeEventId(TENANT, CUSTOMER, decision.decisionId),
        at: at(1, 10),
      });
    });
  });

  describe('when the decision was to do nothing', () => {
    it('has nothing to accept or decline', () => {
      const events: CustomerEvent[] = [registered(CUSTOMER, at(1, 8)), inbound('m1', at(1, 9), { text: 'ok' })];
      const decision = decideAfter(events, { now: at(1, 9, 1) });
      expect(decision.chosen.kind).toBe('none');
      const withIt = withDecision(events, decision);
      expect(contactsCustomer(withIt.at(-1) as NextBestActionDecided)).toBe(false);
      expect(decideOutcome(withIt, cmd(decision.decisionId))).toEqual({ kind: 'no_contact' });
    });
  });
});

describe('decideNoResponse', () => {
  const noResponse = (decisionId: string, now: string) => ({ tenantId: TENANT, customerId: CUSTOMER, decisionId, now, afterHours: 72 });

  describe('when the timeout passed without an outcome or a message from the customer', () => {
    it('records no_response from the timeout', () => {
      const { decision, events } = decidedAfterAsking();
      const r = decideNoResponse(events, noResponse(decision.decisionId, at(4, 9, 1)));
      expect(r.kind).toBe('record');
      expect((r as { event: { data: unknown } }).event.data).toEqual(
        expect.objectContaining({ outcome: 'no_response', source: 'timeout', actionId: 'kb_password_reset' }),
      );
    });
  });

  describe('when the timeout has not passed yet', () => {
    it('says when it is due', () => {
      const { decision, events } = decidedAfterAsking();
      expect(decideNoResponse(events, noResponse(decision.decisionId, at(4, 9)))).toEqual({ kind: 'not_yet_due', dueAt: at(4, 9, 1) });
    });
  });

  describe('when the customer wrote after the decision', () => {
    it('records nothing: they responded', () => {
      const { decision, events } = decidedAfterAsking();
      const replied = [...events, inbound('m2', at(2, 9), { text: 'thanks, done' })];
      expect(decideNoResponse(replied, noResponse(decision.decisionId, at(5, 9)))).toEqual({ kind: 'customer_replied', at: at(2, 9) });
    });
  });

  describe('when the customer wrote only after the window (the check ran late)', () => {
    it('records no_response all the same: a late message answers nothing', () => {
      const { decision, events } = decidedAfterAsking();
      const late = [...events, inbound('m2', at(4, 10), { text: 'sorry, was away' })];
      const r = decideNoResponse(late, noResponse(decision.decisionId, at(4, 11)));
      expect(r.kind).toBe('record');
      expect((r as { event: { data: { outcome: string } } }).event.data.outcome).toBe('no_response');
    });
  });

  describe('when an outcome came first', () => {
    it('records nothing', () => {
      const { decision, events } = decidedAfterAsking();
      const accepted = decideOutcome(events, cmd(decision.decisionId));
      const after = [...events, (accepted as { event: CustomerEvent }).event];
      expect(decideNoResponse(after, noResponse(decision.decisionId, at(5, 9))).kind).toBe('already_recorded');
    });
  });
});
