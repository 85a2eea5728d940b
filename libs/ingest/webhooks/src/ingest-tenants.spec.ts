import { ConfigError } from '@hub/config';
import { INTERACTION_RECEIVED_SCHEMA_VERSION, type InteractionReceived } from '@hub/contracts';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { ingestTenancy, tenantScopedEvent, type IngestTenancy } from './ingest-tenants';

const voice = CHANNEL_TEST_SETUPS.voice.map((s) => s.definition);
const APP = 'ingest-voice';
const secrets = { AMAZON_CONNECT_FIREHOSE_ACCESS_KEY: 'acme-firehose-access-key-0123456789', TWILIO_AUTH_TOKEN: 'acme-twilio-token' };

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const multi = (tenancy: IngestTenancy) => {
  if (tenancy.mode !== 'multi') throw new Error(`expected multi-tenant, got ${tenancy.mode}`);
  return tenancy.tenants;
};

describe('ingestTenancy: who an ingestion app ingests for', () => {
  describe('given neither INGEST_TENANTS nor INGEST_TENANTS_FILE', () => {
    it('then it is single-tenant, every provider built from the environment, as before', () => {
      const tenancy = ingestTenancy(APP, { ...secrets }, voice);
      expect(tenancy.mode).toBe('single');
      expect(tenancy.mode === 'single' && tenancy.adapters.map((a) => a.manifest.provider)).toEqual(['amazon-connect', 'twilio']);
    });

    it('then a provider secret missing from the environment is named', () => {
      expect(problemsOf(() => ingestTenancy(APP, { TWILIO_AUTH_TOKEN: 't' }, voice))).toEqual([
        expect.stringMatching(/^AMAZON_CONNECT_FIREHOSE_ACCESS_KEY: /),
      ]);
    });
  });

  describe('given INGEST_TENANTS with two tenants', () => {
    const document = {
      tenants: [
        { id: 'acme', settings: secrets },
        { id: 'globex', route: 'Zx81-opaque_token', providers: ['twilio'], settings: { TWILIO_AUTH_TOKEN: 'globex-twilio-token' } },
      ],
    };

    it('then each tenant has its own path prefix (the id, or its route) and its own providers', () => {
      const tenants = multi(ingestTenancy(APP, { INGEST_TENANTS: JSON.stringify(document) }, voice));
      expect(tenants.map((t) => [t.tenantId, t.routePrefix, t.adapters.map((a) => a.manifest.provider)])).toEqual([
        ['acme', '/t/acme', ['amazon-connect', 'twilio']],
        ['globex', '/t/Zx81-opaque_token', ['twilio']],
      ]);
    });

    it('then a tenant without a secret is refused, even when the environment has one: nothing falls back to it', () => {
      const env = { ...secrets, INGEST_TENANTS: JSON.stringify({ tenants: [document.tenants[0], { id: 'globex', settings: {} }] }) };
      expect(problemsOf(() => ingestTenancy(APP, env, voice))).toEqual([
        expect.stringMatching(/^INGEST_TENANTS: tenant globex: AMAZON_CONNECT_FIREHOSE_ACCESS_KEY: /),
        expect.stringMatching(/^INGEST_TENANTS: tenant globex: TWILIO_AUTH_TOKEN: /),
      ]);
    });

    it('then TENANT_ID beside it is refused (which tenant would a request be for?)', () => {
      expect(problemsOf(() => ingestTenancy(APP, { TENANT_ID: 'acme', INGEST_TENANTS: JSON.stringify(document) }, voice))).toEqual([
        expect.stringMatching(/^TENANT_ID: not with INGEST_TENANTS/),
      ]);
    });

    it('then INGEST_TENANTS_FILE beside it is refused', () => {
      expect(
        problemsOf(() =>
          ingestTenancy(APP, { INGEST_TENANTS: JSON.stringify(document), INGEST_TENANTS_FILE: '/run/secrets/tenants.json' }, voice),
        ),
      ).toEqual(['INGEST_TENANTS and INGEST_TENANTS_FILE: set one, not both']);
    });
  });

  describe('given an INGEST_TENANTS that is wrong', () => {
    const problems = (document: unknown) =>
      problemsOf(() => ingestTenancy(APP, { INGEST_TENANTS: typeof document === 'string' ? document : JSON.stringify(document) }, voice));

    it('not JSON: said so, without quoting the text (it holds secrets)', () => {
      const text = '{"tenants":[{"id":"acme","settings":{"TWILIO_AUTH_TOKEN":"s3cret-token"}}]';
      expect(problems(text)).toEqual(['INGEST_TENANTS: is not valid JSON']);
    });

    it('no tenants, a bad id, an unknown key: each named by its field', () => {
      expect(problems({ tenants: [] })).toEqual([expect.stringMatching(/^INGEST_TENANTS: tenants: /)]);
      expect(problems({ tenants: [{ id: 'Acme Inc', settings: secrets }] })).toEqual([
        expect.stringMatching(/^INGEST_TENANTS: tenants\.0\.id: id must be lower-case/),
      ]);
      expect(problems({ tenants: [{ id: 'acme', setings: secrets }] })).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^INGEST_TENANTS: tenants\.0\.setings: /),
          expect.stringMatching(/^INGEST_TENANTS: tenants\.0\.settings: /),
        ]),
      );
      expect(problems({ tenants: [{ id: 'acme', route: '../x', settings: secrets }] })).toEqual([
        expect.stringMatching(/^INGEST_TENANTS: tenants\.0\.route: /),
      ]);
    });

    it('two tenants with one id, or one route: refused', () => {
      expect(
        problems({
          tenants: [
            { id: 'acme', settings: secrets },
            { id: 'acme', route: 'other', settings: secrets },
          ],
        }),
      ).toEqual(['INGEST_TENANTS: two tenants have the id acme']);
      expect(
        problems({
          tenants: [
            { id: 'acme', settings: secrets },
            { id: 'globex', route: 'acme', settings: secrets },
          ],
        }),
      ).toEqual(['INGEST_TENANTS: two tenants have the route acme']);
    });

    it('a provider the app does not serve, a setting that is not a string: named with the tenant', () => {
      expect(problems({ tenants: [{ id: 'acme', providers: ['twilio', 'vonage'], settings: secrets }] })).toEqual([
        'INGEST_TENANTS: tenant acme: providers names vonage; this app serves amazon-connect, twilio',
      ]);
      expect(problems({ tenants: [{ id: 'acme', settings: { ...secrets, SMS_DEFAULT_REGION: 1 } }] })).toEqual([
        'INGEST_TENANTS: tenant acme: settings SMS_DEFAULT_REGION must be strings',
      ]);
    });
  });
});

