import { parseDecisionMessage } from './decision.consumer';

const decision = {
  decisionId: '8b1f6c6e-2d0b-5b7c-9a43-0f4d3f2b8a10',
  tenantId: 'acme',
  customerId: 'c-1',
  action: { kind: 'survey', code: 'csat_survey', channel: 'sms', detail: 'ask how the call went' },
  contactMode: 'proactive',
  explanation: { ruleId: 'r1', reason: 'a resolved conversation' },
  strategyVersion: 'nba-v3',
  catalogVersion: 'catalog-1',
  decidedAt: '2026-12-07T10:00:00.000Z',
  basedOnEventId: 'e-1',
  basedOnRevision: '4',
  streamRevision: '5',
  globalPosition: '1234',
  correlationId: 'e-1',
};
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('a decision message read off the topic', () => {
  it('is a decision when it carries what a sender acts on', () => {
    expect(parseDecisionMessage(bytes(decision))).toEqual({ ok: true, decision });
  });

  it.each([
    ['no value', undefined, 'empty value'],
    ['an empty value', Buffer.alloc(0), 'empty value'],
    ['text that is not JSON', bytes('{"decisionId":'), 'not JSON'],
    ['a JSON array', bytes([decision]), 'not a JSON object'],
    ['no decision id', bytes({ ...decision, decisionId: '' }), 'no decisionId'],
    ['no action code', bytes({ ...decision, action: { kind: 'survey' } }), 'no action'],
    ['neither tenant nor customer', bytes({ ...decision, tenantId: 1, customerId: null }), 'no tenantId, customerId'],
  ])('is none with %s', (_what, value, reason) => {
    const parsed = parseDecisionMessage(value);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});
