import { addImportAndObjectProperty, appendToStringArrayConst, objectKey, readObjectConstKeys, readStringArrayConst, SourceAnchorError } from './source-edits';

describe('source edits', () => {
  describe('given a string array constant', () => {
    it.each([
      ['on one line', "export const IDS = ['a', 'b'] as const;\n", "export const IDS = ['a', 'b', 'c'] as const;\n"],
      ['on one line with a trailing comma', "export const IDS = ['a', 'b',] as const;\n", "export const IDS = ['a', 'b', 'c',] as const;\n"],
      ['one per line with a trailing comma', "export const IDS = [\n  'a',\n  'b',\n] as const;\n", "export const IDS = [\n  'a',\n  'b',\n  'c',\n] as const;\n"],
      ['one per line without a trailing comma', "export const IDS = [\n    'a',\n    'b'\n];\n", "export const IDS = [\n    'a',\n    'b',\n    'c'\n];\n"],
      ['empty', 'export const IDS = [] as const;\n', "export const IDS = ['c'] as const;\n"],
      ['in double quotes', 'export const IDS = ["a"] as const;\n', 'export const IDS = ["a", "c"] as const;\n'],
    ])('when it is %s, then the element is appended in the same layout', (_layout, source, expected) => {
      expect(appendToStringArrayConst('ids.ts', source, 'IDS', 'c')).toBe(expected);
      expect(readStringArrayConst('ids.ts', expected, 'IDS')).toContain('c');
    });

    it('when the constant is missing, then a SourceAnchorError names the file and the constant', () => {
      expect(() => appendToStringArrayConst('ids.ts', 'export const OTHER = [];', 'IDS', 'c')).toThrow(SourceAnchorError);
      expect(() => readStringArrayConst('ids.ts', 'export const IDS = {};', 'IDS')).toThrow('ids.ts: cannot find `export const IDS = [...]`');
    });
  });

  describe('given an object constant with `as const satisfies …` and imports', () => {
    const source = [
      "import type { X } from './x';",
      "import { a } from '@hub/a';",
      '',
      '/** The list. */',
      'export const LIST = {',
      '  a: [a],',
      "  'b-c': [a],",
      '} as const satisfies Record<string, readonly X[]>;',
      '',
    ].join('\n');

    it('then the import goes after the last import and the property after the last property', () => {
      expect(addImportAndObjectProperty('list.ts', source, 'LIST', "import { d } from '@hub/d';", "'d-e': [d]")).toBe(
        [
          "import type { X } from './x';",
          "import { a } from '@hub/a';",
          "import { d } from '@hub/d';",
          '',
          '/** The list. */',
          'export const LIST = {',
          '  a: [a],',
          "  'b-c': [a],",
          "  'd-e': [d],",
          '} as const satisfies Record<string, readonly X[]>;',
          '',
        ].join('\n'),
      );
    });

    it('then its keys are read, quoted or not', () => {
      expect(readObjectConstKeys('list.ts', source, 'LIST')).toEqual(['a', 'b-c']);
    });

    it('when the object has no trailing comma, then one is added before the new property', () => {
      expect(addImportAndObjectProperty('list.ts', "import { a } from 'a';\nconst LIST = {\n  a: 1\n};\n", 'LIST', "import { b } from 'b';", 'b: 2')).toBe(
        "import { a } from 'a';\nimport { b } from 'b';\nconst LIST = {\n  a: 1,\n  b: 2\n};\n",
      );
    });

    it('when the file has no import, then it fails rather than guess where the import goes', () => {
      expect(() => addImportAndObjectProperty('list.ts', 'const LIST = {};', 'LIST', "import { b } from 'b';", 'b: 2')).toThrow('list.ts: cannot find an import declaration');
    });
  });

  describe('objectKey', () => {
    it('then an identifier stays bare and a kebab-case id is quoted', () => {
      expect(objectKey('webchat')).toBe('webchat');
      expect(objectKey('line-chat')).toBe("'line-chat'");
    });
  });
});
