import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { MessengerChannelAdapter } from '../index';
import {
  META_TEST_APP_SECRET,
  META_TEST_VERIFY_TOKEN,
  messengerTestSetup,
  messengerTextPayload,
  metaWebhookRequest,
  TEST_PAGE_ID,
  testPlatformId,
} from '../testing';

const WEBHOOK_URL = 'https://hub.example.com/webhooks/messenger';
const PSID = '6944432012345678';
const T = 1_735_725_600_123;

const adapter = () => new MessengerChannelAdapter({ META_APP_SECRET: META_TEST_APP_SECRET, META_VERIFY_TOKEN: META_TEST_VERIFY_TOKEN });
const run = (payload: unknown, receivedAt = CONFORMANCE_CONTEXT.receivedAt) =>
  runChannelPipeline(adapter(), metaWebhookRequest({ appSecret: META_TEST_APP_SECRET, url: WEBHOOK_URL, payload }), {
    ...CONFORMANCE_CONTEXT,
    receivedAt,
  });

function accepted(outcome: PipelineOutcome) {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

const page = (messaging: unknown[], id = TEST_PAGE_ID) => ({ object: 'page', entry: [{ id, time: T + 500, messaging }] });
const fromCustomer = (update: Record<string, unknown>, psid = PSID) => ({
  sender: { id: psid },
  recipient: { id: TEST_PAGE_ID },
  timestamp: T,
  ...update,
});

channelConformanceKit(messengerTestSetup);

describe('MessengerChannelAdapter', () => {
  describe('when one request batches 3 pages × 4 updates from different customers', () => {
    const payload = {
      object: 'page',
      entry: ['101', '102', '103'].map((id, e) => ({
        id,
        time: T,
        messaging: [0, 1, 2, 3].map((i) => ({
          sender: { id: testPlatformId(`c${e}${i}`) },
          recipient: { id },
          timestamp: T + e * 10 + i,
          message: { mid: `m_${e}_${i}`, text: `page ${id} update ${i}` },
        })),
      })),
    };

    it('then it maps to 12 events in order, each with its own id and its page as endpoint', async () => {
      const events = accepted(await run(payload));
      expect(events.map((e) => e.data.content.text)).toEqual(
        ['101', '102', '103'].flatMap((id) => [0, 1, 2, 3].map((i) => `page ${id} update ${i}`)),
      );
      expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(12);
      expect(events.map((e) => e.data.endpoint)).toEqual([
        '101',
        '101',
        '101',
        '101',
        '102',
        '102',
        '102',
        '102',
        '103',
        '103',
        '103',
        '103',
      ]);
    });
  });

  describe('given our own message echoed back (is_echo)', () => {
    const echo = {
      sender: { id: TEST_PAGE_ID },
      recipient: { id: PSID },
      timestamp: T,
      message: { mid: 'm_ours', is_echo: true, app_id: 1517776481860111, text: 'How can we help?' },
    };
    const reply = fromCustomer({ timestamp: T + 60_000, message: { mid: 'm_theirs', text: 'My order is late' } });

    it('then it is outbound, and the customer is the recipient, not the page', async () => {
      const [event] = accepted(await run(page([echo])));
      expect(event!.data).toMatchObject({
        direction: 'outbound',
        kind: 'message',
        identities: [{ kind: 'handle', namespace: 'messenger', value: PSID }],
        content: { text: 'How can we help?' },
      });
    });

    it('when the customer answers in the same request, then both events belong to the same customer, in opposite directions', async () => {
      const events = accepted(await run(page([echo, reply])));
      expect(events.map((e) => [e.data.direction, e.data.identities[0]])).toEqual([
        ['outbound', { kind: 'handle', namespace: 'messenger', value: PSID }],
        ['inbound', { kind: 'handle', namespace: 'messenger', value: PSID }],
      ]);
    });
  });

  describe('given read and delivery receipts', () => {
    it('when a read carries a watermark, then it is one read receipt for the message id watermark:<ms>', async () => {
      const [event] = accepted(await run(page([fromCustomer({ read: { watermark: T - 5 } })])));
      expect(event!.data).toMatchObject({
        kind: 'delivery',
        direction: 'outbound',
        delivery: { messageId: `watermark:${T - 5}`, status: 'read' },
      });
    });

    it('when the same customer reads again later, then the second read is another event', async () => {
      const first = accepted(await run(page([fromCustomer({ read: { watermark: T - 5 } })])))[0]!;
      const second = accepted(await run(page([fromCustomer({ timestamp: T + 9, read: { watermark: T + 8 } })])))[0]!;
      expect(second.metadata.eventId).not.toBe(first.metadata.eventId);
    });

    it('when a delivery lists three mids, then it is three delivered receipts, one per message', async () => {
      const events = accepted(
        await run(
          page([{ sender: { id: PSID }, recipient: { id: TEST_PAGE_ID }, delivery: { mids: ['m_1', 'm_2', 'm_3'], watermark: T } }]),
        ),
      );
      expect(events.map((e) => e.data.delivery)).toEqual(['m_1', 'm_2', 'm_3'].map((messageId) => ({ messageId, status: 'delivered' })));
      expect(events.every((e) => e.metadata.occurredAt === new Date(T).toISOString())).toBe(true);
    });
  });

  describe('given reactions', () => {
    const react = (action: 'react' | 'unreact', timestamp: number) =>
      fromCustomer({ timestamp, reaction: { mid: 'm_ours', action, ...(action === 'react' ? { reaction: 'love', emoji: '❤️' } : {}) } });

    it('when the customer reacts, removes it and reacts again, then three events with three ids, the removal without emoji', async () => {
      const events = accepted(await run(page([react('react', T), react('unreact', T + 1), react('react', T + 2)])));
      expect(events.map((e) => e.data.reaction)).toEqual([
        { toMessageId: 'm_ours', emoji: '❤️' },
        { toMessageId: 'm_ours' },
        { toMessageId: 'm_ours', emoji: '❤️' },
      ]);
      expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(3);
    });

    it('when a reaction carries only its name (older versions), then the name is kept so it is not read as a removal', async () => {
      const [event] = accepted(await run(page([fromCustomer({ reaction: { mid: 'm_ours', action: 'react', reaction: 'like' } })])));
      expect(event!.data.reaction).toEqual({ toMessageId: 'm_ours', emoji: 'like' });
    });
  });

  describe('given a postback without a mid', () => {
    const tap = (timestamp: number) => fromCustomer({ timestamp, postback: { title: 'Get Started', payload: 'GET_STARTED' } });

    it('then a redelivery gives the same id, and a second tap later another one', async () => {
      const first = accepted(await run(page([tap(T)])))[0]!;
      const redelivered = accepted(await run(page([tap(T)]), '2025-03-01T00:00:00.000Z'))[0]!;
      const later = accepted(await run(page([tap(T + 1000)])))[0]!;
      expect(redelivered.metadata.eventId).toBe(first.metadata.eventId);
      expect(later.metadata.eventId).not.toBe(first.metadata.eventId);
      expect(first.data.interactive).toEqual({ type: 'button', id: 'GET_STARTED', title: 'Get Started' });
    });
  });

  describe('given edits of one message', () => {
    it('then each edit is its own event pointing at the original message, none sharing the original’s id', async () => {
      const original = accepted(await run(page([fromCustomer({ message: { mid: 'm_1', text: 'helo' } })])))[0]!;
      const edits = accepted(
        await run(
          page([1, 2].map((n) => fromCustomer({ timestamp: T + n, message_edit: { mid: 'm_1', text: `hello ${n}`, num_edit: n } }))),
        ),
      );
      expect(edits.map((e) => [e.data.edits, e.data.content.text])).toEqual([
        ['m_1', 'hello 1'],
        ['m_1', 'hello 2'],
      ]);
      expect(new Set([original, ...edits].map((e) => e.metadata.eventId)).size).toBe(3);
    });
  });

  describe('given an update the hub does not map', () => {
    it('when it is an opt-in, then the request is unmappable and the error names the update and its kind', async () => {
      expect(await run(page([fromCustomer({ optin: { ref: 'newsletter' } })]))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'entry.0.messaging.0', message: expect.stringContaining('optin') },
      });
    });

    it('when an entry has no messaging updates at all, then the request is unmappable', async () => {
      expect(await run({ object: 'page', entry: [{ id: TEST_PAGE_ID, time: T, changes: [{ field: 'feed', value: {} }] }] })).toMatchObject({
        kind: 'unmappable',
        error: { field: 'entry.0' },
      });
    });
  });

  describe('given an Instagram webhook posted to the Messenger route', () => {
    it('then it is refused, naming object', async () => {
      expect(await run({ ...messengerTextPayload({ from: PSID, text: 'hi' }), object: 'instagram' })).toMatchObject({
        kind: 'invalid',
        errors: [{ field: 'object' }],
      });
    });
  });

  describe('the messengerTextPayload helper', () => {
    it('builds a webhook that maps to one inbound text from that PSID, the same ids each time', async () => {
      const first = accepted(await run(messengerTextPayload({ from: PSID, text: 'hello' })));
      const again = accepted(await run(messengerTextPayload({ from: PSID, text: 'hello' })));
      expect(first).toMatchObject([
        {
          data: { direction: 'inbound', identities: [{ kind: 'handle', namespace: 'messenger', value: PSID }], content: { text: 'hello' } },
        },
      ]);
      expect(again[0]!.metadata.eventId).toBe(first[0]!.metadata.eventId);
    });
  });
});
