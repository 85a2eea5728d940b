import { deterministicId, IdentityHasher, identityKey } from '@hub/contracts';
import {
  clientScopedEventId,
  derivedEventId,
  normaliseInteraction,
  parseJson,
  readInteraction,
  type IntakeContext,
  type IntakeResult,
} from './interaction-intake';
import { AttributeSchemas } from './attribute-schemas';

const recordedAt = '2025-03-01T12:00:00.000Z';
const api: IntakeContext = { origin: { kind: 'api', source: 'genesys', tenantId: 'acme' }, recordedAt, maxEventBytes: 64 * 1024 };
const raw: IntakeContext = { origin: { kind: 'raw', allowedTenants: new Set(['acme']) }, recordedAt, maxEventBytes: 64 * 1024 };

/** What a platform sends: the canonical event without what the hub fills in. */
function sent(overrides: { data?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+1 (415) 555-0100' }],
      content: { text: 'My parcel has not arrived', media: [] },
      provider: { messageId: 'conv-42/msg-7' },
      ...overrides.data,
    },
    metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms', ...overrides.metadata },
  };
}

const read = (event: unknown, ctx: IntakeContext = api): IntakeResult => readInteraction(Buffer.from(JSON.stringify(event)), ctx);
const fields = (r: IntakeResult) => (r.ok ? [] : r.errors.map((e) => e.field));

