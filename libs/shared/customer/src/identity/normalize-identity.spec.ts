import {
  HANDLE_PLATFORMS,
  identityToString,
  normalizeEmail,
  normalizeExternalId,
  normalizeHandle,
  normalizePhone,
  type NormalizeResult,
} from './normalize-identity';

const phoneOf = (result: NormalizeResult): string | undefined => (result.ok ? result.identity.value : undefined);

describe('normalizePhone', () => {
  describe('given a number that carries its country code', () => {
    it.each([
      ['E.164', '+14155550100'],
      ['formatted with spaces, dashes and brackets', '+1 (415) 555-0100'],
      ['surrounded by whitespace', '  +1 415 555 0100 \n'],
      ["WhatsApp's digits-only form", '14155550100'],
      ["WhatsApp's whatsapp: prefix", 'whatsapp:+14155550100'],
      ['an upper-case WHATSAPP: prefix', 'WHATSAPP:+14155550100'],
      ['a tel: URI', 'tel:+14155550100'],
      ['an sms: URI', 'sms:+14155550100'],
    ])('gives E.164 for %s', (_format, raw) => {
      expect(normalizePhone(raw)).toEqual({ ok: true, identity: { kind: 'phone', value: '+14155550100' } });
    });

    it.each([
      ['+44 7911 123456', '+447911123456'],
      ['447911123456', '+447911123456'],
      ['whatsapp:+971501234567', '+971501234567'],
      ['+33 6 12 34 56 78', '+33612345678'],
    ])('gives E.164 for the non-US number %j', (raw, e164) => {
      expect(phoneOf(normalizePhone(raw))).toBe(e164);
    });

    it('ignores the default region when the number says its country', () => {
      expect(phoneOf(normalizePhone('+14155550100', 'GB'))).toBe('+14155550100');
      expect(phoneOf(normalizePhone('whatsapp:+447911123456', 'US'))).toBe('+447911123456');
    });
  });

  describe('given a national number', () => {
    it("reads it in the default region 'US'", () => {
      expect(phoneOf(normalizePhone('(415) 555-0100', 'US'))).toBe('+14155550100');
      expect(phoneOf(normalizePhone('4155550100', 'US'))).toBe('+14155550100');
    });

    it("reads it in the default region 'GB'", () => {
      expect(phoneOf(normalizePhone('07911 123456', 'GB'))).toBe('+447911123456');
      expect(phoneOf(normalizePhone('020 7946 0958', 'GB'))).toBe('+442079460958');
    });

    it('refuses it without a default region, rather than guessing the country', () => {
      expect(normalizePhone('(415) 555-0100').ok).toBe(false);
      expect(normalizePhone('07911 123456').ok).toBe(false);
    });

    it('refuses a number that is not valid in the default region', () => {
      expect(normalizePhone('020 7946 0958', 'US').ok).toBe(false);
    });
  });

  describe('given something that is not a phone number', () => {
    it.each([
      ['an alphanumeric sender id', 'ACME'],
      ['an empty string', ''],
      ['whitespace', '   '],
      ['too few digits', '+1415555'],
      ['a short code', '12345'],
      ['an email address', 'alice@example.com'],
      ['a bare prefix', 'whatsapp:'],
      ['a country code that does not exist', '+999123456789'],
    ])('refuses %s with a reason', (_what, raw) => {
      const result = normalizePhone(raw, 'US');
      expect(result).toEqual({ ok: false, reason: expect.stringContaining('not a valid phone number') });
    });

    it('quotes at most 32 characters of the input in the reason', () => {
      const result = normalizePhone(`ACME${'x'.repeat(200)}`);
      if (result.ok) throw new Error('expected a refusal');
      expect(result.reason.length).toBeLessThan(80);
    });
  });
});

describe('normalizeEmail', () => {
  it('lower-cases and trims an address', () => {
    expect(normalizeEmail('  Alice.Smith@Example.COM ')).toEqual({
      ok: true,
      identity: { kind: 'email', value: 'alice.smith@example.com' },
    });
  });

  it('gives the same identity for spellings that differ only in case', () => {
    expect(normalizeEmail('ALICE@example.com')).toEqual(normalizeEmail('alice@EXAMPLE.com'));
  });

  it.each([
    ['no @', 'alice.example.com'],
    ['no domain dot', 'alice@example'],
    ['a space inside', 'alice smith@example.com'],
    ['two @', 'alice@@example.com'],
    ['nothing before @', '@example.com'],
    ['empty', ''],
  ])('refuses an address with %s', (_what, raw) => {
    expect(normalizeEmail(raw)).toEqual({ ok: false, reason: 'not a valid email address' });
  });
});

describe('identityToString', () => {
  it('writes kind and value, and the namespace when there is one', () => {
    expect(identityToString({ kind: 'phone', value: '+14155550100' })).toBe('phone:+14155550100');
    expect(identityToString({ kind: 'handle', namespace: 'whatsapp', value: '14155550100' })).toBe('handle:whatsapp:14155550100');
  });

  it('keeps the same value in different namespaces apart', () => {
    expect(identityToString({ kind: 'external', namespace: 'salesforce', value: '42' })).not.toBe(
      identityToString({ kind: 'external', namespace: 'hubspot', value: '42' }),
    );
  });
});

