import { ndjsonLines } from './ndjson';

const lines = (text: string | Buffer) =>
  ndjsonLines(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')).map((l) => [l.line, l.bytes.toString('utf8')]);

describe('NDJSON lines', () => {
  describe('when the body has blank lines, CRLF endings and no final newline', () => {
    it('then each non-blank line keeps its number in the client file, without its line ending', () => {
      expect(lines('{"a":1}\r\n\n   \n{"b":2}\n{"c":3}')).toEqual([
        [1, '{"a":1}'],
        [4, '{"b":2}'],
        [5, '{"c":3}'],
      ]);
    });
  });

  describe('when the body starts with a UTF-8 byte order mark', () => {
    it('then the mark is not part of the first line', () => {
      expect(lines(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}\n')]))).toEqual([[1, '{"a":"é"}']]);
    });
  });

  describe('when the body is empty or only blank lines', () => {
    it.each(['', '\n', ' \r\n\t\n'])('then there is no line in %j', (body) => {
      expect(lines(body)).toEqual([]);
    });
  });
});
