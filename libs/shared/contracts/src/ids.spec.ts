import { v5 as uuidv5 } from 'uuid';
import { deterministicId, HUB_ID_NAMESPACE } from './ids';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('deterministicId', () => {
  const parts = ['sms', 'twilio', 'AC0123456789abcdef0123456789abcdef', 'SM0123456789abcdef0123456789abcdef'] as const;

  it('is a version-5 UUID', () => {
    expect(deterministicId(...parts)).toMatch(UUID_V5);
  });

  it('gives the same id for the same parts, call after call', () => {
    expect(deterministicId(...parts)).toBe(deterministicId(...parts));
  });

  it('still gives the id it gave when events were first stored (namespace and encoding are frozen)', () => {
    // Stored events and Kafka dedup keys depend on this value: if this fails, every derived id changed.
    expect(deterministicId(...parts)).toBe('b09eaace-adc8-5902-9d59-ce803e64aa88');
  });

  it.each(parts.map((_p, i) => i))('changes when part %i changes', (i) => {
    const changed = parts.map((p, j) => (j === i ? `${p}x` : p));
    expect(deterministicId(...changed)).not.toBe(deterministicId(...parts));
  });

  it('depends on the order of the parts', () => {
    expect(deterministicId('a', 'b')).not.toBe(deterministicId('b', 'a'));
  });

  describe('when different parts concatenate to the same string', () => {
    it.each<[string, string[], string[]]>([
      ['a moved boundary', ['ab', 'c'], ['a', 'bc']],
      ['a separator inside a part', ['a|b'], ['a', 'b']],
      ['an encoded-looking part', ['a|1:b'], ['a', 'b']],
      ['a length prefix inside a part', ['1:a'], ['a']],
      ['an empty part before', ['', 'a'], ['a']],
      ['an empty part after', ['a', ''], ['a']],
      ['no parts versus one empty part', [], ['']],
      ['digits that look like a length', ['12', '3'], ['1', '23']],
    ])('keeps them apart: %s', (_what, left, right) => {
      expect(deterministicId(...left)).not.toBe(deterministicId(...right));
    });
  });
});

describe('deterministicId of a part with a lone surrogate (fuzz campaign, issue #15)', () => {
  // Counterexample: a Typeform `token` of "\udfff\ud800" (valid JSON) made uuid's encodeURIComponent throw: a 500.
  it('derives an id instead of throwing, distinct for each surrogate, and leaves well-formed parts as they were', () => {
    expect(() => deterministicId('survey', '\udfff\ud800')).not.toThrow();
    expect(deterministicId('survey', '\udfff\ud800')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicId('survey', '\ud800')).not.toBe(deterministicId('survey', '\udfff'));
    expect(deterministicId('survey', '😀')).toBe(deterministicId('survey', '\ud83d\ude00'));
  });
});

describe("deterministicId against uuid's own v5 (the ids stored so far)", () => {
  it('given 5,000 names of every script, emoji, lone surrogates and lengths up to 80, then every id is the same', () => {
    const alphabet = ['a', 'Z', '0', '|', ':', ' ', 'é', 'ж', 'ع', 'م', '中', '😀', '\u0000', '\ud800', '\udfff', '\n', '"'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const differing: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const parts = Array.from({ length: 1 + (next() % 4) }, () =>
        Array.from({ length: next() % 80 }, () => alphabet[next() % alphabet.length]).join(''),
      );
      const name = parts
        .map((p) => `${p.length}:${p}`)
        .join('|')
        .replace(LONE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
      if (deterministicId(...parts) !== uuidv5(name, HUB_ID_NAMESPACE)) differing.push(JSON.stringify(parts));
    }
    expect(differing).toEqual([]);
  });
});

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
