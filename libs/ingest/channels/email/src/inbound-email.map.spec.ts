import { CONFORMANCE_CONTEXT } from '@hub/channels-core/testing';
import { InteractionReceivedDto, validateAs, type InteractionReceived } from '@hub/contracts';
import { ChannelMappingError } from '@hub/channels-core';
import { mapInboundEmail, MAX_LISTED, type InboundEmail } from './index';

const email = (over: Partial<InboundEmail> = {}): InboundEmail => ({
  messageId: '<m@example.com>',
  rawSha256: 'cd'.repeat(32),
  from: [{ name: 'Ana', address: 'Ana@Example.com' }],
  to: ['support@mail.hub.example.com'],
  cc: [],
  references: [],
  textFromHtml: false,
  attachments: [],
  ...over,
});

function mapped(e: InboundEmail): InteractionReceived {
  const [event] = mapInboundEmail(e, 'mime', CONFORMANCE_CONTEXT);
  const contract = validateAs(InteractionReceivedDto, JSON.parse(JSON.stringify(event)));
  expect(contract.ok ? [] : contract.errors).toEqual([]);
  return event!;
}

describe('mapInboundEmail', () => {
  describe('given a sender', () => {
    it('then the first identity is the sender’s address, normalised, and the facet keeps it as written', () => {
      expect(mapped(email()).data).toMatchObject({
        identities: [{ kind: 'email', value: 'ana@example.com' }],
        email: { from: 'Ana@Example.com' },
      });
    });

    it('then a From whose first mailbox has no address falls back to the next one with an address', () => {
      expect(
        mapped(
          email({
            from: [
              { name: 'Doe', address: '' },
              { name: 'Jane', address: 'jane@example.com' },
            ],
          }),
        ).data.identities,
      ).toEqual([{ kind: 'email', value: 'jane@example.com' }]);
    });

    it('then a From with no address at all cannot be mapped, and the error names from', () => {
      expect(() => mapInboundEmail(email({ from: [{ name: 'MAILER-DAEMON', address: '' }] }), 'mime', CONFORMANCE_CONTEXT)).toThrow(
        ChannelMappingError,
      );
      expect(() => mapInboundEmail(email({ from: [{ name: 'MAILER-DAEMON', address: '' }] }), 'mime', CONFORMANCE_CONTEXT)).toThrow(
        expect.objectContaining({ field: 'from' }),
      );
    });
  });

  describe('when the message carries more than the contract holds', () => {
    it(`then To and Cc keep their first ${MAX_LISTED} addresses`, () => {
      const many = Array.from({ length: 150 }, (_, i) => `r${i}@example.com`);
      const event = mapped(email({ to: many, cc: many }));
      expect(event.data.email?.to).toEqual(many.slice(0, MAX_LISTED));
      expect(event.data.email?.cc).toHaveLength(MAX_LISTED);
    });

    it(`then References keep the thread's root and the latest ${MAX_LISTED - 1} ids, and the thread is still the root`, () => {
      const refs = Array.from({ length: 130 }, (_, i) => `<ref-${i}@example.com>`);
      const event = mapped(email({ references: refs }));
      expect(event.data.email?.references).toEqual([refs[0], ...refs.slice(130 - (MAX_LISTED - 1))]);
      expect(event.data.threadId).toBe('<ref-0@example.com>');
    });

    it('then a subject longer than 998 characters is cut there', () => {
      expect(mapped(email({ subject: 's'.repeat(2000) })).data.email?.subject).toHaveLength(998);
    });

    it('then a Message-ID longer than the 256 characters of provider.messageId is named by the hash of the message there, and kept whole in the facet', () => {
      const long = `<${'x'.repeat(400)}@example.com>`;
      const event = mapped(email({ messageId: long }));
      expect(event.data.provider.messageId).toBe(`sha256:${'cd'.repeat(32)}`);
      expect(event.data.email?.messageId).toBe(long);
    });
  });

  describe('when the Date header was valid', () => {
    it('then it is occurredAt, and recordedAt is the receive time', () => {
      expect(mapped(email({ date: '2025-01-10T08:00:00.000Z' })).metadata).toMatchObject({
        occurredAt: '2025-01-10T08:00:00.000Z',
        occurredAtSource: 'provider',
        recordedAt: CONFORMANCE_CONTEXT.receivedAt,
      });
    });
  });

  describe('when there was no (valid) Date header', () => {
    it('then occurredAt is the receive time, and says so', () => {
      expect(mapped(email({})).metadata).toMatchObject({ occurredAt: CONFORMANCE_CONTEXT.receivedAt, occurredAtSource: 'received' });
    });
  });

  describe('when no delivered-to address is known', () => {
    it('then the first To address is the endpoint, else the first Cc', () => {
      expect(mapped(email({ to: [], cc: ['cc@mail.hub.example.com'] })).data.endpoint).toBe('cc@mail.hub.example.com');
      expect(mapped(email({ to: [], cc: [] })).data).not.toHaveProperty('endpoint');
    });
  });
});
