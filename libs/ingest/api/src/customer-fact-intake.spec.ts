import { ConsentReceivedDto, ConversationStatusReceivedDto, TraitsReceivedDto, validateAs } from '@hub/contracts';
import { consentEventId, conversationStatusEventId, readConsent, readConversationStatus, readTraits } from './customer-fact-intake';
import type { IntakeContext } from './interaction-intake';

const ctx: IntakeContext = {
  origin: { kind: 'api', source: 'genesys', tenantId: 'acme' },
  recordedAt: '2026-12-07T09:00:00.000Z',
  maxEventBytes: 4096,
};
const body = (over: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      identities: [{ kind: 'phone', value: '+1 (415) 555-0100' }],
      channel: 'webchat',
      threadId: 'chat-7',
      status: 'resolved',
      conversationId: 'CCX-42',
      occurredAt: '2026-12-07T08:59:00.000Z',
      ...over,
    }),
  );

describe('readConversationStatus: a platform’s conversation status, as the generic API takes it', () => {
  describe('given a resolved conversation', () => {
    it('then it is a ConversationStatusReceived of the key’s tenant and source, identities normalised, valid on the topic', () => {
      const read = readConversationStatus(body(), ctx);
      if (!read.ok) throw new Error(JSON.stringify(read.errors));
      const eventId = conversationStatusEventId('acme', 'genesys', 'CCX-42', 'resolved', '2026-12-07T08:59:00.000Z');
      expect(read.event).toEqual({
        type: 'ConversationStatusReceived',
        data: {
          identities: [{ kind: 'phone', value: '+14155550100' }],
          status: 'resolved',
          threadId: 'chat-7',
          provider: { name: 'genesys', conversationId: 'CCX-42' },
        },
        metadata: {
          eventId,
          correlationId: eventId,
          causationId: eventId,
          occurredAt: '2026-12-07T08:59:00.000Z',
          occurredAtSource: 'provider',
          recordedAt: '2026-12-07T09:00:00.000Z',
          schemaVersion: 1,
          tenantId: 'acme',
          channel: 'webchat',
        },
      });
      expect(validateAs(ConversationStatusReceivedDto, JSON.parse(JSON.stringify(read.event)))).toMatchObject({ ok: true });
    });

    it('then a retry is the same event; a later resolution, another tenant or source, another event', () => {
      const id = (b: Buffer, c: IntakeContext = ctx) => {
        const read = readConversationStatus(b, c);
        return read.ok ? read.event.metadata.eventId : undefined;
      };
      expect(id(body())).toBe(id(body()));
      expect(id(body({ occurredAt: '2026-12-07T10:00:00.000Z' }))).not.toBe(id(body()));
      expect(id(body(), { ...ctx, origin: { kind: 'api', source: 'genesys', tenantId: 'globex' } })).not.toBe(id(body()));
      expect(id(body(), { ...ctx, origin: { kind: 'api', source: 'five9', tenantId: 'acme' } })).not.toBe(id(body()));
    });
  });

  describe('given what the hub cannot record', () => {
    const fields = (b: Buffer) => {
      const read = readConversationStatus(b, ctx);
      return read.ok ? [] : read.errors.map((e) => e.field);
    };

    it('a status other than resolved, a channel that is not one, no identity, an unknown field: each named', () => {
      expect(fields(body({ status: 'assigned' }))).toEqual(['status']);
      expect(fields(body({ channel: 'system' }))).toEqual(['channel']);
      expect(fields(body({ identities: [] }))).toEqual(['identities']);
      expect(fields(body({ tenantId: 'globex' }))).toEqual(['tenantId']);
      expect(fields(body({ occurredAt: 'yesterday' }))).toEqual(['occurredAt']);
      expect(fields(body({ conversationId: 'CCX\n42' }))).toEqual(['conversationId']);
    });

    it('an identity the hub’s rules refuse, by its field', () => {
      expect(readConversationStatus(body({ identities: [{ kind: 'phone', value: 'not a phone' }] }), ctx)).toMatchObject({
        ok: false,
        code: 'invalid_event',
        errors: [{ field: 'identities.0.value' }],
      });
    });

    it('an identity the hub’s rules refuse is named with the other problems, not after they are fixed', () => {
      const read = readConversationStatus(
        body({
          identities: [
            { kind: 'phone', value: 'not a phone' },
            { kind: 'fax', value: '1' },
          ],
          occurredAt: 'yesterday',
        }),
        ctx,
      );
      expect(read.ok ? [] : read.errors.map((e) => [e.field, e.codes]).sort()).toEqual([
        ['identities.0.value', ['invalid_identity']],
        ['identities.1.kind', ['is_in']],
        ['occurredAt', ['is_iso8601']],
      ]);
    });

    it('a body that is not JSON, or over the event limit', () => {
      expect(readConversationStatus(Buffer.from('{"status":'), ctx)).toMatchObject({ ok: false, code: 'invalid_json' });
      expect(
        readConversationStatus(body({ threadId: 'x'.repeat(200), conversationId: 'y'.repeat(200) }), { ...ctx, maxEventBytes: 300 }),
      ).toMatchObject({ ok: false, code: 'event_too_large' });
    });
  });
});

