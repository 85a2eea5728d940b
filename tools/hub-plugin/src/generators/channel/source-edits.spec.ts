import {
  appendReExportLine,
  appendToStringArrayConst,
  exportName,
  readReExportNames,
  readStringArrayConst,
  SourceAnchorError,
} from './source-edits';

describe('source edits', () => {
  describe('given a string array constant', () => {
    it.each([
      ['on one line', "export const IDS = ['a', 'b'] as const;\n", "export const IDS = ['a', 'b', 'c'] as const;\n"],
      [
        'on one line with a trailing comma',
        "export const IDS = ['a', 'b',] as const;\n",
        "export const IDS = ['a', 'b', 'c',] as const;\n",
      ],
      [
        'one per line with a trailing comma',
        "export const IDS = [\n  'a',\n  'b',\n] as const;\n",
        "export const IDS = [\n  'a',\n  'b',\n  'c',\n] as const;\n",
      ],
      [
        'one per line without a trailing comma',
        "export const IDS = [\n    'a',\n    'b'\n];\n",
        "export const IDS = [\n    'a',\n    'b',\n    'c'\n];\n",
      ],
      ['empty', 'export const IDS = [] as const;\n', "export const IDS = ['c'] as const;\n"],
      ['in double quotes', 'export const IDS = ["a"] as const;\n', 'export const IDS = ["a", "c"] as const;\n'],
    ])('when it is %s, then the element is appended in the same layout', (_layout, source, expected) => {
      expect(appendToStringArrayConst('ids.ts', source, 'IDS', 'c')).toBe(expected);
      expect(readStringArrayConst('ids.ts', expected, 'IDS')).toContain('c');
    });

    it('when the constant is missing, then a SourceAnchorError names the file and the constant', () => {
      expect(() => appendToStringArrayConst('ids.ts', 'export const OTHER = [];', 'IDS', 'c')).toThrow(SourceAnchorError);
      expect(() => readStringArrayConst('ids.ts', 'export const IDS = {};', 'IDS')).toThrow(
        'ids.ts: cannot find `export const IDS = [...]`',
      );
    });
  });

  describe("given a module of one-line re-exports (the registry's channels.ts)", () => {
    const source = [
      '// One line per channel.',
      "export { smsChannel as sms } from '@hub/channels-sms';",
      "export { lineChatChannel as 'line-chat' } from '@hub/channels-line-chat';",
      '',
    ].join('\n');

    it('then the names they export under are read, identifiers and strings alike', () => {
      expect(readReExportNames('channels.ts', source)).toEqual(['sms', 'line-chat']);
    });

    it('then a line is appended after the last one, and nothing else moves', () => {
      expect(appendReExportLine('channels.ts', source, "export { viberChannel as viber } from '@hub/channels-viber';")).toBe(
        [
          '// One line per channel.',
          "export { smsChannel as sms } from '@hub/channels-sms';",
          "export { lineChatChannel as 'line-chat' } from '@hub/channels-line-chat';",
          "export { viberChannel as viber } from '@hub/channels-viber';",
          '',
        ].join('\n'),
      );
    });

    it('when the module has no re-export, then it fails rather than guess where the line goes', () => {
      expect(() => appendReExportLine('channels.ts', 'export const CHANNELS = {};\n', "export { a as b } from 'c';")).toThrow(
        "channels.ts: cannot find an `export { … } from '…';` line to add the new one after",
      );
      expect(readReExportNames('channels.ts', "import { a } from 'a';\nexport { a };\n")).toEqual([]);
    });
  });

  describe('exportName', () => {
    it('then an identifier stays bare and a kebab-case id is a string', () => {
      expect(exportName('webchat')).toBe('webchat');
      expect(exportName('line-chat')).toBe("'line-chat'");
    });
  });
});
