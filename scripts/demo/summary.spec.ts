import type { DemoRequest } from './requests';
import type { Delivered } from './sender';
import { progressLine } from './progress';
import { answerReason, peopleRecognition, recognition, renderPace, summarizeChannels } from './summary';

const request = (seq: number, expect: DemoRequest['expect'], channel: DemoRequest['channel'] = 'sms'): DemoRequest => ({
  seq,
  at: '2025-03-04T09:00:00.000Z',
  provider: 'sms:twilio',
  channel,
  personId: 'p0001',
  payload: {},
  expect,
});
const delivered = (r: DemoRequest, status: number, body: unknown): Delivered => ({ request: r, status, body, retriedAfterBusy: 0 });
const idsIn = (d: Delivered): string[] => (d.body as { eventIds?: string[] }).eventIds ?? [];

describe('the channel summary', () => {
  describe('given a message and its provider retry, both acknowledged with the same event id', () => {
    const day = [
      delivered(request(0, 'accepted'), 202, { eventIds: ['e1'] }),
      delivered(request(1, 'redelivery'), 202, { eventIds: ['e1'] }),
    ];

    it('then, when the store holds the event once, the retry is counted as deduplicated', () => {
      const [sms] = summarizeChannels({
        delivered: day,
        eventIdsOf: idsIn,
        stored: new Set(['e1']),
        onTimeline: new Set(['e1']),
        metrics: { sms: { accepted: 2 } },
      });
      expect(sms).toMatchObject({
        channel: 'sms',
        sent: 2,
        accepted: 2,
        retriesSent: 1,
        acknowledgedIds: 2,
        distinctIds: 1,
        stored: 1,
        onTimeline: 1,
        deduplicated: 1,
      });
    });

    it('then, when the store does not hold it, nothing is claimed as deduplicated', () => {
      const [sms] = summarizeChannels({ delivered: day, eventIdsOf: idsIn, stored: new Set(), onTimeline: new Set(), metrics: {} });
      expect(sms).toMatchObject({ stored: 0, deduplicated: 0 });
    });
  });

  describe('given refused and dead-lettered requests', () => {
    const day = [
      delivered(request(0, 'forged'), 401, { error: 'unauthorized', reason: 'signature_invalid' }),
      delivered(request(1, 'malformed'), 400, { error: 'validation_failed', fields: [{ field: 'MessageSid', messages: ['required'] }] }),
      delivered(request(2, 'oversized', 'webchat'), 413, { statusCode: 413, message: 'Request body is too large' }),
      delivered(request(3, 'unmappable'), 202, { status: 'dead_lettered', code: 'CHANNEL_MAPPING_FAILED', reason: 'alphanumeric sender' }),
    ];
    const rows = summarizeChannels({
      delivered: day,
      eventIdsOf: idsIn,
      stored: new Set(),
      onTimeline: new Set(),
      metrics: { sms: { 'rejected.signature_invalid': 1, 'rejected.validation_failed': 1, 'dead_lettered.CHANNEL_MAPPING_FAILED': 1 } },
    });
    const sms = rows.find((r) => r.channel === 'sms')!;
    const webchat = rows.find((r) => r.channel === 'webchat')!;

    it('then each refusal is counted by the status and reason code its answer gave', () => {
      expect(sms.refusedByAnswer).toEqual({ '401 signature_invalid': 1, '400 validation_failed': 1 });
      expect(webchat.refusedByAnswer).toEqual({ '413 payload_too_large': 1 });
      expect(sms.fields).toEqual({ MessageSid: 1 });
    });

    it('then dead letters come from the app’s counters, and so do the refusals it counted', () => {
      expect(sms.deadLettered).toEqual({ CHANNEL_MAPPING_FAILED: 1 });
      expect(sms.appRefusals).toBe(2);
      expect(webchat.appRefusals).toBe(0);
    });
  });

  it('then an answer without a code is named by its error, else by its status', () => {
    expect(answerReason({ error: 'Payload Too Large' }, 413)).toBe('payload_too_large');
    expect(answerReason({ statusCode: 413, message: 'Request body is too large' }, 413)).toBe('payload_too_large');
    expect(answerReason('not json', 502)).toBe('bad_gateway');
  });
});

