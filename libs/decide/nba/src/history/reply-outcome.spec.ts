import type { ChannelId } from '@hub/contracts';
import type { CustomerEvent, NbaActionKind, NextBestActionDecided } from '@hub/customer';
import { inbound, meta, orderPlaced, registered } from '@hub/customer/testing';
import { catalogV3 } from '../catalog/load-catalog';
import { at, CUSTOMER, TENANT } from '../testing/nba.fixtures';
import { contactHistoryFrom } from './contact-history';
import { outcomeEventId } from './outcome-recording';
import {
  decideReplyOutcome,
  keywordAnswer,
  mayAnswerDecision,
  nbaReplyId,
  outcomeOfReply,
  parseNbaReplyId,
  type ReplyOutcomeRules,
} from './reply-outcome';

const WHATSAPP = 'whatsapp' as ChannelId;
const DECISION = '0f8c3a52-6c1e-5d6b-9a43-2f7e1c9b8d10';
const rules: ReplyOutcomeRules = { windowHours: 72, keywords: catalogV3().outcomeKeywords ?? [] };

function decided(
  decisionId: string,
  when: string,
  o: { kind?: NbaActionKind; code?: string; channel?: ChannelId; contactMode?: 'reply' | 'proactive' | 'none' } = {},
): NextBestActionDecided {
  const kind = o.kind ?? 'offer';
  const contactMode = o.contactMode ?? (kind === 'none' ? 'none' : 'proactive');
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId,
      customerId: CUSTOMER,
      action: { kind, code: o.code ?? 'offer_upgrade', ...(kind === 'none' ? {} : { channel: o.channel ?? WHATSAPP }), detail: 'x' },
      contactMode,
      explanation: { ruleId: 'r', reason: 'r', inputs: {} },
      strategyVersion: 'nba-engine-v1',
      catalogVersion: '2026.12-2',
      seed: 1,
      basedOnRevision: '0',
      basedOnEventId: 'trigger',
      segment: 'loyal',
    },
    metadata: { ...meta(decisionId, when), correlationId: `corr-${decisionId}` },
  };
}

const button = (eventId: string, when: string, id: string, channel: ChannelId = WHATSAPP): CustomerEvent => {
  const e = inbound(eventId, when, { channel, text: 'Yes please' });
  return { ...e, data: { ...e.data, interactive: { type: 'button', id, title: 'Yes please' } } };
};

const offered = (): CustomerEvent[] => [registered(CUSTOMER, at(1, 8)), decided(DECISION, at(1, 9))];

describe('the reply id a decision’s buttons carry', () => {
  it('names the decision and the answer, and reads back', () => {
    expect(nbaReplyId(DECISION, 'accept')).toBe(`nba:${DECISION}:accept`);
    expect(Buffer.byteLength(nbaReplyId(DECISION, 'decline'))).toBeLessThanOrEqual(64);
    expect(parseNbaReplyId(nbaReplyId(DECISION, 'decline'))).toEqual({ decisionId: DECISION, answer: 'decline' });
  });

  it('is not any other id', () => {
    for (const id of ['', 'nba', `nba:${DECISION}`, `nba:${DECISION}:maybe`, `xnba:${DECISION}:accept`, 'shop:123:accept'])
      expect(parseNbaReplyId(id)).toBeUndefined();
  });
});

