import { runChannelPipeline } from '@hub/channels-core/testing';
import { mimeEmailTestSetup } from '../testing';
import { attachmentMeta } from './mime-message.parse';

/** A message nested `depth` multiparts deep, as the fuzz campaign builds it (tools/fuzz). */
function deepMultipart(depth: number): string {
  let body = 'Content-Type: text/plain; charset=UTF-8\r\n\r\nhello from the bottom\r\n';
  for (let i = depth; i > 0; i--) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
  return `From: deep@example.com\r\nTo: support@example.com\r\nSubject: deep\r\nMessage-ID: <deep-${depth}@example.com>\r\nMIME-Version: 1.0\r\n${body}`;
}

describe('counterexamples of the fuzz campaign (issue #15)', () => {
  it('a message nested 200 multiparts deep and cut at 8.5% of its bytes is taken or refused, not a TypeError', async () => {
    // seed 15, case #61176: {"op":"truncate","at":85} on deep-multipart-200 answered 500 (contentType?.trim is not a function).
    const whole = Buffer.from(deepMultipart(200), 'latin1');
    const raw = whole.subarray(0, Math.floor((whole.length * 85) / 1000));
    const adapter = mimeEmailTestSetup.definition.create(mimeEmailTestSetup.config);
    const request = { ...mimeEmailTestSetup.sign({ mime: raw.toString('latin1'), encoding: 'latin1' }, {}) };
    await expect(runChannelPipeline(adapter, request)).resolves.toEqual(
      expect.objectContaining({ kind: expect.stringMatching(/^(accepted|invalid|unmappable)$/) }),
    );
  });

  it('an attachment whose name or content type is not a string is described with the defaults', () => {
    expect(attachmentMeta({ value: 'x' }, ['text/plain'], 3, 0)).toEqual({
      name: 'attachment-1',
      contentType: 'application/octet-stream',
      sizeBytes: 3,
    });
  });
});
