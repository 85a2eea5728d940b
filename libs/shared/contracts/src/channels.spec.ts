import { ALL_CHANNEL_IDS, API_CHANNEL_IDS, CHANNEL_IDS, isChannelId, isIngestChannelId } from './channels';
import { InteractionReceivedDto, type InteractionReceived } from './events';
import { validateAs } from './validation';

const event = (channel: string): InteractionReceived =>
  ({
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'external', namespace: 'genesys', value: 'cust-1' }],
      content: { text: 'hi', media: [] },
      provider: { name: 'genesys', messageId: 'm-1' },
    },
    metadata: {
      eventId: '0b7e7dd0-5f5e-5b6a-9a36-0d7c1b2e4f10',
      correlationId: 'c',
      causationId: 'c',
      occurredAt: '2025-01-15T09:30:00.000Z',
      recordedAt: '2025-01-15T09:30:00.000Z',
      schemaVersion: 1,
      tenantId: 'acme',
      channel,
    },
  }) as InteractionReceived;

describe('the channel ids', () => {
  it('given the webhook channels and the API-only ones, then every channel is one or the other, never both', () => {
    expect(ALL_CHANNEL_IDS).toEqual([...CHANNEL_IDS, ...API_CHANNEL_IDS]);
    expect(CHANNEL_IDS.filter((id) => (API_CHANNEL_IDS as readonly string[]).includes(id))).toEqual([]);
    expect(new Set(ALL_CHANNEL_IDS).size).toBe(ALL_CHANNEL_IDS.length);
  });

  it('given chat, then it is a channel an event may name but no webhook adapter’s (no ingest-chat app)', () => {
    expect(API_CHANNEL_IDS).toContain('chat');
    expect(isChannelId('chat')).toBe(true);
    expect(isIngestChannelId('chat')).toBe(false);
    expect(isIngestChannelId('webchat')).toBe(true);
    expect(isChannelId('pager')).toBe(false);
  });

  it('given an InteractionReceived on chat, then the contract accepts it; on a channel that does not exist, it names metadata.channel', () => {
    expect(validateAs(InteractionReceivedDto, event('chat')).ok).toBe(true);
    const refused = validateAs(InteractionReceivedDto, event('pager'));
    expect(refused.ok ? [] : refused.errors.map((e) => e.field)).toEqual(['metadata.channel']);
  });
});