describe('outcomeOfReply', () => {
  describe('when the customer presses a button that names an open decision within its window', () => {
    it('then the reply accepts (or declines) that decision, source reply', () => {
      const history = contactHistoryFrom(offered());
      const accept = outcomeOfReply(history, button('b1', at(2, 9), nbaReplyId(DECISION, 'accept')), rules);
      expect(accept).toEqual({ kind: 'answers', decision: history.decisions[0], outcome: 'accepted', source: 'reply' });
      const decline = outcomeOfReply(history, button('b1', at(2, 9), nbaReplyId(DECISION, 'decline')), rules);
      expect(decline).toEqual(expect.objectContaining({ outcome: 'declined', source: 'reply' }));
    });
  });

  describe('when the button names a decision the customer does not have, or one already answered', () => {
    it('then it answers nothing', () => {
      const history = contactHistoryFrom(offered());
      const other = outcomeOfReply(history, button('b1', at(2, 9), nbaReplyId('another-decision', 'accept')), rules);
      expect(other).toEqual({ kind: 'none', reason: 'unknown_decision' });
      const answered = contactHistoryFrom([
        ...offered(),
        {
          type: 'NbaOutcomeRecorded',
          data: { decisionId: DECISION, actionId: 'offer_upgrade', outcome: 'declined', segment: 'loyal', source: 'api' },
          metadata: meta('o1', at(1, 10)),
        },
      ]);
      expect(outcomeOfReply(answered, button('b1', at(2, 9), nbaReplyId(DECISION, 'accept')), rules)).toEqual({
        kind: 'none',
        reason: 'not_open',
      });
    });
  });

  describe('when the provider stamped the press before the decision (whole seconds, its own clock)', () => {
    it('then the button still answers the decision it names; a keyword that early answers nothing', () => {
      const events = [registered(CUSTOMER, at(1, 8)), decided(DECISION, '2025-03-01T09:00:00.640Z')];
      const history = contactHistoryFrom(events);
      const pressed = outcomeOfReply(history, button('b1', '2025-03-01T09:00:00.000Z', nbaReplyId(DECISION, 'accept')), rules);
      expect(pressed).toEqual(expect.objectContaining({ kind: 'answers', outcome: 'accepted', source: 'reply' }));
      const typed = outcomeOfReply(history, inbound('k1', '2025-03-01T09:00:00.000Z', { channel: WHATSAPP, text: 'yes' }), rules);
      expect(typed).toEqual({ kind: 'none', reason: 'no_open_decision' });
    });
  });

  describe('when the reply comes after the decision’s window', () => {
    it('then it answers nothing: the decision stays no response', () => {
      const history = contactHistoryFrom(offered());
      const late = outcomeOfReply(history, button('b1', at(4, 9, 1), nbaReplyId(DECISION, 'accept')), rules);
      expect(late).toEqual({ kind: 'none', reason: 'outside_window' });
      expect(outcomeOfReply(history, inbound('k1', at(4, 9, 1), { channel: WHATSAPP, text: 'yes' }), rules)).toEqual({
        kind: 'none',
        reason: 'no_open_decision',
      });
    });
  });

  describe('when the customer writes a keyword of the catalog on the decision’s channel', () => {
    it('then it answers the latest open decision on that channel, whatever the case and trailing punctuation', () => {
      const events = [...offered(), decided('d-sms', at(1, 10), { channel: 'sms' }), decided('d-wa-2', at(1, 11))];
      const history = contactHistoryFrom(events);
      const yes = outcomeOfReply(history, inbound('k1', at(1, 12), { channel: WHATSAPP, text: '  Ja! ' }), rules);
      expect(yes).toEqual(expect.objectContaining({ kind: 'answers', outcome: 'accepted', source: 'keyword' }));
      expect((yes as { decision: { decisionId: string } }).decision.decisionId).toBe('d-wa-2');
      const no = outcomeOfReply(history, inbound('k2', at(1, 12), { channel: 'sms', text: 'no thanks.' }), rules);
      expect(no).toEqual(expect.objectContaining({ outcome: 'declined', source: 'keyword' }));
      expect((no as { decision: { decisionId: string } }).decision.decisionId).toBe('d-sms');
    });

    it('then a longer message, a consent keyword or a catalog without keywords answers nothing', () => {
      const history = contactHistoryFrom(offered());
      const say = (text: string, r: ReplyOutcomeRules = rules) =>
        outcomeOfReply(history, inbound('k1', at(1, 12), { channel: WHATSAPP, text }), r);
      expect(say('yes, but what does it cost?')).toEqual({ kind: 'none', reason: 'not_a_reply' });
      expect(say('STOP')).toEqual({ kind: 'none', reason: 'not_a_reply' });
      expect(say('yes', { windowHours: 72 })).toEqual({ kind: 'none', reason: 'not_a_reply' });
      expect(keywordAnswer(rules.keywords!, 'HELP')).toBeUndefined();
    });
  });

  describe('when the customer orders within the window of an open offer', () => {
    it('then the order accepts the latest open offer, source order; a service decision is not an offer', () => {
      const events = [...offered(), decided('d-service', at(1, 10), { kind: 'service', code: 'kb_order_tracking' })];
      const history = contactHistoryFrom(events);
      const r = outcomeOfReply(history, orderPlaced('o1', at(2, 9), 'A-1', 50_00), rules);
      expect(r).toEqual(expect.objectContaining({ kind: 'answers', outcome: 'accepted', source: 'order' }));
      expect((r as { decision: { decisionId: string } }).decision.decisionId).toBe(DECISION);
      const noOffer = contactHistoryFrom([registered(CUSTOMER, at(1, 8)), decided('d-service', at(1, 10), { kind: 'service' })]);
      expect(outcomeOfReply(noOffer, orderPlaced('o1', at(2, 9), 'A-1', 50_00), rules)).toEqual({
        kind: 'none',
        reason: 'no_open_decision',
      });
    });
  });

  describe('when the decision contacted nobody', () => {
    it('then there is nothing to answer', () => {
      const history = contactHistoryFrom([registered(CUSTOMER, at(1, 8)), decided('d-none', at(1, 9), { kind: 'none' })]);
      expect(outcomeOfReply(history, button('b1', at(1, 10), nbaReplyId('d-none', 'accept')), rules)).toEqual({
        kind: 'none',
        reason: 'not_open',
      });
    });
  });
});