describe('readConsent: a consent change from a platform’s preference centre', () => {
  const consent = (over: Record<string, unknown> = {}) =>
    Buffer.from(
      JSON.stringify({
        identities: [{ kind: 'email', value: 'Ana@Example.com' }],
        channel: 'email',
        consent: 'opted_out',
        occurredAt: '2026-12-07T08:58:00.000Z',
        ...over,
      }),
    );

  it('given an opt-out, then it is a ConsentReceived of the key’s tenant and source, from the preference centre unless it names its source, valid on the topic', () => {
    const read = readConsent(consent(), ctx);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.event.data).toEqual({
      identities: [{ kind: 'email', value: 'ana@example.com' }],
      consent: 'opted_out',
      source: 'preference_centre',
      provider: { name: 'genesys' },
    });
    expect(read.event.metadata).toMatchObject({
      tenantId: 'acme',
      channel: 'email',
      occurredAt: '2026-12-07T08:58:00.000Z',
      recordedAt: '2026-12-07T09:00:00.000Z',
    });
    expect(validateAs(ConsentReceivedDto, JSON.parse(JSON.stringify(read.event)))).toMatchObject({ ok: true });
    const withSource = readConsent(consent({ source: 'web_form', changeId: 'pc-991' }), ctx);
    expect(withSource.ok && withSource.event.data).toMatchObject({ source: 'web_form', provider: { name: 'genesys', changeId: 'pc-991' } });
  });

  it('given a retry, then the same event; with the platform’s change id, the id is that change’s whatever else is sent', () => {
    const id = (b: Buffer) => {
      const read = readConsent(b, ctx);
      return read.ok ? read.event.metadata.eventId : undefined;
    };
    expect(id(consent())).toBe(id(consent()));
    expect(id(consent({ consent: 'opted_in' }))).not.toBe(id(consent()));
    expect(id(consent({ changeId: 'pc-1' }))).toBe(
      consentEventId('acme', 'genesys', { changeId: 'pc-1', channel: 'sms', consent: 'opted_in', occurredAt: 'x', identities: [] }),
    );
  });

  it('given what the hub cannot record, then each field is named', () => {
    const fields = (b: Buffer) => {
      const read = readConsent(b, ctx);
      return read.ok ? [] : read.errors.map((e) => e.field);
    };
    expect(fields(consent({ consent: 'maybe' }))).toEqual(['consent']);
    expect(fields(consent({ source: 'keyword' }))).toEqual(['source']);
    expect(fields(consent({ source: 'Preference Centre' }))).toEqual(['source']);
    expect(fields(consent({ channel: 'fax' }))).toEqual(['channel']);
    expect(fields(consent({ identities: [{ kind: 'email', value: 'not an email' }] }))).toEqual(['identities.0.value']);
  });
});

describe('readConsent on the plain chat channel (issue #16)', () => {
  it('given an opt-out of chat, a channel with no webhook adapter, then it is a ConsentReceived on chat, valid on the topic', () => {
    const body = { identities: [{ kind: 'external', namespace: 'genesys', value: 'cust-1' }], channel: 'chat', consent: 'opted_out' };
    const read = readConsent(Buffer.from(JSON.stringify({ ...body, occurredAt: '2026-12-07T08:58:00.000Z' })), ctx);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.event.metadata.channel).toBe('chat');
    expect(validateAs(ConsentReceivedDto, JSON.parse(JSON.stringify(read.event)))).toMatchObject({ ok: true });
  });
});

describe('readTraits: a platform’s profile attributes for a customer', () => {
  const update = (over: Record<string, unknown> = {}) =>
    Buffer.from(
      JSON.stringify({
        identities: [{ kind: 'external', namespace: 'salesforce', value: '0035e00000AbCdE' }],
        traits: { tier: 'gold', seats: 40, churned: false, language: null },
        occurredAt: '2026-12-07T08:57:00.000Z',
        ...over,
      }),
    );

  it('given attributes, then a TraitsReceived of the key’s tenant and source on channel system, valid on the topic', () => {
    const read = readTraits(update(), ctx);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.event.data).toEqual({
      identities: [{ kind: 'external', namespace: 'salesforce', value: '0035e00000AbCdE' }],
      traits: { tier: 'gold', seats: 40, churned: false, language: null },
      provider: { name: 'genesys' },
    });
    expect(read.event.metadata).toMatchObject({ tenantId: 'acme', channel: 'system', occurredAt: '2026-12-07T08:57:00.000Z' });
    expect(validateAs(TraitsReceivedDto, JSON.parse(JSON.stringify(read.event)))).toMatchObject({ ok: true });
  });

  it('given a retry (the traits in any order), then the same event; other values, another event', () => {
    const id = (b: Buffer) => {
      const read = readTraits(b, ctx);
      return read.ok ? read.event.metadata.eventId : undefined;
    };
    expect(id(update({ traits: { seats: 40, tier: 'gold' } }))).toBe(id(update({ traits: { tier: 'gold', seats: 40 } })));
    expect(id(update({ traits: { tier: 'silver' } }))).not.toBe(id(update({ traits: { tier: 'gold' } })));
    expect(id(update({ updateId: 'u-1', traits: { tier: 'silver' } }))).toBe(id(update({ updateId: 'u-1' })));
  });

  it('given attributes the hub cannot keep, then the field is named', () => {
    const fields = (over: Record<string, unknown>) => {
      const read = readTraits(update(over), ctx);
      return read.ok ? [] : read.errors.map((e) => e.field);
    };
    expect(fields({ traits: {} })).toEqual(['traits']);
    expect(fields({ traits: { 'bad name': 1 } })).toEqual(['traits']);
    expect(fields({ traits: { nested: { a: 1 } } })).toEqual(['traits']);
    expect(fields({ traits: { long: 'x'.repeat(1001) } })).toEqual(['traits']);
    expect(fields({ traits: ['tier'] })).toEqual(['traits']);
    // A trait named __proto__, as JSON can carry it: refused before anything reads it.
    expect(
      readTraits(
        Buffer.from(
          '{"identities":[{"kind":"phone","value":"+14155550100"}],"traits":{"__proto__":{"x":1}},"occurredAt":"2026-12-07T08:57:00.000Z"}',
        ),
        ctx,
      ),
    ).toMatchObject({ ok: false });
  });
});
