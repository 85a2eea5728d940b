import { ApiKeyRegistry, parseApiKeys, parseOperatorKeys, presentedApiKey, sha256Hex } from './api-keys';

const SHAPE = 'must be <tenant>:<sha256 hex of the key>[:<scopes>] (64 hex digits; scopes among read, write, erase, audit joined by +)';

describe('API keys', () => {
  const acmeKey = 'acme-key-0123456789abcdef0123456789';
  const globexKey = 'globex-key-0123456789abcdef01234567';

  describe('when HUB_API_KEYS lists tenant:digest entries', () => {
    it('then each key opens its own tenant only, and an unknown key opens nothing', () => {
      const { keys, problems } = parseApiKeys([`acme:${sha256Hex(acmeKey)}`, `globex:${sha256Hex(globexKey).toUpperCase()}`]);
      const registry = new ApiKeyRegistry(keys);
      expect(problems).toEqual([]);
      expect(registry.verify(acmeKey)).toEqual(expect.objectContaining({ tenantId: 'acme', keyId: sha256Hex(acmeKey).slice(0, 8) }));
      expect(registry.verify(globexKey)?.tenantId).toBe('globex');
      expect(registry.verify('guess')).toBeUndefined();
      expect(registry.verify(sha256Hex(acmeKey))).toBeUndefined();
    });

    it('then two keys of one tenant (rotation) both work, and a repeated entry is harmless', () => {
      const { keys, problems } = parseApiKeys([
        `acme:${sha256Hex(acmeKey)}`,
        `acme:${sha256Hex('next-key')}`,
        `acme:${sha256Hex(acmeKey)}`,
      ]);
      expect(problems).toEqual([]);
      expect(keys).toHaveLength(2);
      expect(new ApiKeyRegistry(keys).verify('next-key')?.tenantId).toBe('acme');
    });
  });

  describe('when an entry is malformed or one key is given to two tenants', () => {
    it('then each problem is reported, without echoing the entry', () => {
      const { problems } = parseApiKeys([
        'acme',
        `Acme:${sha256Hex(acmeKey)}`,
        `acme:${'ab'.repeat(16)}`,
        `acme:${sha256Hex(acmeKey)}`,
        `globex:${sha256Hex(acmeKey)}`,
      ]);
      expect(problems).toEqual([
        `entry 1 ${SHAPE}`,
        `entry 2 ${SHAPE}`,
        `entry 3 ${SHAPE}`,
        'entry 5: the same key is configured for tenants acme and globex; a key opens one tenant',
      ]);
    });
  });

  describe('when entries name scopes', () => {
    it('then a key has exactly the scopes listed, and an entry without any is read-only (keys configured before scopes)', () => {
      const { keys, problems } = parseApiKeys([
        `acme:${sha256Hex(acmeKey)}`,
        `acme:${sha256Hex('writer')}:read+write`,
        `acme:${sha256Hex('eraser')}:erase`,
        `acme:${sha256Hex('all')}:erase+write+read`,
      ]);
      expect(problems).toEqual([]);
      const registry = new ApiKeyRegistry(keys);
      expect([...registry.verify(acmeKey)!.scopes]).toEqual(['read']);
      expect([...registry.verify('writer')!.scopes].sort()).toEqual(['read', 'write']);
      expect([...registry.verify('eraser')!.scopes]).toEqual(['erase']);
      expect([...registry.verify('all')!.scopes].sort()).toEqual(['erase', 'read', 'write']);
    });

    it('then an unknown scope, an empty one, or one key listed with two sets of scopes is refused', () => {
      const { problems } = parseApiKeys([
        `acme:${sha256Hex(acmeKey)}:admin`,
        `acme:${sha256Hex(acmeKey)}:read+`,
        `acme:${sha256Hex(acmeKey)}:`,
        `acme:${sha256Hex('k')}:read`,
        `acme:${sha256Hex('k')}:read+write`,
        `acme:${sha256Hex('k')}`,
      ]);
      expect(problems).toEqual([
        `entry 1 ${SHAPE}`,
        `entry 2 ${SHAPE}`,
        `entry 3 ${SHAPE}`,
        'entry 5: the same key is listed with scopes read and read+write; list it once',
      ]);
    });
  });

  describe('when HUB_ADMIN_API_KEYS lists operator:digest entries', () => {
    it('then each operator key is known by its operator, and is never a tenant key too', () => {
      const tenants = parseApiKeys([`acme:${sha256Hex(acmeKey)}`]).keys;
      const { keys, problems } = parseOperatorKeys(
        [`ops-alice:${sha256Hex('alice-key')}`, `ops-bob:${sha256Hex('bob-key')}`, `ops-alice:${sha256Hex('alice-key')}`],
        tenants,
      );
      expect(problems).toEqual([]);
      expect(new ApiKeyRegistry(keys).verify('bob-key')).toEqual(
        expect.objectContaining({ operator: 'ops-bob', keyId: sha256Hex('bob-key').slice(0, 8) }),
      );
      expect(new ApiKeyRegistry(keys).verify(acmeKey)).toBeUndefined();
    });

    it('then a malformed entry, a key of two operators or a key that is also a tenant key is refused', () => {
      const tenants = parseApiKeys([`acme:${sha256Hex(acmeKey)}`]).keys;
      const { problems } = parseOperatorKeys(
        ['ops', `ops-a:${sha256Hex('k')}`, `ops-b:${sha256Hex('k')}`, `ops-c:${sha256Hex(acmeKey)}`],
        tenants,
      );
      expect(problems).toEqual([
        'entry 1 must be <operator>:<sha256 hex of the key> (64 hex digits)',
        'entry 3: the same key is configured for operators ops-a and ops-b',
        "entry 4: this key is also in HUB_API_KEYS; a key is either a tenant's or an operator's",
      ]);
    });
  });

  /** A string of a JWT's shape (three base64url parts), `length` characters long. */
  const jwt = (length: number) => `eyJhbGciOiJSUzI1NiJ9.${'a'.repeat(length - 24)}.sig`;

  describe('the key a request presents', () => {
    it.each([
      [{ authorization: 'Bearer k1' }, { ok: true, key: 'k1' }],
      [{ authorization: 'bearer   k1' }, { ok: true, key: 'k1' }],
      [{ 'x-api-key': ' k1 ' }, { ok: true, key: 'k1' }],
      [
        { authorization: 'Bearer k1', 'x-api-key': 'k1' },
        { ok: true, key: 'k1' },
      ],
      [{}, { ok: false, reason: 'api_key_missing' }],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, { ok: false, reason: 'api_key_malformed' }],
      [{ authorization: 'Bearer' }, { ok: false, reason: 'api_key_malformed' }],
      [{ authorization: 'Bearer a b' }, { ok: false, reason: 'api_key_malformed' }],
      [{ 'x-api-key': '' }, { ok: false, reason: 'api_key_malformed' }],
      [{ 'x-api-key': ['k1', 'k2'] }, { ok: false, reason: 'api_key_malformed' }],
      [{ 'x-api-key': 'k'.repeat(513) }, { ok: false, reason: 'api_key_malformed' }],
      // A JWT (an OpenID Connect access token) may be longer than a key, up to 8 KiB.
      [{ authorization: `Bearer ${jwt(2_000)}` }, { ok: true, key: jwt(2_000) }],
      [{ authorization: `Bearer ${jwt(8_193)}` }, { ok: false, reason: 'api_key_malformed' }],
      [
        { authorization: 'Bearer k1', 'x-api-key': 'k2' },
        { ok: false, reason: 'api_key_ambiguous' },
      ],
    ])('%j → %j', (headers, expected) => {
      expect(presentedApiKey(headers)).toEqual(expected);
    });
  });
});