describe('tenantScopedEvent: a multi-tenant app’s event ids', () => {
  const event = (tenantId: string, correlationId = 'e6a0c2f4-5b1d-4f3e-9a7c-0d8b2e4f6a1c'): InteractionReceived => ({
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550123' }],
      content: { text: 'hi', media: [] },
      provider: { name: 'twilio', messageId: 'SM1' },
    },
    metadata: {
      eventId: 'e6a0c2f4-5b1d-4f3e-9a7c-0d8b2e4f6a1c',
      correlationId,
      causationId: 'e6a0c2f4-5b1d-4f3e-9a7c-0d8b2e4f6a1c',
      occurredAt: '2026-12-07T08:00:00.000Z',
      recordedAt: '2026-12-07T08:00:00.000Z',
      schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
      tenantId,
      channel: 'sms',
    },
  });

  it('given the same provider message for two tenants, then two event ids; for one tenant twice, the same id', () => {
    const acme = tenantScopedEvent(event('acme'));
    const globex = tenantScopedEvent(event('globex'));
    expect(acme.metadata.eventId).not.toBe(globex.metadata.eventId);
    expect(acme.metadata.eventId).not.toBe(event('acme').metadata.eventId);
    expect(tenantScopedEvent(event('acme')).metadata.eventId).toBe(acme.metadata.eventId);
  });

  it('given an event that is its own cause and correlation, then both follow its new id; a correlation of its own (a call, a thread) is kept', () => {
    const own = tenantScopedEvent(event('acme'));
    expect(own.metadata.causationId).toBe(own.metadata.eventId);
    expect(own.metadata.correlationId).toBe(own.metadata.eventId);
    const threaded = tenantScopedEvent(event('acme', 'CA0123456789abcdef0123456789abcdef'));
    expect(threaded.metadata.correlationId).toBe('CA0123456789abcdef0123456789abcdef');
    expect(threaded.data).toEqual(event('acme').data);
  });
});
