import { createHash } from 'node:crypto';
import { CachedKeyLookup, type StoredKey } from './key-store';

const digestOf = (secret: string) => createHash('sha256').update(secret).digest('hex');
const stored = (over: Partial<StoredKey> = {}): StoredKey => ({
  keyId: 'key_1',
  tenantId: 'acme',
  kind: 'query',
  source: null,
  scopes: new Set(['read']),
  last4: 'abcd',
  rateLimitPerMinute: null,
  createdAt: new Date(0),
  expiresAt: null,
  revokedAt: null,
  rotatedTo: null,
  ...over,
});

/** An in-memory store: the active keys by digest, and how often it was asked. */
function store(keys: Record<string, StoredKey>) {
  const s = {
    keys,
    lookups: 0,
    failing: false,
    findActive: async (digest: Buffer) => {
      s.lookups++;
      if (s.failing) throw new Error('down');
      return s.keys[digest.toString('hex')];
    },
  };
  return s;
}

describe('CachedKeyLookup', () => {
  let now = 1_000_000;
  const clock = () => now;

  describe('when a key is looked up twice within the TTL', () => {
    it('then the store is asked once, and again after the TTL (a revoked key is refused then)', async () => {
      const s = store({ [digestOf('secret')]: stored() });
      const lookup = new CachedKeyLookup(s, 5_000, clock);
      expect((await lookup.verify('secret'))?.keyId).toBe('key_1');
      now += 4_999;
      expect((await lookup.verify('secret'))?.keyId).toBe('key_1');
      expect(s.lookups).toBe(1);
      s.keys = {};
      now += 1;
      expect(await lookup.verify('secret')).toBeUndefined();
      expect(s.lookups).toBe(2);
    });
  });

  describe('when a cached key reaches its expiry (a rotation grace ends)', () => {
    it('then it is refused at once, whatever the cache holds', async () => {
      const s = store({ [digestOf('secret')]: stored({ expiresAt: new Date(now + 1_000) }) });
      const lookup = new CachedKeyLookup(s, 60_000, clock);
      expect(await lookup.verify('secret')).toBeDefined();
      now += 1_000;
      expect(await lookup.verify('secret')).toBeUndefined();
      expect(s.lookups).toBe(1);
    });
  });

  describe('when the store cannot be read', () => {
    it('then verify throws and the failure is not remembered', async () => {
      const s = store({ [digestOf('secret')]: stored() });
      const lookup = new CachedKeyLookup(s, 60_000, clock);
      s.failing = true;
      await expect(lookup.verify('secret')).rejects.toThrow('down');
      s.failing = false;
      expect(await lookup.verify('secret')).toBeDefined();
    });
  });
});
