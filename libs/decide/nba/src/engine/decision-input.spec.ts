import { foldCustomer } from '@hub/customer';
import { conversationResolved, inbound, phone, registered, surveyAnswered } from '@hub/customer/testing';
import { catalogV1 } from '../catalog/load-catalog';
import { contactHistoryFrom } from '../history/contact-history';
import { at, CUSTOMER, TENANT } from '../testing/nba.fixtures';
import { decisionSeed } from './decided-event';
import { buildDecisionInput, type DecisionInputSource } from './decision-input';

const events = [
  registered(CUSTOMER, at(1, 9), phone()),
  inbound('i1', at(2, 10), { text: 'where is my order' }),
  conversationResolved('r1', at(2, 12)),
  surveyAnswered('s1', at(3, 9), 'csat', 4),
];
const source: DecisionInputSource = {
  tenantId: TENANT,
  customerId: CUSTOMER,
  events,
  revision: 3n,
  catalog: catalogV1(),
  outcomes: {},
  now: at(3, 9, 1),
};

describe('the input of a decision', () => {
  describe('when no trigger is named', () => {
    const input = buildDecisionInput(source)!;

    it('then it answers the latest triggering event, with the seed derived from it', () => {
      expect(input.trigger.metadata.eventId).toBe('s1');
      expect(input.seed).toBe(decisionSeed(TENANT, CUSTOMER, 's1'));
    });

    it('then the state and the contact history are folded from the events, as of the revision given', () => {
      expect(input).toMatchObject({ stateRevision: '3', now: at(3, 9, 1), tenantId: TENANT, customerId: CUSTOMER });
      expect(input.state).toEqual(foldCustomer(events));
      expect(input.history).toEqual(contactHistoryFrom(events));
      expect(input).not.toHaveProperty('enabledChannels');
    });
  });

  describe('when a trigger is named', () => {
    it('then that event is answered, whatever its type or the case of its id', () => {
      expect(buildDecisionInput({ ...source, triggerEventId: 'R1' })!.trigger.metadata.eventId).toBe('r1');
      expect(buildDecisionInput({ ...source, triggerEventId: 'reg-c-1' })!.trigger.type).toBe('CustomerRegistered');
    });

    it('then an id that is not among the events gives nothing to decide', () => {
      expect(buildDecisionInput({ ...source, triggerEventId: 'elsewhere' })).toBeUndefined();
    });
  });

  describe('when nothing in the events calls for a decision', () => {
    it('then there is no input', () => {
      expect(buildDecisionInput({ ...source, events: events.slice(0, 1), revision: 0n })).toBeUndefined();
    });
  });

  describe('when the caller has folded the events already', () => {
    it('then its folds are used as they are', () => {
      const folded = { state: foldCustomer(events), history: contactHistoryFrom(events) };
      const input = buildDecisionInput({ ...source, folded, seed: 7 })!;
      expect(input.state).toBe(folded.state);
      expect(input.history).toBe(folded.history);
      expect(input.seed).toBe(7);
    });
  });
});