describe('mayAnswerDecision (the worker’s filter before reading any history)', () => {
  it('passes hub reply ids, keywords and orders, and nothing else', () => {
    const keywords = rules.keywords!;
    expect(mayAnswerDecision(button('b1', at(1, 10), nbaReplyId(DECISION, 'accept')), keywords)).toBe(true);
    expect(mayAnswerDecision(inbound('k1', at(1, 10), { text: 'Oui' }), keywords)).toBe(true);
    expect(mayAnswerDecision(inbound('k1', at(1, 10), { text: 'Oui' }), [])).toBe(false);
    expect(mayAnswerDecision(inbound('m1', at(1, 10), { text: 'where is my order?' }), keywords)).toBe(false);
    expect(mayAnswerDecision(orderPlaced('o1', at(1, 10), 'A-1', 1), keywords)).toBe(true);
  });
});

describe('decideReplyOutcome', () => {
  describe('given the reply in the stream after an open decision', () => {
    it('then it records the outcome under the decision’s outcome id, caused by the reply, as of the reply', () => {
      const events = [...offered(), button('b1', at(2, 9), nbaReplyId(DECISION, 'accept'))];
      const r = decideReplyOutcome(events, { tenantId: TENANT, customerId: CUSTOMER, eventId: 'b1', now: at(2, 9, 1) }, rules);
      expect(r).toEqual({
        kind: 'record',
        event: {
          type: 'NbaOutcomeRecorded',
          data: {
            decisionId: DECISION,
            actionId: 'offer_upgrade',
            outcome: 'accepted',
            segment: 'loyal',
            channel: 'whatsapp',
            source: 'reply',
          },
          metadata: expect.objectContaining({
            eventId: outcomeEventId(TENANT, CUSTOMER, DECISION),
            causationId: 'b1',
            correlationId: 'b1',
            occurredAt: at(2, 9),
            recordedAt: at(2, 9, 1),
            channel: 'system',
          }),
        },
      });
    });
  });

  describe('given the outcome recorded already (a redelivery of the reply, or a person first)', () => {
    it('then the first outcome stands', () => {
      const events = [...offered(), button('b1', at(2, 9), nbaReplyId(DECISION, 'accept'))];
      const cmd = { tenantId: TENANT, customerId: CUSTOMER, eventId: 'b1', now: at(2, 9, 1) };
      const first = decideReplyOutcome(events, cmd, rules);
      const after = [...events, (first as { event: CustomerEvent }).event];
      expect(decideReplyOutcome(after, cmd, rules)).toEqual({
        kind: 'already_recorded',
        decisionId: DECISION,
        outcome: 'accepted',
        eventId: outcomeEventId(TENANT, CUSTOMER, DECISION),
      });
    });
  });

  describe('given a decision made after the reply', () => {
    it('then the reply does not answer it (only decisions before it are read)', () => {
      const events = [
        registered(CUSTOMER, at(1, 8)),
        inbound('k1', at(1, 9), { channel: WHATSAPP, text: 'yes' }),
        decided(DECISION, at(1, 10)),
      ];
      const cmd = { tenantId: TENANT, customerId: CUSTOMER, eventId: 'k1', now: at(1, 11) };
      expect(decideReplyOutcome(events, cmd, rules)).toEqual({ kind: 'none', reason: 'no_open_decision' });
      expect(decideReplyOutcome(events, { ...cmd, eventId: 'nope' }, rules)).toEqual({ kind: 'unknown_event' });
    });
  });
});
