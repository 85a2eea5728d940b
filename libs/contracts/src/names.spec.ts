import { ConsumerGroups, customerStream, identityKey, identityStream, parseCustomerStream, Queues, StreamCategories, Topics } from './names';

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
      ['an identity stream', identityStream('acme', 'phone', '+14155550100')],
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
      const stream = identityStream('acme', 'phone', phone);
      expect(stream).not.toContain(phone);
      expect(stream).not.toContain('4155550100');
      expect(stream).not.toContain('5550100');
    });

    it('contains no part of a raw email address', () => {
      const stream = identityStream('acme', 'email', email);
      expect(stream).not.toContain(email);
      expect(stream).not.toContain('alice');
      expect(stream).not.toContain('example');
      expect(stream).not.toContain('@');
    });

    it("is in the 'identity' category and names the tenant and kind, then a 40-hex digest", () => {
      expect(identityStream('acme', 'phone', phone)).toMatch(/^identity-acme\.phone\.[0-9a-f]{40}$/);
    });

    it('is the same for the same identity every time', () => {
      expect(identityStream('acme', 'email', email)).toBe(identityStream('acme', 'email', email));
    });

    it('differs when the tenant, the kind or the value differs', () => {
      const base = identityStream('acme', 'phone', phone);
      expect(identityStream('other', 'phone', phone)).not.toBe(base);
      expect(identityStream('acme', 'handle', phone)).not.toBe(base);
      expect(identityStream('acme', 'phone', '+14155550101')).not.toBe(base);
    });

    it('stays short for the longest allowed identity value', () => {
      const long = `${'a'.repeat(300)}@example.com`;
      expect(identityStream('acme', 'email', long).length).toBeLessThan(80);
    });
  });

  describe('identityKey', () => {
    it('keeps one identity of one tenant on one key, and separates tenants', () => {
      expect(identityKey('acme', 'phone', '+14155550100')).toBe(identityKey('acme', 'phone', '+14155550100'));
      expect(identityKey('acme', 'phone', '+14155550100')).not.toBe(identityKey('other', 'phone', '+14155550100'));
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
