import { isAllowedWebhookUrl, isEventTypePattern, matchesEventType } from './webhook-subscription';

describe('event-type patterns', () => {
  it.each([
    [['*'], 'decision.made', true],
    [['decision.made'], 'decision.made', true],
    [['work_item.*'], 'work_item.resolved', true],
    [['work_item.*'], 'decision.made', false],
    [['customer.*'], 'customers.merged', false],
    [['customer.erased', 'customers.merged'], 'customers.merged', true],
    [[], 'decision.made', false],
  ] as const)('%j takes %s: %s', (patterns, type, expected) => {
    expect(matchesEventType(patterns, type)).toBe(expected);
  });

  it('accepts a type, a family with types, or *; nothing else', () => {
    expect(['*', 'work_item.*', 'customer.*', 'decision.made'].every(isEventTypePattern)).toBe(true);
    expect(['nope.*', 'decision', 'work_item.closed', '', 'work_item.**'].some(isEventTypePattern)).toBe(false);
  });
});

describe('endpoint URLs', () => {
  it('takes https anywhere', () => {
    expect(isAllowedWebhookUrl('https://platform.example/hooks?x=1', false)).toBe(true);
  });

  it('takes http only to a loopback host, and only when allowed', () => {
    expect(isAllowedWebhookUrl('http://127.0.0.1:4000/hook', true)).toBe(true);
    expect(isAllowedWebhookUrl('http://localhost:4000/hook', true)).toBe(true);
    expect(isAllowedWebhookUrl('http://127.0.0.1:4000/hook', false)).toBe(false);
    expect(isAllowedWebhookUrl('http://platform.example/hook', true)).toBe(false);
  });

  it('refuses other schemes, credentials in the URL and what is no URL', () => {
    expect(isAllowedWebhookUrl('ftp://platform.example/', true)).toBe(false);
    expect(isAllowedWebhookUrl('https://user:pw@platform.example/', true)).toBe(false);
    expect(isAllowedWebhookUrl('not a url', true)).toBe(false);
  });
});
