import { authenticateSource, parseSourceKeys, presentedApiKey, sha256Hex, SourceKeyRegistry } from './source-keys';

describe('per-source API keys', () => {
  const genesysKey = 'genesys-acme-0123456789abcdef0123456789';
  const five9Key = 'five9-globex-0123456789abcdef01234567';

  describe('when INGEST_API_KEYS lists source:tenant:digest entries', () => {
    it('then each key names its source and tenant, and an unknown key or a digest opens nothing', () => {
      const { keys, problems } = parseSourceKeys([
        `genesys:acme:${sha256Hex(genesysKey)}`,
        `five9:globex:${sha256Hex(five9Key).toUpperCase()}`,
      ]);
      const registry = new SourceKeyRegistry(keys);
      expect(problems).toEqual([]);
      expect(registry.verify(genesysKey)).toEqual(
        expect.objectContaining({ source: 'genesys', tenantId: 'acme', keyId: sha256Hex(genesysKey).slice(0, 8) }),
      );
      expect(registry.verify(five9Key)).toEqual(expect.objectContaining({ source: 'five9', tenantId: 'globex' }));
      expect(registry.verify('guess')).toBeUndefined();
      expect(registry.verify(sha256Hex(genesysKey))).toBeUndefined();
    });

    it('then one source may have keys for several tenants, and a repeated entry is harmless', () => {
      const { keys, problems } = parseSourceKeys([
        `genesys:acme:${sha256Hex('k1')}`,
        `genesys:globex:${sha256Hex('k2')}`,
        `genesys:acme:${sha256Hex('k1')}`,
      ]);
      expect(problems).toEqual([]);
      expect(keys.map((k) => `${k.source}@${k.tenantId}`)).toEqual(['genesys@acme', 'genesys@globex']);
    });
  });

  describe('when an entry is malformed or one key is given to two sources', () => {
    it('then each problem is reported by position, without echoing the entry', () => {
      const { problems } = parseSourceKeys([
        'acme',
        `acme:${sha256Hex('k')}`,
        `Genesys:acme:${sha256Hex('k')}`,
        `genesys:acme:${sha256Hex('k')}`,
        `five9:acme:${sha256Hex('k')}`,
      ]);
      expect(problems).toEqual([
        'entry 1 must be <source>:<tenant>:<sha256 hex of the key> (lower-case names, 64 hex digits)',
        'entry 2 must be <source>:<tenant>:<sha256 hex of the key> (lower-case names, 64 hex digits)',
        'entry 3 must be <source>:<tenant>:<sha256 hex of the key> (lower-case names, 64 hex digits)',
        'entry 5: the same key is configured for genesys:acme and five9:acme; a key belongs to one source and tenant',
      ]);
      expect(problems.join()).not.toContain(sha256Hex('k'));
    });
  });

  describe('the key a request presents', () => {
    it.each([
      [{ authorization: 'Bearer k1' }, { ok: true, key: 'k1' }],
      [{ 'x-api-key': ' k1 ' }, { ok: true, key: 'k1' }],
      [
        { authorization: 'Bearer k1', 'x-api-key': 'k1' },
        { ok: true, key: 'k1' },
      ],
      [{}, { ok: false, reason: 'api_key_missing' }],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, { ok: false, reason: 'api_key_malformed' }],
      [{ 'x-api-key': ['k1', 'k2'] }, { ok: false, reason: 'api_key_malformed' }],
      [
        { authorization: 'Bearer k1', 'x-api-key': 'k2' },
        { ok: false, reason: 'api_key_ambiguous' },
      ],
    ])('%j → %j', (headers, expected) => {
      expect(presentedApiKey(headers)).toEqual(expected);
    });

    it('is refused as api_key_invalid when it is well-formed but not configured', () => {
      const registry = new SourceKeyRegistry(parseSourceKeys([`genesys:acme:${sha256Hex(genesysKey)}`]).keys);
      expect(authenticateSource(registry, { authorization: 'Bearer nope' })).toEqual({ ok: false, reason: 'api_key_invalid' });
      expect(authenticateSource(registry, { 'x-api-key': genesysKey })).toEqual({
        ok: true,
        key: expect.objectContaining({ source: 'genesys', tenantId: 'acme' }),
      });
    });
  });
});
