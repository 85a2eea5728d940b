import { createHash } from 'node:crypto';
import { DEV_IDENTITY_HASH_KEY, IdentityHasher, InvalidIdentityHashKeyError } from './identity-hasher';
import {
  ConsumerGroups,
  customerStream,
  identityKey,
  identityStream,
  legacyIdentityStream,
  parseCustomerStream,
  parseIdentityStream,
  Queues,
  StreamCategories,
  Topics,
} from './names';

const hasher = IdentityHasher.development();
const otherKey = IdentityHasher.fromBase64(Buffer.alloc(32, 7).toString('base64'));

describe('stream and topic names', () => {
  describe('customerStream', () => {
    it.each([
      ['acme', '8f14e45f-ceea-467f-a0e6-1b2a3c4d5e6f'],
      ['acme-eu', 'cust_42'],
      ['t1', 'id.with.dots'],
      ['tenant_x', 'id-with-dashes'],
    ])('round-trips tenant %j and customer %j through parseCustomerStream', (tenantId, customerId) => {
      expect(parseCustomerStream(customerStream(tenantId, customerId))).toEqual({ tenantId, customerId });
    });

    it("is in the 'customer' category, as EventStoreDB's $by_category reads it (the part before the first '-')", () => {
      const stream = customerStream('acme-eu', 'c-1');
      expect(stream.split('-')[0]).toBe(StreamCategories.customer);
    });

    it('differs per tenant for the same customer id', () => {
      expect(customerStream('a', 'c1')).not.toBe(customerStream('b', 'c1'));
    });
  });

  describe('parseCustomerStream', () => {
    it.each([
      ['an identity stream', identityStream(hasher, 'acme', 'phone', '+14155550100')],
      ['a stream of another category', 'order-acme.123'],
      ['a customer stream without a customer id separator', 'customer-acme'],
      ['a customer stream without a tenant', 'customer-.123'],
      ['the bare category', 'customer'],
      ['an empty string', ''],
    ])('gives undefined for %s', (_what, stream) => {
      expect(parseCustomerStream(stream)).toBeUndefined();
    });
  });

  describe('identityStream', () => {
    const phone = '+14155550100';
    const email = 'alice.smith@example.com';

    it('contains no part of a raw phone number', () => {
      const stream = identityStream(hasher, 'acme', 'phone', phone);
      expect(stream).not.toContain(phone);
      expect(stream).not.toContain('4155550100');
      expect(stream).not.toContain('5550100');
    });

    it('contains no part of a raw email address', () => {
      const stream = identityStream(hasher, 'acme', 'email', email);
      expect(stream).not.toContain(email);
      expect(stream).not.toContain('alice');
      expect(stream).not.toContain('example');
      expect(stream).not.toContain('@');
    });

    it("is in the 'identity' category and names the tenant and kind, then a keyed 40-hex digest", () => {
      expect(identityStream(hasher, 'acme', 'phone', phone)).toMatch(/^identity-acme\.phone\.k-[0-9a-f]{40}$/);
    });

    it('cannot be recomputed without the key: it is not the unkeyed hash of the identity', () => {
      const stream = identityStream(hasher, 'acme', 'phone', phone);
      const unkeyed = createHash('sha256').update(`phone:${phone}`).digest('hex');
      expect(stream).not.toContain(unkeyed.slice(0, 40));
      expect(stream).not.toBe(legacyIdentityStream('acme', 'phone', phone));
    });

    it('differs under another key', () => {
      expect(identityStream(otherKey, 'acme', 'phone', phone)).not.toBe(identityStream(hasher, 'acme', 'phone', phone));
    });

    it('is the same for the same identity every time', () => {
      expect(identityStream(hasher, 'acme', 'email', email)).toBe(
        identityStream(IdentityHasher.fromBase64(DEV_IDENTITY_HASH_KEY), 'acme', 'email', email),
      );
    });

    it('differs when the tenant, the kind or the value differs', () => {
      const base = identityStream(hasher, 'acme', 'phone', phone);
      expect(identityStream(hasher, 'other', 'phone', phone)).not.toBe(base);
      expect(identityStream(hasher, 'acme', 'handle', phone)).not.toBe(base);
      expect(identityStream(hasher, 'acme', 'phone', '+14155550101')).not.toBe(base);
    });

    it("uses a key derived per tenant: two tenants' digests of one phone number share nothing", () => {
      const digestOf = (tenant: string) => identityStream(hasher, tenant, 'phone', phone).split('.k-')[1];
      expect(digestOf('acme')).not.toBe(digestOf('other'));
      expect(hasher.digest('acme', 'phone', phone)).not.toBe(hasher.digest('other', 'phone', phone));
    });

    it('stays short for the longest allowed identity value', () => {
      const long = `${'a'.repeat(300)}@example.com`;
      expect(identityStream(hasher, 'acme', 'email', long).length).toBeLessThan(80);
    });
  });

  describe('parseIdentityStream', () => {
    it('tells a keyed name from a legacy one, and finds the tenant (kinds may hold dots)', () => {
      expect(parseIdentityStream(identityStream(hasher, 'acme', 'handle.telegram', '42'))).toEqual({ tenantId: 'acme', keyed: true });
      expect(parseIdentityStream(legacyIdentityStream('acme', 'phone', '+14155550100'))).toEqual({ tenantId: 'acme', keyed: false });
    });

    it.each([
      ['a customer stream', customerStream('acme', 'c1')],
      ['no kind', 'identity-acme.k-' + 'a'.repeat(40)],
      ['no digest', 'identity-acme.phone.xyz'],
    ])('gives undefined for %s', (_what, stream) => {
      expect(parseIdentityStream(stream)).toBeUndefined();
    });
  });

  describe('IdentityHasher', () => {
    it.each([
      ['too short', 'c2hvcnQ='],
      ['not base64', '!'.repeat(44)],
      ['empty', ''],
    ])('refuses a key that is %s', (_what, key) => {
      expect(() => IdentityHasher.fromBase64(key)).toThrow(InvalidIdentityHashKeyError);
    });

    it('has a fingerprint that names the key without revealing it', () => {
      expect(hasher.fingerprint).toMatch(/^[0-9a-f]{8}$/);
      expect(otherKey.fingerprint).not.toBe(hasher.fingerprint);
    });
  });

  describe('identityKey', () => {
    it('keeps one identity of one tenant on one key, and separates tenants', () => {
      expect(identityKey(hasher, 'acme', 'phone', '+14155550100')).toBe(identityKey(hasher, 'acme', 'phone', '+14155550100'));
      expect(identityKey(hasher, 'acme', 'phone', '+14155550100')).not.toBe(identityKey(hasher, 'other', 'phone', '+14155550100'));
    });

    it('holds no part of the identity, and is not its claim stream digest', () => {
      const key = identityKey(hasher, 'acme', 'phone', '+14155550100');
      expect(key).toMatch(/^acme\|phone\|[0-9a-f]{40}$/);
      expect(key).not.toContain('5550100');
      expect(identityStream(hasher, 'acme', 'phone', '+14155550100')).not.toContain(key.split('|')[2]);
    });
  });

  describe('the name registry', () => {
    it('versions every topic, so a breaking change gets a new topic instead of a rename', () => {
      for (const topic of Object.values(Topics)) expect(topic).toMatch(/\.v\d+$/);
    });

    it('never gives two topics, groups or queues the same name', () => {
      const names = [...Object.values(Topics), ...Object.values(ConsumerGroups), ...Object.values(Queues)];
      expect(new Set(names).size).toBe(names.length);
    });

    it('uses no ":" in queue names (BullMQ uses it as its key separator)', () => {
      for (const queue of Object.values(Queues)) expect(queue).not.toContain(':');
    });
  });
});
