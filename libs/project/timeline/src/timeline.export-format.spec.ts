import type { ExportedItem } from './timeline.queries';
import { csvCell, csvChunks, csvRow, ndjsonChunks } from './timeline.export-format';

describe('CSV cells', () => {
  describe('when a value is plain', () => {
    it('then it is written as it is, and empty or null as nothing', () => {
      expect(csvCell('hello world')).toBe('hello world');
      expect(csvCell('2025-03-01T10:00:00.000Z')).toBe('2025-03-01T10:00:00.000Z');
      expect(csvCell('')).toBe('');
      expect(csvCell(null)).toBe('');
    });
  });

  describe('when a value holds a separator, a quote or a line break', () => {
    it('then it is quoted, with quotes doubled', () => {
      expect(csvCell('a,b')).toBe('"a,b"');
      expect(csvCell('she said "hi"')).toBe('"she said ""hi"""');
      expect(csvCell('line 1\nline 2')).toBe('"line 1\nline 2"');
      expect(csvCell('line 1\r\nline 2')).toBe('"line 1\r\nline 2"');
    });
  });

  describe('when a spreadsheet would read a value as a formula', () => {
    it.each([
      ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
      ['+14155550100', `"'+14155550100"`],
      ['-2+3', `"'-2+3"`],
      ['@SUM(A1:A2)', `"'@SUM(A1:A2)"`],
      ['\t=1+1', `"'\t=1+1"`],
      ['\r=1+1', `"'\r=1+1"`],
    ])('then %j is neutralised with a leading quote: %s', (value, expected) => {
      expect(csvCell(value)).toBe(expected);
    });

    it('then a formula character later in the value changes nothing', () => {
      expect(csvCell('a=b+c-d@e')).toBe('a=b+c-d@e');
    });
  });

  it('joins a row with commas and ends it with CRLF', () => {
    expect(csvRow(['a', null, 'b,c'])).toBe('a,,"b,c"\r\n');
  });
});

describe('export chunks', () => {
  const item: ExportedItem = {
    tenantId: 't1',
    customerId: 'c2',
    timelineCustomerId: 'c1',
    eventId: 'e1',
    streamRevision: '3',
    occurredAt: '2025-03-01T10:00:00.000Z',
    recordedAt: '2025-03-01T10:00:01.000Z',
    channel: 'sms',
    threadId: null,
    direction: 'inbound',
    kind: 'message',
    text: '=cmd|"/c calc"!A1\nsecond line',
    media: [{ url: 'https://m.example/1.jpg', contentType: 'image/jpeg' }],
    provider: { name: 'twilio', messageId: 'SM1' },
    details: null,
    occurredAtSource: 'received',
  };
  async function* pages(): AsyncGenerator<ExportedItem[]> {
    yield [item];
    yield [
      {
        ...item,
        eventId: 'e2',
        kind: 'order',
        media: [],
        text: null,
        occurredAtSource: null,
        details: { order: { orderId: 'o-1', action: 'created', amount: 4_990, currency: 'EUR' } },
      },
    ];
  }
  const all = async (chunks: AsyncGenerator<string>) => {
    let out = '';
    for await (const c of chunks) out += c;
    return out;
  };

  it('CSV: a header, then one guarded row per entry', async () => {
    expect(await all(csvChunks(pages()))).toBe(
      'eventId,timelineCustomerId,customerId,occurredAt,recordedAt,channel,threadId,direction,kind,text,media,providerName,providerMessageId,streamRevision,details,edited,occurredAtSource\r\n' +
        `e1,c1,c2,2025-03-01T10:00:00.000Z,2025-03-01T10:00:01.000Z,sms,,inbound,message,"'=cmd|""/c calc""!A1\nsecond line","[{""url"":""https://m.example/1.jpg"",""contentType"":""image/jpeg""}]",twilio,SM1,3,,,received\r\n` +
        'e2,c1,c2,2025-03-01T10:00:00.000Z,2025-03-01T10:00:01.000Z,sms,,inbound,order,,,twilio,SM1,3,"{""order"":{""orderId"":""o-1"",""action"":""created"",""amount"":4990,""currency"":""EUR""}}",,\r\n',
    );
  });

  it('NDJSON: one JSON object per line, line breaks in text escaped', async () => {
    const lines = (await all(ndjsonChunks(pages()))).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual(item);
    expect(JSON.parse(lines[1]!)).toEqual(
      expect.objectContaining({
        eventId: 'e2',
        text: null,
        details: { order: { orderId: 'o-1', action: 'created', amount: 4_990, currency: 'EUR' } },
      }),
    );
  });
});
