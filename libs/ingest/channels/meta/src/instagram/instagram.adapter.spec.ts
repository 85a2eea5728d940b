import type { ChannelAdapter } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { identityToString } from '@hub/customer';
import { InstagramChannelAdapter, MessengerChannelAdapter } from '../index';
import {
  instagramTestSetup,
  instagramTextPayload,
  META_TEST_APP_SECRET,
  META_TEST_VERIFY_TOKEN,
  messengerTextPayload,
  metaWebhookRequest,
  TEST_INSTAGRAM_ACCOUNT_ID,
} from '../testing';

const WEBHOOK_URL = 'https://hub.example.com/webhooks/instagram';
const IGSID = '1134567890123456';
const T = 1_735_725_600_123;
const config = { META_APP_SECRET: META_TEST_APP_SECRET, META_VERIFY_TOKEN: META_TEST_VERIFY_TOKEN };

const run = (payload: unknown, adapter: ChannelAdapter = new InstagramChannelAdapter(config)) =>
  runChannelPipeline(adapter, metaWebhookRequest({ appSecret: META_TEST_APP_SECRET, url: WEBHOOK_URL, payload }), CONFORMANCE_CONTEXT);

function accepted(outcome: PipelineOutcome) {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

const instagram = (messaging: unknown[]) => ({ object: 'instagram', entry: [{ id: TEST_INSTAGRAM_ACCOUNT_ID, time: T + 500, messaging }] });
const fromCustomer = (update: Record<string, unknown>) => ({
  sender: { id: IGSID },
  recipient: { id: TEST_INSTAGRAM_ACCOUNT_ID },
  timestamp: T,
  ...update,
});

channelConformanceKit(instagramTestSetup);

describe('InstagramChannelAdapter', () => {
  describe('given the customer’s Instagram-scoped id', () => {
    it('then the identity is a handle in the instagram namespace, distinct from the same digits on Messenger', async () => {
      const [ig] = accepted(await run(instagramTextPayload({ from: IGSID, text: 'hi' })));
      const [fb] = accepted(await run(messengerTextPayload({ from: IGSID, text: 'hi' }), new MessengerChannelAdapter(config)));
      expect(ig!.data.identities).toEqual([{ kind: 'handle', namespace: 'instagram', value: IGSID }]);
      expect(identityToString(ig!.data.identities[0]!)).not.toBe(identityToString(fb!.data.identities[0]!));
    });
  });

  describe('given our own message echoed in the messages field (is_echo)', () => {
    it('then it is outbound and keyed by the customer, the recipient', async () => {
      const echo = {
        sender: { id: TEST_INSTAGRAM_ACCOUNT_ID },
        recipient: { id: IGSID },
        timestamp: T,
        message: { mid: 'aWdf_ours', is_echo: true, text: 'Thanks for reaching out!' },
      };
      const [event] = accepted(await run(instagram([echo])));
      expect(event!.data).toMatchObject({
        direction: 'outbound',
        identities: [{ namespace: 'instagram', value: IGSID }],
        endpoint: TEST_INSTAGRAM_ACCOUNT_ID,
      });
    });
  });

  describe('given messaging_seen', () => {
    it('then it is a read receipt for the message named, at its time given in seconds', async () => {
      const [event] = accepted(await run(instagram([fromCustomer({ timestamp: 1_735_725_612, read: { mid: 'aWdf_ours' } })])));
      expect(event!.data).toMatchObject({ kind: 'delivery', direction: 'outbound', delivery: { messageId: 'aWdf_ours', status: 'read' } });
      expect(event!.metadata.occurredAt).toBe('2025-01-01T10:00:12.000Z');
    });
  });

  describe('when the customer unsends a message', () => {
    it('then the unsend is an edit of that message to nothing, with an id other than the message’s own', async () => {
      const [sent, unsent] = accepted(
        await run(
          instagram([
            fromCustomer({ message: { mid: 'aWdf_1', text: 'oops' } }),
            fromCustomer({ timestamp: T + 5, message: { mid: 'aWdf_1', is_deleted: true } }),
          ]),
        ),
      );
      expect(unsent!.data).toMatchObject({ kind: 'message', edits: 'aWdf_1', content: { media: [] } });
      expect(unsent!.data.content).not.toHaveProperty('text');
      expect(unsent!.metadata.eventId).not.toBe(sent!.metadata.eventId);
    });
  });

  describe('given an ice breaker tap (postback)', () => {
    it('then its title is the text and its payload the interactive id', async () => {
      const [event] = accepted(
        await run(instagram([fromCustomer({ postback: { mid: 'aWdf_pb', title: 'Where are you located?', payload: 'LOCATION' } })])),
      );
      expect(event!.data).toMatchObject({
        content: { text: 'Where are you located?' },
        interactive: { type: 'button', id: 'LOCATION', title: 'Where are you located?' },
      });
    });
  });

  describe('given a comment notification (feed changes, not messaging)', () => {
    it('then the request is unmappable, so it is dead-lettered rather than lost', async () => {
      const comment = {
        object: 'instagram',
        entry: [{ id: TEST_INSTAGRAM_ACCOUNT_ID, time: T, changes: [{ field: 'comments', value: { id: '1', text: 'nice' } }] }],
      };
      expect(await run(comment)).toMatchObject({ kind: 'unmappable', error: { field: 'entry.0' } });
    });
  });
});