describe('recognition across channels', () => {
  describe('given one person whose sms and email are on one customer, and one split over two', () => {
    const interactions = [
      { personId: 'a', channel: 'sms', eventIds: ['a1'] },
      { personId: 'a', channel: 'email', eventIds: ['a2'] },
      { personId: 'b', channel: 'sms', eventIds: ['b1'] },
      { personId: 'b', channel: 'email', eventIds: ['b2'] },
      { personId: 'c', channel: 'sms', eventIds: ['c1'] },
    ];
    const customerOf = new Map([
      ['a1', 'A'],
      ['a2', 'A'],
      ['b1', 'B1'],
      ['b2', 'B2'],
      ['c1', 'C'],
    ]);

    it('then one multi-channel person is recognised as one customer and one is split in two', () => {
      expect(peopleRecognition(interactions, customerOf)).toEqual({ people: 3, multiChannel: 2, oneCustomer: 1, splitInto: { '2': 1 } });
    });
  });

  it('then customers spanning channels and their linked identities are counted from the listing', () => {
    const r = recognition([
      {
        customerId: 'A',
        interactions: 3,
        channels: ['email', 'sms', 'commerce'],
        identities: [
          { kind: 'email', value: 'a@example.com' },
          { kind: 'phone', value: '+16505550123' },
        ],
      },
      { customerId: 'B', interactions: 1, channels: ['telegram'], identities: [{ kind: 'handle', namespace: 'telegram', value: '42' }] },
    ]);
    expect(r).toMatchObject({
      customers: 2,
      multiChannel: 1,
      threePlus: 1,
      withLinked: 1,
      linkedIdentities: 1,
      identityKinds: { email: 1, phone: 1, 'handle:telegram': 1 },
    });
  });
});

describe('the progress line', () => {
  it('then it shows the bar, the counts, the share, the rate and what is left', () => {
    expect(progressLine({ label: 'sending', done: 50, total: 200, elapsedMs: 1000, detail: '202×50' }, 8)).toBe(
      'sending ██░░░░░░  50/200  25%   50/s ETA 3 s  202×50',
    );
  });

  it('then the rate counts from where the phase started', () => {
    expect(progressLine({ label: 'x', done: 150, doneAtStart: 100, total: 150, elapsedMs: 1000 }, 4)).toBe('x ████ 150/150 100%   50/s');
  });
});

describe('renderPace', () => {
  const base = { requests: 3_000, concurrency: 16, sendStartedAt: 1_000_000, sendEndedAt: 1_010_000, recorded: 2_900 };

  describe('when the store kept up with the sender', () => {
    it('says the rate recorded from the first send, and how little the store and decisions trailed', () => {
      const lines = renderPace({ ...base, firstStored: 1_000_050, lastStored: 1_010_200, lastDecision: 1_010_900 });
      expect(lines).toEqual([
        'sent 3,000 requests in 10.0 s: 300/s with 16 in flight',
        'recorded 2,900 interactions in 10.2 s from the first send: 284/s sustained; the last stored 0.2 s after the last send',
        'decisions: the last one 0.9 s after the last send',
      ]);
    });
  });

  describe('when the core fell behind', () => {
    it('shows the sustained rate below the send rate and the lag at the end', () => {
      const lines = renderPace({ ...base, firstStored: 1_000_100, lastStored: 1_030_000, lastDecision: 1_041_500 });
      expect(lines[1]).toBe(
        'recorded 2,900 interactions in 30.0 s from the first send: 97/s sustained; the last stored 20.0 s after the last send',
      );
      expect(lines[2]).toBe('decisions: the last one 31.5 s after the last send');
    });
  });

  describe('when nothing reached the store', () => {
    it('says so instead of a rate', () => {
      expect(renderPace(base)).toEqual(['sent 3,000 requests in 10.0 s: 300/s with 16 in flight', 'nothing recorded']);
    });
  });
});
