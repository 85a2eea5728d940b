import { v5 as uuidv5 } from 'uuid';

/**
 * The three recorded payloads a new channel starts with, in the conformance kit's fixture format
 * (libs/ingest/channels/core/src/testing/conformance-kit.ts), for the scaffold's payload shape
 * (files/…/__name__.payload.ts). `expected.events` is what the scaffolded `map` returns for the
 * valid payload with CONFORMANCE_CONTEXT: the generated spec proves the two agree.
 */

/** CONFORMANCE_CONTEXT of the conformance kit: what every fixture is mapped with. */
const CONFORMANCE_TENANT = 'tenant-conformance';
const CONFORMANCE_RECEIVED_AT = '2025-01-15T09:30:00.000Z';

export interface FixtureInput {
  channelId: string;
  provider: string;
  /** HUB_ID_NAMESPACE, read from libs/shared/contracts/src/ids.ts. */
  idNamespace: string;
  /** INTERACTION_RECEIVED_SCHEMA_VERSION, read from libs/shared/contracts/src/events.ts. */
  schemaVersion: number;
}

/**
 * `deterministicId(...parts)` of libs/shared/contracts/src/ids.ts. The generator cannot import the
 * workspace's libraries (it runs before they know the channel), so it repeats the formula; the
 * generated spec fails if the two ever differ.
 */
export function deterministicIdLike(namespace: string, ...parts: string[]): string {
  return uuidv5(parts.map((p) => `${p.length}:${p}`).join('|'), namespace);
}

const SOURCE = (provider: string) =>
  `scaffolded by nx g @hub/tools:channel: replace with a payload recorded from ${provider} (field names, nesting and types exactly as it sends them)`;

export function scaffoldFixtures({
  channelId,
  provider,
  idNamespace,
  schemaVersion,
}: FixtureInput): Record<'valid' | 'malformed' | 'unmappable', { file: string; json: object }> {
  const validPayload = {
    messageId: 'msg_01JHG6R2ZK3M',
    sentAt: '2025-01-15T09:29:58.120Z',
    conversationId: 'conv_01JHG6Q8ZK',
    sender: { phone: '+14155550123', name: 'Dana' },
    text: 'Hi! Where is my order #4411? 📦',
  };
  const eventId = deterministicIdLike(idNamespace, channelId, provider, validPayload.messageId);
  return {
    valid: {
      file: 'text-message.json',
      json: {
        description: 'a text message in a conversation, from a US mobile, with an emoji',
        source: SOURCE(provider),
        payload: validPayload,
        expected: {
          events: [
            {
              type: 'InteractionReceived',
              data: {
                direction: 'inbound',
                kind: 'message',
                identities: [{ kind: 'phone', value: '+14155550123' }],
                content: { text: validPayload.text, media: [] },
                provider: { name: provider, messageId: validPayload.messageId },
                threadId: validPayload.conversationId,
              },
              metadata: {
                eventId,
                correlationId: validPayload.conversationId,
                causationId: eventId,
                occurredAt: validPayload.sentAt,
                occurredAtSource: 'provider',
                recordedAt: CONFORMANCE_RECEIVED_AT,
                schemaVersion,
                tenantId: CONFORMANCE_TENANT,
                channel: channelId,
              },
            },
          ],
        },
      },
    },
    malformed: {
      file: 'missing-message-id.json',
      json: {
        description: 'no messageId: nothing to make a deterministic event id from',
        source: SOURCE(provider),
        payload: { sentAt: '2025-01-15T09:29:58.120Z', sender: { phone: '+14155550123' }, text: 'hello' },
        expected: { fields: ['messageId'] },
      },
    },
    unmappable: {
      file: 'phone-not-a-number.json',
      json: {
        description: 'a sender phone that looks like one (the payload validates) but is no real number: no customer to key it by',
        source: SOURCE(provider),
        payload: { messageId: 'msg_01JHG6S9', sentAt: '2025-01-15T09:29:58.120Z', sender: { phone: '+1 555 0100' }, text: 'hello' },
        expected: { field: 'sender.phone', message: 'not a valid phone number' },
      },
    },
  };
}
