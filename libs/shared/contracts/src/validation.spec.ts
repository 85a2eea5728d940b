import { EventMetadataDto, IdentityRefDto, InteractionDataDto, InteractionReceivedDto, type InteractionReceived } from './events';
import { validateAs, type FieldError } from './validation';

/** A canonical event as the SMS adapter publishes it, as plain JSON off the bus. */
function canonicalEvent(): InteractionReceived {
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550100' }],
      content: {
        text: 'Where is my order?',
        media: [{ url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' }],
      },
      provider: { name: 'twilio', messageId: 'SM0123456789abcdef0123456789abcdef', accountId: 'AC0123456789abcdef0123456789abcdef' },
      endpoint: '+14155550000',
    },
    metadata: {
      eventId: 'b09eaace-adc8-5902-9d59-ce803e64aa88',
      correlationId: 'b09eaace-adc8-5902-9d59-ce803e64aa88',
      causationId: 'b09eaace-adc8-5902-9d59-ce803e64aa88',
      occurredAt: '2025-01-15T09:30:00.000Z',
      occurredAtSource: 'received',
      recordedAt: '2025-01-15T09:30:00.125Z',
      schemaVersion: 1,
      tenantId: 'acme',
      channel: 'sms',
    },
  };
}

/** The canonical event as an untyped JSON tree, to break it the way a faulty producer would. */
type Json = { [key: string]: unknown };
type EventTree = Json & { data: Json & { identities: Json[]; content: Json & { media: Json[] } }; metadata: Json };
function brokenEvent(breakIt: (e: EventTree) => void): unknown {
  const e = JSON.parse(JSON.stringify(canonicalEvent()));
  breakIt(e);
  return e;
}

const fieldsOf = (errors: readonly FieldError[]): string[] => errors.map((e) => e.field).sort();

function errorsOf(plain: unknown, options?: { allowUnknown?: boolean }): FieldError[] {
  const result = validateAs(InteractionReceivedDto, plain, options);
  if (result.ok) throw new Error('expected the event to be rejected, but it validated');
  return result.errors;
}

describe('validateAs(InteractionReceivedDto)', () => {
  describe('given a valid canonical event', () => {
    it('accepts it', () => {
      expect(validateAs(InteractionReceivedDto, canonicalEvent())).toEqual({ ok: true, value: expect.any(InteractionReceivedDto) });
    });

    it('gives back class instances all the way down, with the values unchanged', () => {
      const result = validateAs(InteractionReceivedDto, canonicalEvent());
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(result.value.data).toBeInstanceOf(InteractionDataDto);
      expect(result.value.data.identities[0]).toBeInstanceOf(IdentityRefDto);
      expect(result.value.metadata).toBeInstanceOf(EventMetadataDto);
      expect(JSON.parse(JSON.stringify(result.value))).toEqual(canonicalEvent());
    });

    it('accepts a media-only message (no text) and the optional fields left out', () => {
      const event = brokenEvent((e) => {
        delete e.data.content['text'];
        delete e.data['endpoint'];
        delete (e.data['provider'] as Json)['accountId'];
        delete e.data.content.media[0]!['contentType'];
      });
      expect(validateAs(InteractionReceivedDto, event).ok).toBe(true);
    });

    it.each(['provider', 'received'])('accepts occurredAtSource %s, and an event without one (produced before adapters said)', (source) => {
      expect(
        validateAs(
          InteractionReceivedDto,
          brokenEvent((e) => (e.metadata['occurredAtSource'] = source)),
        ).ok,
      ).toBe(true);
      expect(
        validateAs(
          InteractionReceivedDto,
          brokenEvent((e) => delete e.metadata['occurredAtSource']),
        ).ok,
      ).toBe(true);
    });
  });

  describe('given an event with a missing or invalid field', () => {
    it.each<[string, (e: EventTree) => void, string]>([
      ['no event id', (e) => delete e.metadata['eventId'], 'metadata.eventId'],
      ['an event id that is not a UUID', (e) => (e.metadata['eventId'] = 'SM0123'), 'metadata.eventId'],
      ['an unknown identity kind', (e) => (e.data.identities[0]!['kind'] = 'fax'), 'data.identities.0.kind'],
      [
        'an empty identity value on the second identity',
        (e) => e.data.identities.push({ kind: 'email', value: '' }),
        'data.identities.1.value',
      ],
      ['no identities at all', (e) => (e.data['identities'] = []), 'data.identities'],
      ['a media url without a protocol', (e) => (e.data.content.media[0]!['url'] = 'api.twilio.com/x'), 'data.content.media.0.url'],
      ['an occurredAt that is not ISO 8601', (e) => (e.metadata['occurredAt'] = '15/01/2025 09:30'), 'metadata.occurredAt'],
      [
        'an occurredAtSource that is neither provider nor received',
        (e) => (e.metadata['occurredAtSource'] = 'guessed'),
        'metadata.occurredAtSource',
      ],
      ['an impossible date', (e) => (e.metadata['recordedAt'] = '2025-02-30T09:30:00Z'), 'metadata.recordedAt'],
      ['schema version 0', (e) => (e.metadata['schemaVersion'] = 0), 'metadata.schemaVersion'],
      ['a schema version sent as a string', (e) => (e.metadata['schemaVersion'] = '1'), 'metadata.schemaVersion'],
      ['an unknown channel', (e) => (e.metadata['channel'] = 'carrier-pigeon'), 'metadata.channel'],
      ['an unknown direction', (e) => (e.data['direction'] = 'sideways'), 'data.direction'],
      ['another event type', (e) => (e['type'] = 'InteractionRecorded'), 'type'],
      ['no provider', (e) => delete (e.data as Json)['provider'], 'data.provider'],
      ['no content', (e) => delete (e.data as Json)['content'], 'data.content'],
      ['no metadata', (e) => delete (e as Json)['metadata'], 'metadata'],
      ['no data', (e) => delete (e as Json)['data'], 'data'],
      ['metadata that is a string', (e) => ((e as Json)['metadata'] = 'sms'), 'metadata'],
    ])('with %s: reports exactly that field, by its dotted path', (_what, breakIt, field) => {
      const errors = errorsOf(brokenEvent(breakIt));
      expect(fieldsOf(errors)).toEqual([field]);
      expect(errors[0]!.messages.length).toBeGreaterThan(0);
      expect(errors[0]!.messages.join(' ')).toContain(field.split('.').at(-1));
    });

    it('reports every broken field at once, not only the first', () => {
      const errors = errorsOf(
        brokenEvent((e) => {
          delete e.metadata['eventId'];
          e.data.identities[0]!['kind'] = 'fax';
          e.metadata['tenantId'] = '';
        }),
      );
      expect(fieldsOf(errors)).toEqual(['data.identities.0.kind', 'metadata.eventId', 'metadata.tenantId']);
    });
  });

  describe('given codes: true', () => {
    it('names each message’s check: the constraint in snake case, unknown_field for a field the contract does not have', () => {
      const result = validateAs(
        InteractionReceivedDto,
        brokenEvent((e) => {
          e.metadata['occurredAt'] = 'yesterday';
          e.metadata['traceId'] = 'abc';
        }),
        { codes: true },
      );
      expect(result.ok ? [] : result.errors.map((e) => [e.field, e.codes]).sort()).toEqual([
        ['metadata.occurredAt', ['is_iso8601']],
        ['metadata.traceId', ['unknown_field']],
      ]);
    });
  });

  describe('given something that is not an object', () => {
    it.each([null, undefined, 'InteractionReceived', 42, [canonicalEvent()]])('rejects %j at the root', (plain) => {
      expect(validateAs(InteractionReceivedDto, plain)).toEqual({
        ok: false,
        errors: [{ field: '(root)', messages: ['must be an object'] }],
      });
    });
  });

  describe('given an event with properties the contract does not know', () => {
    const withUnknown = () =>
      brokenEvent((e) => {
        e['priority'] = 'high';
        e.data.content['html'] = '<p>hi</p>';
        e.metadata['traceId'] = 'abc';
      });

    it('rejects them by default, naming each by its path', () => {
      expect(fieldsOf(errorsOf(withUnknown()))).toEqual(['data.content.html', 'metadata.traceId', 'priority']);
    });

    it('keeps them with allowUnknown', () => {
      const result = validateAs(InteractionReceivedDto, withUnknown(), { allowUnknown: true });
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(result.value).toMatchObject({ priority: 'high', data: { content: { html: '<p>hi</p>' } }, metadata: { traceId: 'abc' } });
    });

    it('still reports invalid known fields with allowUnknown', () => {
      const event = brokenEvent((e) => {
        e['priority'] = 'high';
        e.metadata['channel'] = 'carrier-pigeon';
      });
      expect(fieldsOf(errorsOf(event, { allowUnknown: true }))).toEqual(['metadata.channel']);
    });
  });
});

