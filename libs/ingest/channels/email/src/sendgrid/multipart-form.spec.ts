import { readMultipartForm } from './multipart-form';

const limits = { fieldBytes: 1024 * 1024, fields: 64, files: 100 };
const boundary = 'xYzZY';
const form = [
  `--${boundary}\r\nContent-Disposition: form-data; name="from"\r\n\r\nada@example.com\r\n`,
  `--${boundary}\r\nContent-Disposition: form-data; name="attachment1"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 and more bytes of the file`,
].join('');

describe('a multipart body cut off inside a file part (fuzz campaign, issue #15)', () => {
  it('is refused with the parser’s reason, and the file stream’s error is heard (it was an uncaught exception)', async () => {
    const uncaught: unknown[] = [];
    const listener = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', listener);
    try {
      const result = await readMultipartForm(Buffer.from(form, 'latin1'), `multipart/form-data; boundary=${boundary}`, limits);
      // Let the streams' deferred error events fire before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(result).toEqual({ ok: false, reason: 'Unexpected end of form' });
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', listener);
    }
  });
});
