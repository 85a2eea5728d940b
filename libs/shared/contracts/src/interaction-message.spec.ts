import { HeaderNames } from './headers';
import { interactionMessage } from './interaction-message';
import { IdentityHasher } from './identity-hasher';
import { identityKey } from './names';
import type { InteractionReceived } from './events';

const hasher = IdentityHasher.development();

const event = (identities: InteractionReceived['data']['identities']): InteractionReceived => ({
  type: 'InteractionReceived',
  data: {
    direction: 'inbound',
    kind: 'message',
    identities,
    content: { text: 'hi', media: [] },
    provider: { name: 'twilio', messageId: 'SM1' },
  },
  metadata: {
    eventId: '3f1c1d9e-5b7a-5c1e-9a43-2f6b8d0e4c11',
    correlationId: 'c',
    causationId: 'c',
    occurredAt: '2025-01-01T00:00:00.000Z',
    recordedAt: '2025-01-01T00:00:01.000Z',
    schemaVersion: 1,
    tenantId: 'acme',
    channel: 'sms',
  },
});

describe('an interaction as a Kafka message', () => {
  describe('when the event has identities', () => {
    it('then it is keyed by the tenant and the first identity, with headers mirroring the metadata', () => {
      const e = event([
        { kind: 'phone', value: '+14155550100' },
        { kind: 'email', value: 'a@example.com' },
      ]);
      const m = interactionMessage(e, hasher);
      expect(m.key).toBe(identityKey(hasher, 'acme', 'phone', '+14155550100'));
      expect(m.key).not.toContain('4155550100');
      expect(m.value).toBe(e);
      expect(m.headers[HeaderNames.eventId]).toBe(e.metadata.eventId);
      expect(m.headers[HeaderNames.eventType]).toBe('InteractionReceived');
      expect(m.headers[HeaderNames.tenantId]).toBe('acme');
    });
  });

  describe('when the event has no identity', () => {
    it('then it is keyed by its event id', () => {
      expect(interactionMessage(event([]), hasher).key).toBe('3f1c1d9e-5b7a-5c1e-9a43-2f6b8d0e4c11');
    });
  });
});