describe('a payload with a key that names object machinery (fuzz campaign, issue #15)', () => {
  // Counterexample: `{"op":"add","key":"constructor","value":{"json":{"":null}}}` on a Shopify order
  // made class-transformer throw reading `prototype.constructor`: a 500 for a signed webhook.
  it.each(['constructor', '__proto__', 'prototype'])('refuses %s anywhere in the tree, naming where, instead of throwing', (key) => {
    const nested = JSON.parse(`{"data":{"provider":{"${key}":{"":null}}}}`) as unknown;
    expect(() => validateAs(InteractionReceivedDto, nested)).not.toThrow();
    expect(validateAs(InteractionReceivedDto, nested)).toEqual({
      ok: false,
      errors: [{ field: `data.provider.${key}`, messages: [`a key named ${key} is not accepted`] }],
    });
    expect(validateAs(InteractionReceivedDto, JSON.parse(`{"${key}":1}`) as unknown, { allowUnknown: true })).toEqual({
      ok: false,
      errors: [{ field: key, messages: [`a key named ${key} is not accepted`] }],
    });
  });
});

describe('a payload with a lone surrogate in a string (fuzz campaign, issue #15)', () => {
  // Counterexample: a lone surrogate in an email field made validator's isEmail throw URIError (encodeURI): a 500.
  it('is refused, naming the field, before any validator sees it', () => {
    const event = JSON.parse('{"data":{"identities":[{"kind":"email","value":"ada\\udfff@example.com"}]}}') as unknown;
    expect(() => validateAs(InteractionReceivedDto, event)).not.toThrow();
    expect(validateAs(InteractionReceivedDto, event)).toEqual({
      ok: false,
      errors: [{ field: 'data.identities.0.value', messages: ['is not well-formed Unicode (a lone surrogate, e.g. "\\ud800")'] }],
    });
  });

  it('lets a well-formed astral character (a surrogate pair) through', () => {
    expect(validateAs(IdentityRefDto, { kind: 'email', value: 'ada😀@example.com' })).toEqual(
      expect.objectContaining({ ok: expect.any(Boolean) }),
    );
    expect(JSON.stringify(validateAs(IdentityRefDto, { kind: 'email', value: 'ada😀@example.com' }))).not.toContain('well-formed');
  });
});