describe('normalizeHandle', () => {
  describe('given a WhatsApp id', () => {
    it.each(['14155550100', '+1 415 555 0100', 'whatsapp:+14155550100'])(
      '%j is the phone identity, so SMS and WhatsApp find the same customer',
      (raw) => {
        expect(normalizeHandle('whatsapp', raw)).toEqual({ ok: true, identity: { kind: 'phone', value: '+14155550100' } });
        expect(normalizeHandle('whatsapp', raw)).toEqual(normalizePhone('+14155550100'));
      },
    );

    it('refuses one that is not a phone number with its country code', () => {
      expect(normalizeHandle('whatsapp', '4155550100')).toEqual({ ok: false, reason: expect.stringContaining('not a valid whatsapp id') });
      expect(normalizeHandle('whatsapp', 'alice')).toMatchObject({ ok: false });
    });
  });

  describe.each(['instagram', 'messenger', 'telegram'] as const)('given a %s id', (platform) => {
    it('is a handle in the platform namespace, without surrounding space', () => {
      expect(normalizeHandle(platform, ' 17841400008460056 ')).toEqual({
        ok: true,
        identity: { kind: 'handle', namespace: platform, value: '17841400008460056' },
      });
    });

    it('drops a platform: prefix, in any case', () => {
      expect(normalizeHandle(platform, `${platform.toUpperCase()}:123456`)).toEqual({
        ok: true,
        identity: { kind: 'handle', namespace: platform, value: '123456' },
      });
    });

    it('accepts the platform name in any case', () => {
      expect(normalizeHandle(platform.toUpperCase(), '123456')).toEqual({
        ok: true,
        identity: { kind: 'handle', namespace: platform, value: '123456' },
      });
    });

    it.each([
      ['a username', '@alice'],
      ['a bare username', 'alice_smith'],
      ['an empty id', ''],
      ['a leading zero', '0123'],
      ['a negative (group chat) id', '-100123456'],
      ['more than 32 digits', '1'.repeat(33)],
    ])('refuses %s with a reason', (_what, raw) => {
      expect(normalizeHandle(platform, raw)).toEqual({ ok: false, reason: expect.stringContaining(`not a valid ${platform} id`) });
    });
  });

  it('keeps the same number on two platforms apart', () => {
    const ig = normalizeHandle('instagram', '123456');
    const tg = normalizeHandle('telegram', '123456');
    if (!ig.ok || !tg.ok) throw new Error('expected both to normalise');
    expect(identityToString(ig.identity)).not.toBe(identityToString(tg.identity));
  });

  it('refuses a platform it does not know', () => {
    expect(normalizeHandle('myspace', '123')).toEqual({ ok: false, reason: 'unknown handle platform: "myspace"' });
  });

  it('knows exactly the five platforms', () => {
    expect(HANDLE_PLATFORMS).toEqual(['whatsapp', 'instagram', 'messenger', 'telegram', 'webchat']);
  });
});

describe('normalizeExternalId', () => {
  it('is an external identity in the system namespace, the system lower-cased and the id kept as given', () => {
    expect(normalizeExternalId(' Salesforce ', ' 0035g00000AbCdE ')).toEqual({
      ok: true,
      identity: { kind: 'external', namespace: 'salesforce', value: '0035g00000AbCdE' },
    });
  });

  it('keeps ids that differ only in case apart (Salesforce ids are case-sensitive)', () => {
    expect(normalizeExternalId('salesforce', 'abc')).not.toEqual(normalizeExternalId('salesforce', 'ABC'));
  });

  it.each([
    ['an empty system', '', '42'],
    ['a system with a space', 'sales force', '42'],
    ['a system with a colon', 'crm:eu', '42'],
    ['a system of 65 characters', 'x'.repeat(65), '42'],
  ])('refuses %s', (_what, system, raw) => {
    expect(normalizeExternalId(system, raw)).toEqual({ ok: false, reason: expect.stringContaining('not a valid system name') });
  });

  it.each([
    ['an empty id', ''],
    ['whitespace', '   '],
    ['a control character', 'ab\u0000c'],
    ['more than 256 characters', 'x'.repeat(257)],
  ])('refuses %s', (_what, raw) => {
    expect(normalizeExternalId('shopify', raw)).toEqual({ ok: false, reason: expect.stringContaining('not a valid shopify id') });
  });
});

describe('normalizePhone, remembered', () => {
  it('given the same national number in two regions, then each region has its own answer, asked again or not', () => {
    const us = normalizePhone('(415) 555-0100', 'US');
    expect(normalizePhone('(415) 555-0100', 'GB')).toEqual({ ok: false, reason: expect.stringContaining('not a valid phone number') });
    expect(normalizePhone('(415) 555-0100', 'US')).toBe(us);
    expect(us).toEqual({ ok: true, identity: { kind: 'phone', value: '+14155550100' } });
  });

  it('given a remembered answer, then it cannot be changed by a caller', () => {
    const first = normalizePhone('+44 20 7946 0018');
    if (!first.ok) throw new Error('expected a valid number');
    expect(() => {
      (first.identity as { value: string }).value = '+1';
    }).toThrow(TypeError);
    expect(normalizePhone('+44 20 7946 0018')).toEqual({ ok: true, identity: { kind: 'phone', value: '+442079460018' } });
  });

  it('given more numbers than are kept, then the answers stay right for the first ones too', () => {
    const numbers = Array.from({ length: 6_000 }, (_, i) => `+1415555${String(i).padStart(4, '0')}`);
    for (const n of numbers) normalizePhone(n);
    expect(normalizePhone(numbers[0]!)).toEqual({ ok: true, identity: { kind: 'phone', value: '+14155550000' } });
  });
});