describe('reading a canonical event sent to the generic API', () => {
  describe('when a platform sends a valid event without id, tenant or source', () => {
    const result = read(sent());

    it('then the hub fills in the key’s tenant and source, its own recordedAt and the schema version', () => {
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.event.metadata).toEqual(
        expect.objectContaining({ tenantId: 'acme', recordedAt, schemaVersion: 1, occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms' }),
      );
      expect(result.event.data.provider.name).toBe('genesys');
    });

    it('then the event id is derived from tenant, source and provider message id, and correlates with itself', () => {
      if (!result.ok) throw new Error('expected ok');
      const id = derivedEventId('acme', 'genesys', 'conv-42/msg-7');
      expect(result.event.metadata.eventId).toBe(id);
      expect(id).toBe(deterministicId('ingest-api', 'acme', 'genesys', 'conv-42/msg-7'));
      expect(result.event.metadata.correlationId).toBe(id);
      expect(result.event.metadata.causationId).toBe(id);
    });

    it('then identities are normalised as every channel’s are (phones to E.164)', () => {
      if (!result.ok) throw new Error('expected ok');
      expect(result.event.data.identities).toEqual([{ kind: 'phone', value: '+14155550100' }]);
    });
  });

  describe('when the same provider message is sent again, over HTTP or the raw topic, later', () => {
    it('then it gets the same event id, so downstream deduplicates it', () => {
      const first = read(sent());
      const again = read(sent(), { ...api, recordedAt: '2025-03-02T00:00:00.000Z' });
      const viaRaw = read(
        sent({ data: { provider: { name: 'genesys', messageId: 'conv-42/msg-7' } }, metadata: { tenantId: 'acme' } }),
        raw,
      );
      const ids = [first, again, viaRaw].map((r) => (r.ok ? r.event.metadata.eventId : r.code));
      expect(new Set(ids).size).toBe(1);
    });

    it('then another tenant or another source gives another id', () => {
      expect(derivedEventId('globex', 'genesys', 'm1')).not.toBe(derivedEventId('acme', 'genesys', 'm1'));
      expect(derivedEventId('acme', 'five9', 'm1')).not.toBe(derivedEventId('acme', 'genesys', 'm1'));
    });
  });

  describe('when the event says (or not) where its occurredAt came from', () => {
    it('then without occurredAtSource the sender’s occurredAt is taken as provider time', () => {
      const r = read(sent());
      expect(r.ok && r.event.metadata.occurredAtSource).toBe('provider');
    });

    it('then a sender that only knows when it received the interaction may say received, and it is kept', () => {
      const r = read(sent({ metadata: { occurredAtSource: 'received' } }));
      expect(r.ok && r.event.metadata.occurredAtSource).toBe('received');
    });

    it('then any other value is refused, naming the field', () => {
      const r = read(sent({ metadata: { occurredAtSource: 'guessed' } }));
      expect(fields(r)).toEqual(['metadata.occurredAtSource']);
    });
  });

  describe('when the event carries its own ids and recordedAt', () => {
    it('then the stored id is scoped by tenant and source (the given one, lower-cased, is returned beside it), and recordedAt is the hub’s', () => {
      const r = read(
        sent({
          metadata: { eventId: 'A3BB189E-8BF9-3888-9912-ACE4E6543002', correlationId: 'case-9', recordedAt: '1999-01-01T00:00:00.000Z' },
        }),
      );
      const stored = deterministicId('client-event', 'acme', 'genesys', 'a3bb189e-8bf9-3888-9912-ace4e6543002');
      expect(r.ok && r.event.metadata).toEqual(
        expect.objectContaining({ eventId: stored, correlationId: 'case-9', causationId: stored, recordedAt }),
      );
      expect(r.ok && r.clientEventId).toBe('a3bb189e-8bf9-3888-9912-ace4e6543002');
      expect(clientScopedEventId('acme', 'genesys', 'A3BB189E-8BF9-3888-9912-ACE4E6543002')).toBe(stored);
    });

    it('then two tenants sending the same id get two events, and one tenant sending it twice gets one', () => {
      const id = 'a3bb189e-8bf9-3888-9912-ace4e6543002';
      const idOf = (r: IntakeResult) => (r.ok ? r.event.metadata.eventId : undefined);
      const acme = read(sent({ metadata: { eventId: id } }));
      const globex = read(sent({ metadata: { eventId: id } }), { ...api, origin: { kind: 'api', source: 'genesys', tenantId: 'globex' } });
      const otherSource = read(sent({ metadata: { eventId: id } }), { ...api, origin: { kind: 'api', source: 'five9', tenantId: 'acme' } });
      expect(new Set([idOf(acme), idOf(globex), idOf(otherSource)]).size).toBe(3);
      expect(idOf(read(sent({ metadata: { eventId: id.toUpperCase() } })))).toBe(idOf(acme));
      // The raw topic scopes alike: the same (tenant, source, id) is the same event on either path.
      expect(
        idOf(read(sent({ data: { provider: { name: 'genesys', messageId: 'x' } }, metadata: { eventId: id, tenantId: 'acme' } }), raw)),
      ).toBe(idOf(acme));
    });

    it('then an event without an id keeps the id derived from (tenant, source, provider message id), and no clientEventId', () => {
      const r = read(sent());
      expect(r.ok && r.event.metadata.eventId).toBe(derivedEventId('acme', 'genesys', 'conv-42/msg-7'));
      expect(r.ok && 'clientEventId' in r).toBe(false);
    });

    it('then a platform id of its own (not a UUID) is accepted, scoped the same way, compared exactly, and returned as given', () => {
      const idOf = (r: IntakeResult) => (r.ok ? r.event.metadata.eventId : undefined);
      const r = read(sent({ metadata: { eventId: 'CCX-1' } }));
      expect(r.ok && r.clientEventId).toBe('CCX-1');
      expect(idOf(r)).toBe(deterministicId('client-event', 'acme', 'genesys', 'CCX-1'));
      expect(idOf(r)).toBe(clientScopedEventId('acme', 'genesys', 'CCX-1'));
      // The same id again is the same event; another case is another id (platform ids can be case-sensitive).
      expect(idOf(read(sent({ metadata: { eventId: 'CCX-1' } })))).toBe(idOf(r));
      expect(idOf(read(sent({ metadata: { eventId: 'ccx-1' } })))).not.toBe(idOf(r));
      expect(
        idOf(read(sent({ metadata: { eventId: 'CCX-1' } }), { ...api, origin: { kind: 'api', source: 'genesys', tenantId: 'globex' } })),
      ).not.toBe(idOf(r));
      expect(
        idOf(
          read(sent({ data: { provider: { name: 'genesys', messageId: 'x' } }, metadata: { eventId: 'CCX-1', tenantId: 'acme' } }), raw),
        ),
      ).toBe(idOf(r));
    });

    it.each([
      ['empty', ''],
      ['too long', 'x'.repeat(201)],
      ['a control character', 'CCX\u00011'],
      ['surrounding spaces', ' CCX-1'],
      ['not a string', 42],
    ])('then an event id that is %s is refused, naming the field', (_what, eventId) => {
      const r = read(sent({ metadata: { eventId } }));
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'invalid_event' }));
      expect(fields(r)).toEqual(['metadata.eventId']);
    });
  });

  describe('when a platform sends who handled it and leaves out what does not apply (issue #16)', () => {
    const handling = { agent: 'a-117', queue: 'billing', team: 'tier-2', disposition: 'resolved' };

    it('then agent, queue, team and disposition are taken on any kind, a message here', () => {
      const r = read(sent({ data: { handling } }));
      expect(r.ok && r.event.data.handling).toEqual(handling);
    });

    it('then a call without content.media gets an empty list', () => {
      const call = { status: 'completed', durationSeconds: 340 };
      const r = read(sent({ data: { kind: 'call', content: { text: 'billing question' }, call, handling } }));
      expect(r.ok && r.event.data.content).toEqual({ text: 'billing question', media: [] });
      expect(r.ok && r.event.data.call).toEqual(call);
    });

    it('then an empty agent or an unknown handling field is refused, naming it, with the other problems', () => {
      const r = read(sent({ data: { handling: { agent: '', shift: 'night' } }, metadata: { occurredAt: 'yesterday' } }));
      expect(fields(r).sort()).toEqual(['data.handling.agent', 'data.handling.shift', 'metadata.occurredAt']);
    });
  });

  describe('when a platform sends attributes of its own (issue #16)', () => {
    const declared = AttributeSchemas.load(
      JSON.stringify({
        acme: {
          type: 'object',
          properties: { region: { enum: ['eu', 'us'] }, priority: { type: 'integer' } },
          additionalProperties: false,
        },
      }),
    );
    if (!declared.ok) throw new Error(declared.problems.join('; '));
    const withSchemas: IntakeContext = { ...api, attributeSchemas: declared.schemas };

    it('then attributes its tenant declared are taken as sent', () => {
      const r = read(sent({ data: { attributes: { region: 'eu', priority: 2 } } }), withSchemas);
      expect(r.ok && r.event.data.attributes).toEqual({ region: 'eu', priority: 2 });
    });

    it('then attributes that do not fit the schema are named, with the event’s other problems', () => {
      const r = read(
        sent({ data: { attributes: { region: 'mars', shift: 'night' } }, metadata: { occurredAt: 'yesterday' } }),
        withSchemas,
      );
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'invalid_event' }));
      expect(!r.ok && r.errors.map((e) => [e.field, e.codes]).sort()).toEqual([
        ['data.attributes.region', ['schema_enum']],
        ['data.attributes.shift', ['schema_additional_properties']],
        ['metadata.occurredAt', ['is_iso8601']],
      ]);
    });

    it('then a tenant that declared none may send none', () => {
      const r = read(sent({ data: { attributes: { region: 'eu' } } }));
      expect(!r.ok && r.errors).toEqual([expect.objectContaining({ field: 'data.attributes', codes: ['attributes_not_declared'] })]);
    });

    it('then a nested or null value is refused by the contract, before any schema', () => {
      for (const attributes of [{ region: { name: 'eu' } }, { region: null }, {}, null])
        expect(fields(read(sent({ data: { attributes } }), withSchemas))).toEqual(['data.attributes']);
    });
  });

  describe('when the event names another tenant than the API key’s', () => {
    it('then it is refused as tenant_mismatch on metadata.tenantId', () => {
      const r = read(sent({ metadata: { tenantId: 'globex' } }));
      expect(r).toEqual({
        ok: false,
        code: 'tenant_mismatch',
        errors: [{ field: 'metadata.tenantId', messages: ["must be the API key's tenant (acme) or absent"], codes: ['tenant_mismatch'] }],
        // The tenant it claimed, named with the refusal (where the raw topic's feedback goes).
        tenantId: 'globex',
      });
    });

    it('then it is still tenant_mismatch, with every other problem reported beside it', () => {
      const r = read(sent({ metadata: { tenantId: 'globex', occurredAt: 'yesterday' } }));
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'tenant_mismatch' }));
      expect(fields(r).sort()).toEqual(['metadata.occurredAt', 'metadata.tenantId']);
    });

    it('then the key’s own tenant, given explicitly, is fine', () => {
      expect(read(sent({ metadata: { tenantId: 'acme' } })).ok).toBe(true);
    });
  });

  describe('when the event names another provider than the API key’s source', () => {
    it('then it is refused as source_mismatch on data.provider.name', () => {
      const r = read(sent({ data: { provider: { name: 'twilio', messageId: 'SM1' } } }));
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'source_mismatch' }));
      expect(fields(r)).toEqual(['data.provider.name']);
    });
  });

  describe('when the event is not a valid canonical event', () => {
    it('then every failing field is named with its path, including nested facets', () => {
      const r = read(
        sent({
          data: { kind: 'call', direction: 'sideways', content: { media: [{ url: 'not a url' }] }, extra: 1 },
          metadata: { occurredAt: 'yesterday' },
        }),
      );
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'invalid_event' }));
      expect(fields(r).sort()).toEqual(['data.call', 'data.content.media.0.url', 'data.direction', 'data.extra', 'metadata.occurredAt']);
    });

    it('then a missing provider message id is reported as such, not as a missing event id', () => {
      const r = read(sent({ data: { provider: {} } }));
      expect(fields(r)).toEqual(['data.provider.messageId']);
    });

    it('then an identity the hub cannot normalise is refused on its value', () => {
      const r = read(
        sent({
          data: {
            identities: [
              { kind: 'email', value: 'a@example.com' },
              { kind: 'phone', value: '12' },
            ],
          },
        }),
      );
      expect(fields(r)).toEqual(['data.identities.1.value']);
      expect(!r.ok && r.errors[0]!.codes).toEqual(['invalid_identity']);
    });

    it('then an identity the hub cannot normalise is reported with the other problems, not after they are fixed', () => {
      const r = read(
        sent({
          data: {
            identities: [
              { kind: 'phone', value: '12' },
              { kind: 'fax', value: '1' },
            ],
            direction: 'sideways',
          },
          metadata: { occurredAt: 'yesterday', eventId: ' padded ' },
        }),
      );
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'invalid_event' }));
      expect(fields(r).sort()).toEqual([
        'data.direction',
        'data.identities.0.value',
        'data.identities.1.kind',
        'metadata.eventId',
        'metadata.occurredAt',
      ]);
    });

    it('then each problem names its check', () => {
      const r = read(sent({ data: { extra: 1 }, metadata: { occurredAt: 'yesterday' } }));
      expect(!r.ok && Object.fromEntries(r.errors.map((e) => [e.field, e.codes]))).toEqual({
        'data.extra': ['unknown_field'],
        'metadata.occurredAt': ['is_iso8601'],
      });
    });

    it('then an array, a string or null is refused at the root', () => {
      for (const body of [[sent()], 'event', null]) expect(fields(read(body))).toEqual(['(root)']);
    });
  });

  describe('when the bytes are not one JSON document or are too large', () => {
    it('then they are refused as invalid_json with the parser’s reason', () => {
      const r = readInteraction(Buffer.from('{"type": "InteractionReceived",'), api);
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'invalid_json' }));
      expect(!r.ok && r.errors[0]!.messages[0]).toMatch(/^is not JSON: /);
    });

    it('then a prototype-poisoning document is refused before it reaches validation', () => {
      expect(parseJson('{"data":{"__proto__":{"polluted":true}}}').ok).toBe(false);
      expect(parseJson('{"constructor":{"prototype":{"polluted":true}}}').ok).toBe(false);
      expect(parseJson('{"data":{"content":{"text":"__proto__ constructor prototype"}}}').ok).toBe(true);
    });

    it('then a document nested thousands deep is refused as invalid_json with the reason (the poisoning walk overflowed the stack: a 500, and on the raw topic a partition stuck on a retryable error)', () => {
      const r = readInteraction(Buffer.from(`{"type":"InteractionReceived","data":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`), api);
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'invalid_json' }));
      expect(!r.ok && r.errors[0]!.messages[0]).toBe('is refused: it nests arrays and objects more than 64 levels deep');
    });

    it('then an event larger than INGEST_MAX_EVENT_BYTES is refused unread', () => {
      const r = read(sent({ data: { content: { text: 'x'.repeat(70_000), media: [] } } }));
      expect(r).toEqual(expect.objectContaining({ ok: false, code: 'event_too_large' }));
      expect(!r.ok && r.errors[0]!.messages[0]).toMatch(/at most 65536 are accepted \(INGEST_MAX_EVENT_BYTES\)/);
    });
  });

  describe('when the event comes from the raw topic', () => {
    const rawEvent = (metadata: Record<string, unknown>) => sent({ data: { provider: { name: 'genesys', messageId: 'm-1' } }, metadata });

    it('then its tenant must be on the allow-list', () => {
      expect(read(rawEvent({ tenantId: 'acme' }), raw).ok).toBe(true);
      expect(read(rawEvent({ tenantId: 'globex' }), raw)).toEqual(expect.objectContaining({ ok: false, code: 'tenant_not_allowed' }));
      expect(fields(read(rawEvent({}), raw))).toEqual(['metadata.tenantId']);
    });

    it('then the provider name (its source) is required', () => {
      const r = read(sent({ metadata: { tenantId: 'acme' } }), raw);
      expect(fields(r)).toEqual(['data.provider.name']);
    });

    it('then it is keyed like every other channel’s interaction once read', () => {
      const r = normaliseInteraction(rawEvent({ tenantId: 'acme' }), raw);
      expect(
        r.ok &&
          identityKey(
            IdentityHasher.development(),
            r.event.metadata.tenantId,
            r.event.data.identities[0]!.kind,
            r.event.data.identities[0]!.value,
          ),
      ).toBe(identityKey(IdentityHasher.development(), 'acme', 'phone', '+14155550100'));
    });
  });
});

describe('counterexamples of the fuzz campaign (issue #15)', () => {
  it('an external identity whose namespace is null is refused, naming the field, instead of a 500 from normalising null', () => {
    const result = read(sent({ data: { identities: [{ kind: 'external', namespace: null, value: 'c-42' }] } }));
    expect(result).toEqual({
      ok: false,
      code: 'invalid_event',
      errors: [expect.objectContaining({ field: 'data.identities.0.namespace' })],
      tenantId: 'acme',
    });
  });

  it.each([
    ['content.text', { content: { text: null, media: [] } }],
    ['threadId', { threadId: null }],
    ['interactive', { interactive: null }],
  ])('an optional %s sent as null is refused, named, rather than published as a null the contract does not allow', (field, data) => {
    expect(fields(read(sent({ data })))).toEqual([`data.${field}`]);
  });
});
