import { isIntegerId, jsonNestingDepth, MAX_JSON_DEPTH, parseJsonBody, quoteUnsafeIntegers } from './json-body';

const parsed = (text: string): unknown => {
  const r = parseJsonBody(Buffer.from(text, 'utf8'));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

describe('parseJsonBody', () => {
  describe('when a provider sends a 64-bit id as a JSON number', () => {
    // Shopify's REST webhook shape: `customer.id` a number; this one is above 2^53.
    const body = '{"id":820982911946154508,"customer":{"id":12345678901234723954,"email":null},"total":"10.00"}';

    it('then the id keeps every digit, as a string (JSON.parse alone rounds it)', () => {
      expect(String((JSON.parse(body) as { customer: { id: number } }).customer.id)).not.toBe('12345678901234723954');
      expect(parsed(body)).toEqual({ id: '820982911946154508', customer: { id: '12345678901234723954', email: null }, total: '10.00' });
    });

    it('then two ids a double cannot tell apart stay apart', () => {
      const ids = parsed('[9007199254740993, 9007199254740992, -9007199254740993]');
      expect(ids).toEqual(['9007199254740993', '9007199254740992', '-9007199254740993']);
    });
  });

  describe('when every number fits a double', () => {
    it('then it is exactly what JSON.parse gives: safe integers, fractions and exponents stay numbers', () => {
      const text = '{"a":9007199254740991,"b":-9007199254740991,"c":1.5e300,"d":12345678901234567.5,"e":0,"f":[1,2.25,-3]}';
      expect(parsed(text)).toEqual(JSON.parse(text));
      expect(quoteUnsafeIntegers(text)).toBe(text);
    });
  });

  describe('when long digit runs are inside strings', () => {
    it('then strings are left alone, escaped quotes included', () => {
      const text = '{"phone":"12345678901234567890","note":"say \\"12345678901234567890\\" twice","n":12345678901234567890}';
      expect(parsed(text)).toEqual({ phone: '12345678901234567890', note: 'say "12345678901234567890" twice', n: '12345678901234567890' });
    });
  });

  describe('when the body is not JSON', () => {
    it.each([['{"a":1'], ['not json'], [''], ['{"a":12345678901234567890,}'], ['{12345678901234567890:1}']])(
      'then %j is refused with the parser’s reason',
      (text) => {
        const r = parseJsonBody(Buffer.from(text));
        expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^the body is not valid JSON: /) });
      },
    );
  });

  describe('when the body tries to reach a prototype', () => {
    it.each([['{"a":{"__proto__":{"admin":true}}}'], ['{"constructor":{"prototype":{"admin":true}}}'], ['[{"\\u005f_proto__":{}}]']])(
      'then %s is refused',
      (text) => {
        expect(parseJsonBody(text)).toEqual({ ok: false, reason: expect.stringContaining('is refused') });
      },
    );

    it('then a constructor key without a prototype is an ordinary key', () => {
      expect(parsed('{"constructor":"Ada"}')).toEqual({ constructor: 'Ada' });
    });
  });

  it('given a UTF-8 byte order mark, then it is skipped', () => {
    expect(parsed('\ufeff{"a":"ü"}')).toEqual({ a: 'ü' });
  });
});

describe('nesting depth', () => {
  const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

  it('counts arrays and objects, not brackets inside strings (escaped quotes included)', () => {
    expect(jsonNestingDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonNestingDepth('{"a":"[[[[{{{{\\"[[[["}')).toBe(1);
    expect(jsonNestingDepth('"no structure"')).toBe(0);
  });

  it('refuses a correctly formed body nested deeper than the limit with the reason, before anything walks it', () => {
    const deep = parseJsonBody(`{"entry":${nested(5_000)}}`);
    expect(deep).toEqual({ ok: false, reason: `the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep` });
    expect(parseJsonBody(`{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`).ok).toBe(false);
  });

  it('accepts a body exactly at the limit', () => {
    expect(parseJsonBody(nested(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJsonBody(nested(MAX_JSON_DEPTH + 1)).ok).toBe(false);
  });
});

describe('isIntegerId', () => {
  it.each([[1], [9007199254740991], ['12345678901234723954']])('accepts %j', (v) => expect(isIntegerId(v)).toBe(true));
  it.each([[0], [-1], [1.5], [9007199254740992], ['0123'], ['-5'], ['12a'], [null], ['']])('refuses %j', (v) =>
    expect(isIntegerId(v)).toBe(false),
  );
});
