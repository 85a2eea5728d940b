import { formatFieldPath, mapFieldPath, matchFieldPath, parseFieldPath } from './field-path';

const event = {
  data: {
    identities: [
      { kind: 'phone', value: '+14155550101' },
      { kind: 'email', value: 'ada@example.com' },
    ],
    content: { text: 'hello', media: [] as { url: string }[] },
    endpoint: undefined as string | undefined,
    traits: { tier: 'gold', 'address.city': 'Zürich', cleared: null },
  },
};

describe('field paths', () => {
  describe('parse and format', () => {
    it('parses names, array wildcards, object wildcards, indexes and quoted keys', () => {
      expect(parseFieldPath('data.identities[*].value')).toEqual([
        { kind: 'key', name: 'data' },
        { kind: 'key', name: 'identities' },
        { kind: 'each' },
        { kind: 'key', name: 'value' },
      ]);
      expect(parseFieldPath('data.traits.*')).toEqual([
        { kind: 'key', name: 'data' },
        { kind: 'key', name: 'traits' },
        { kind: 'eachKey' },
      ]);
      expect(parseFieldPath('data.identities[12]')).toEqual([
        { kind: 'key', name: 'data' },
        { kind: 'key', name: 'identities' },
        { kind: 'index', index: 12 },
      ]);
      expect(parseFieldPath('data["a.b[0]"]')).toEqual([
        { kind: 'key', name: 'data' },
        { kind: 'key', name: 'a.b[0]' },
      ]);
    });

    it('parses descendants and key prefixes', () => {
      expect(parseFieldPath('data.arbitration..facts[^"traits."]')).toEqual([
        { kind: 'key', name: 'data' },
        { kind: 'key', name: 'arbitration' },
        { kind: 'descendant', name: 'facts' },
        { kind: 'keyPrefix', prefix: 'traits.' },
      ]);
    });

    it.each([
      'data.identities[*].value',
      'data.traits.*',
      'data.identities[3].value',
      'data["address.city"]',
      'data["*"]',
      'data["say \\"hi\\""]',
      'data..facts[^"traits."]',
      'data..quietHours.timeZone',
    ])('formats %s back to itself', (path) => expect(formatFieldPath(parseFieldPath(path))).toBe(path));

    it.each([
      '',
      '.data',
      'data.',
      'data...x',
      'data..*',
      'data..',
      'data[^x]',
      'data[^"x"',
      'data[',
      'data[x]',
      'data[-1]',
      '*',
      'data["\\q"]',
      'data"x"',
    ])('refuses %j', (path) => {
      expect(() => parseFieldPath(path)).toThrow(RangeError);
    });
  });

  describe('when a path matches values', () => {
    it('replaces every match with what the callback returns, naming each by its concrete path', () => {
      const seen: string[] = [];
      const out = mapFieldPath(event, 'data.identities[*].value', (value, path) => {
        seen.push(path);
        return `<${String(value)}>`;
      });
      expect(seen).toEqual(['data.identities[0].value', 'data.identities[1].value']);
      expect(out).toEqual({
        ...event,
        data: {
          ...event.data,
          identities: [
            { kind: 'phone', value: '<+14155550101>' },
            { kind: 'email', value: '<ada@example.com>' },
          ],
        },
      });
    });

    it('never changes the input, and copies only what leads to a change', () => {
      const before = JSON.stringify(event);
      const out = mapFieldPath(event, 'data.content.text', () => 'x') as typeof event;
      expect(JSON.stringify(event)).toBe(before);
      expect(out.data.content.text).toBe('x');
      expect(out.data.identities).toBe(event.data.identities);
      expect(out.data.content.media).toBe(event.data.content.media);
    });

    it('names object-wildcard matches by key, quoting keys that need it, and skips null', () => {
      expect(matchFieldPath(event, 'data.traits.*')).toEqual(['data.traits.tier', 'data.traits["address.city"]']);
      const out = mapFieldPath(event, 'data.traits["address.city"]', () => 'x') as typeof event;
      expect(out.data.traits).toEqual({ tier: 'gold', 'address.city': 'x', cleared: null });
    });

    it('reaches a property at any depth with .., through objects and arrays, and keys by prefix with [^…]', () => {
      const decision = {
        data: {
          arbitration: {
            facts: { 'traits.tier': 'gold', 'value.total': 12, 'traits.cleared': null },
            candidates: [
              {
                policies: [
                  { rules: [{ facts: { 'traits.tier': 'gold' }, children: [{ facts: { 'traits.vip': true, 'satisfaction.last': 2 } }] }] },
                ],
              },
              { policies: [] },
            ],
          },
          facts: { 'traits.tier': 'outside the arbitration' },
        },
      };
      expect(matchFieldPath(decision, 'data.arbitration..facts[^"traits."]')).toEqual([
        'data.arbitration.facts["traits.tier"]',
        'data.arbitration.candidates[0].policies[0].rules[0].facts["traits.tier"]',
        'data.arbitration.candidates[0].policies[0].rules[0].children[0].facts["traits.vip"]',
      ]);
      const out = mapFieldPath(decision, 'data.arbitration..facts[^"traits."]', () => 'x') as typeof decision;
      expect(out.data.arbitration.facts).toEqual({ 'traits.tier': 'x', 'value.total': 12, 'traits.cleared': null });
      expect(out.data.arbitration.candidates[0]!.policies[0]!.rules[0]!.children[0]!.facts).toEqual({
        'traits.vip': 'x',
        'satisfaction.last': 2,
      });
      expect(out.data.facts).toBe(decision.data.facts);
      expect(out.data.arbitration.candidates[1]).toBe(decision.data.arbitration.candidates[1]);
      // Each concrete path finds its value again (what decryption relies on).
      for (const path of matchFieldPath(decision, 'data.arbitration..facts[^"traits."]'))
        expect(matchFieldPath(decision, path)).toEqual([path]);
    });

    it('a concrete path of a match finds exactly that value again', () => {
      for (const path of matchFieldPath(event, 'data.traits.*')) expect(matchFieldPath(event, path)).toEqual([path]);
      expect(matchFieldPath(event, 'data.identities[1].value')).toEqual(['data.identities[1].value']);
    });

    it('keeps a key named __proto__ an own property', () => {
      const root = JSON.parse('{"data":{"__proto__":"x"}}') as unknown;
      const out = mapFieldPath(root, 'data.*', () => 'y') as { data: Record<string, unknown> };
      expect(Object.keys(out.data)).toEqual(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(out.data, '__proto__')?.value).toBe('y');
      expect(Object.getPrototypeOf(out.data)).toBe(Object.prototype);
    });
  });

  describe('when a path does not reach a value', () => {
    it.each([
      ['a missing key', 'data.nothing.here'],
      ['an undefined value', 'data.endpoint'],
      ['a null value', 'data.traits.cleared'],
      ['an empty array', 'data.content.media[*].url'],
      ['an index past the end', 'data.identities[5].value'],
      ['an array step on an object', 'data.content[*]'],
      ['a key step on an array', 'data.identities.value'],
      ['an object wildcard on an array', 'data.identities.*'],
    ])('then %s matches nothing and the input comes back as it is', (_, path) => {
      expect(mapFieldPath(event, path, () => 'changed')).toBe(event);
    });
  });
});
