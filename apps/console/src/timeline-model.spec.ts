import type { TimelineEntry } from './hub-types';
import { asOfStops, channelLook, entryLine, groupByConversation, searchParams, withEntries } from './timeline-model';

const entry = (eventId: string, channel: string, occurredAt: string, threadId?: string): TimelineEntry => ({
  eventId,
  customerId: 'c-1',
  occurredAt,
  recordedAt: occurredAt,
  channel,
  direction: 'inbound',
  kind: 'message',
  text: eventId,
  ...(threadId ? { threadId } : {}),
});

describe('the timeline grouped by conversation', () => {
  it('when entries of two channels interleave, groups each thread, oldest first inside, latest thread first', () => {
    const groups = groupByConversation([
      entry('a', 'sms', '2026-01-01T10:00:00Z'),
      entry('b', 'webchat', '2026-01-01T11:00:00Z', 's1'),
      entry('c', 'sms', '2026-01-01T09:00:00Z'),
    ]);
    expect(groups.map((g) => [g.key, g.entries.map((e) => e.eventId)])).toEqual([
      ['webchat:s1', ['b']],
      ['sms:', ['c', 'a']],
    ]);
  });

  it('when the live stream redelivers an entry, keeps it once', () => {
    const first = [entry('a', 'sms', '2026-01-01T10:00:00Z')];
    expect(
      withEntries(first, [
        entry('a', 'sms', '2026-01-01T10:00:00Z'),
        entry('b', 'sms', '2026-01-01T10:01:00Z'),
        entry('b', 'sms', '2026-01-01T10:01:00Z'),
      ]).map((e) => e.eventId),
    ).toEqual(['a', 'b']);
  });
});

describe('the as-of stops', () => {
  it('when two entries were recorded at the same moment, gives one stop just before it', () => {
    const stops = asOfStops([
      entry('b', 'sms', '2026-01-01T11:00:00.000Z'),
      entry('a', 'sms', '2026-01-01T10:00:00.000Z'),
      entry('c', 'email', '2026-01-01T11:00:00.000Z'),
    ]);
    expect(stops).toEqual(['2026-01-01T09:59:59.999Z', '2026-01-01T10:59:59.999Z']);
  });
});

describe('reading the search box', () => {
  it.each([
    ['(415) 555-0188', { identity: 'phone:(415) 555-0188' }],
    ['+44 20 7946 0958', { identity: 'phone:+44 20 7946 0958' }],
    ['Ana@Example.com', { identity: 'email:Ana@Example.com' }],
    ['telegram:4242', { identity: 'handle:telegram:4242' }],
    ['#1234', { q: '#1234' }],
    ['order 77', { q: 'order 77' }],
  ])('when auto reads %s, asks %j', (raw, expected) => {
    expect(searchParams('auto', raw)).toEqual(expected);
  });

  it('when a region is given for a phone number, passes it on', () => {
    expect(searchParams('phone', '020 7946 0958', 'GB')).toEqual({ identity: 'phone:020 7946 0958', region: 'GB' });
  });
});

describe('one line per entry', () => {
  it('when an entry has text, shows it; when it only has a facet, says what the facet records', () => {
    expect(entryLine(entry('a', 'sms', '2026-01-01T10:00:00Z'))).toBe('a');
    const survey = {
      ...entry('s', 'survey', '2026-01-01T10:00:00Z'),
      text: null,
      details: { survey: { kind: 'csat' as const, score: 4 } },
    };
    expect(entryLine(survey)).toBe('CSAT 4/5');
    const order = {
      ...entry('o', 'commerce', '2026-01-01T10:00:00Z'),
      text: null,
      details: { order: { orderId: '4417', action: 'created' as const, amount: 3450, currency: 'GBP' } },
    };
    expect(entryLine(order, 'en-GB')).toBe('Order 4417 created · £34.50');
    expect(entryLine({ ...survey, text: 'Great service' })).toBe('CSAT 4/5 — Great service');
  });
});

describe('how a channel is shown', () => {
  it('a platform’s plain chat (sent through the generic API) has a label and icon of its own, not the fallback', () => {
    expect(channelLook('chat')).toEqual({ label: 'Chat', icon: expect.not.stringMatching(/^•$/) });
    expect(channelLook('chat')).not.toEqual(channelLook('webchat'));
    expect(channelLook('pager')).toEqual({ label: 'pager', icon: '•' });
  });
});
