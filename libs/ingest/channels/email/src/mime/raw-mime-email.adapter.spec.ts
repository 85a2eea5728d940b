import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '@hub/channels-core';
import {
  channelConformanceKit,
  CONFORMANCE_BASE_URL,
  CONFORMANCE_CONTEXT,
  runChannelPipeline,
  type PipelineOutcome,
} from '@hub/channels-core/testing';
import { InteractionReceivedDto, validateAs, type InteractionReceived } from '@hub/contracts';
import { MAX_HTML_SUMMARY_CHARS, MAX_TEXT_CHARS, RawMimeEmailChannelAdapter, RawMimeEmailConfig } from '../index';
import { mimeEmailTestSetup, signedMimeRequest, TEST_EMAIL_MIME_SIGNING_SECRET, testMessage } from '../testing';

const SECRET = TEST_EMAIL_MIME_SIGNING_SECRET;
const URL = `${CONFORMANCE_BASE_URL}/webhooks/email/mime`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const adapter = () => new RawMimeEmailChannelAdapter({ EMAIL_MIME_SIGNING_SECRET: SECRET });
const request = (raw: string | Buffer, timestampSeconds = nowSeconds()): WebhookRequest =>
  signedMimeRequest({ secret: SECRET, url: URL, raw: typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, timestampSeconds });

async function accepted(raw: string | Buffer): Promise<InteractionReceived> {
  const outcome: PipelineOutcome = await runChannelPipeline(adapter(), request(raw));
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  expect(outcome.events).toHaveLength(1);
  const [event] = outcome.events;
  const contract = validateAs(InteractionReceivedDto, JSON.parse(JSON.stringify(event)));
  expect(contract.ok ? [] : contract.errors).toEqual([]);
  return event!;
}

/** A message with the given header lines and an already-encoded body (CRLF line ends). */
const raw = (headers: readonly string[], body: string): string =>
  `${['From: Ana <ana@example.com>', 'To: support@mail.hub.example.com', 'Message-ID: <t@example.com>', ...headers].join('\r\n')}\r\n\r\n${body}`;

channelConformanceKit(mimeEmailTestSetup);

describe('RawMimeEmailChannelAdapter', () => {
  describe('given the MTA hook contract: HMAC-SHA256 of `${x-hub-timestamp}.${body}`, hex, prefixed sha256=', () => {
    const body = Buffer.from(
      testMessage({ from: 'ana@example.com', to: 'support@mail.hub.example.com', messageId: '<c1@example.com>', text: 'hi' }),
    );
    const signedBy = (timestamp: string, signature: string): WebhookRequest => ({
      method: 'POST',
      url: URL,
      headers: { 'content-type': 'message/rfc822', 'x-hub-timestamp': timestamp, 'x-hub-signature': signature },
      rawBody: body,
      body,
    });
    const hookSignature = (timestamp: string, secret = SECRET) =>
      `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;

    it('then a request signed by an independent implementation of the recipe verifies', () => {
      const ts = String(nowSeconds());
      expect(adapter().verify(signedBy(ts, hookSignature(ts)), { nowMs: Date.now() })).toEqual({ ok: true });
    });

    it('then the hex digest is accepted in upper case too', () => {
      const ts = String(nowSeconds());
      expect(adapter().verify(signedBy(ts, hookSignature(ts).toUpperCase().replace('SHA256=', 'sha256=')), { nowMs: Date.now() })).toEqual({
        ok: true,
      });
    });

    it('then the digest without its sha256= prefix is refused as signature_invalid', () => {
      const ts = String(nowSeconds());
      expect(adapter().verify(signedBy(ts, hookSignature(ts).slice('sha256='.length)), { nowMs: Date.now() })).toMatchObject({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then a signature whose timestamp was changed after signing is refused as signature_invalid', () => {
      const ts = nowSeconds();
      expect(adapter().verify(signedBy(String(ts + 1), hookSignature(String(ts))), { nowMs: Date.now() })).toMatchObject({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then a timestamp that is not unix seconds is refused as signature_invalid, saying why', () => {
      const ts = new Date().toISOString();
      expect(adapter().verify(signedBy(ts, hookSignature(ts)), { nowMs: Date.now() })).toEqual({
        ok: false,
        reason: 'signature_invalid',
        detail: 'x-hub-timestamp must be unix seconds',
      });
    });

    it('then a correctly signed request from more than 300 s in the future is refused as signature_stale', () => {
      const ts = String(nowSeconds() + 301);
      expect(adapter().verify(signedBy(ts, hookSignature(ts)), { nowMs: Date.now() })).toEqual({
        ok: false,
        reason: 'signature_stale',
        detail: expect.stringContaining('more than 300 s from now'),
      });
    });

    it('then the timestamp header alone, without a signature, is refused as signature_missing', () => {
      expect(
        adapter().verify(
          { ...signedBy(String(nowSeconds()), ''), headers: { 'x-hub-timestamp': String(nowSeconds()) } },
          { nowMs: Date.now() },
        ),
      ).toEqual({ ok: false, reason: 'signature_missing' });
    });
  });

  describe('given the config schema', () => {
    it('then a signing secret shorter than 32 characters is refused at boot', () => {
      expect(validateAs(RawMimeEmailConfig, { EMAIL_MIME_SIGNING_SECRET: 'short' })).toMatchObject({
        ok: false,
        errors: [{ field: 'EMAIL_MIME_SIGNING_SECRET' }],
      });
    });
  });

  describe('when the body is not the raw message', () => {
    it.each([
      ['a JSON object (posted as application/json)', { mime: 'From: a@example.com' }],
      ['an empty body', Buffer.alloc(0)],
    ])('then %s is refused naming mime', async (_what, body) => {
      expect(await adapter().parse(body)).toEqual({
        ok: false,
        errors: [{ field: 'mime', messages: [expect.stringContaining('raw message')] }],
      });
    });
  });

  describe('when the message is HTML-only', () => {
    const html =
      '<html><body><h1>Refund</h1><p>Please refund <b>order 77</b>.</p><ul><li>one</li><li>two</li></ul><p><a href="https://shop.example.com/o/77">Order</a></p></body></html>';

    it('then the text is a summary made from the HTML, and textFromHtml says so', async () => {
      const event = await accepted(
        testMessage({ from: 'ana@example.com', to: 'support@mail.hub.example.com', messageId: '<h1@example.com>', html }),
      );
      expect(event.data.content.text).toBe('REFUND\n\nPlease refund order 77.\n\n * one\n * two\n\nOrder [https://shop.example.com/o/77]');
      expect(event.data.email?.textFromHtml).toBe(true);
    });

    it(`then a summary longer than ${MAX_HTML_SUMMARY_CHARS.toLocaleString('en')} characters is cut there, ending in …`, async () => {
      const long = `<html><body>${Array.from({ length: 400 }, (_, i) => `<p>Paragraph ${i}: ${'words '.repeat(10)}</p>`).join('')}</body></html>`;
      const event = await accepted(
        testMessage({ from: 'ana@example.com', to: 'support@mail.hub.example.com', messageId: '<h2@example.com>', html: long }),
      );
      expect(event.data.content.text).toHaveLength(MAX_HTML_SUMMARY_CHARS);
      expect(event.data.content.text?.startsWith('Paragraph 0: words')).toBe(true);
      expect(event.data.content.text?.endsWith('…')).toBe(true);
    });

    it('then a blank text part beside the HTML counts as no text part', async () => {
      const event = await accepted(
        testMessage({
          from: 'ana@example.com',
          to: 'support@mail.hub.example.com',
          messageId: '<h3@example.com>',
          text: '  \r\n',
          html: '<p>From the HTML</p>',
        }),
      );
      expect(event.data).toMatchObject({ content: { text: 'From the HTML' }, email: { textFromHtml: true } });
    });

    it('then an HTML body with no text at all (an image) gives no text, and textFromHtml is false', async () => {
      const event = await accepted(
        testMessage({
          from: 'ana@example.com',
          to: 'support@mail.hub.example.com',
          messageId: '<h4@example.com>',
          html: '<img src="cid:logo">',
        }),
      );
      expect(event.data.content).toEqual({ media: [] });
      expect(event.data.email?.textFromHtml).toBe(false);
    });
  });

  describe('when both a text and an HTML part are sent', () => {
    it('then the text part is the content, as written', async () => {
      const event = await accepted(
        testMessage({
          from: 'ana@example.com',
          to: 'support@mail.hub.example.com',
          messageId: '<a1@example.com>',
          text: 'Plain words',
          html: '<p>Rich <b>words</b></p>',
        }),
      );
      expect(event.data).toMatchObject({ content: { text: 'Plain words' }, email: { textFromHtml: false } });
    });
  });

  describe(`when the text part is longer than ${MAX_TEXT_CHARS.toLocaleString('en')} characters`, () => {
    it('then it is cut at the contract limit, ending in …, and the event still passes the contract', async () => {
      const event = await accepted(
        testMessage({
          from: 'ana@example.com',
          to: 'support@mail.hub.example.com',
          messageId: '<long@example.com>',
          text: `${'0123456789'.repeat(12_000)}`,
        }),
      );
      expect(event.data.content.text).toHaveLength(MAX_TEXT_CHARS);
      expect(event.data.content.text?.endsWith('…')).toBe(true);
    });

    it('then an emoji at the cut is never split in half', async () => {
      const event = await accepted(
        testMessage({
          from: 'ana@example.com',
          to: 'support@mail.hub.example.com',
          messageId: '<emoji-cut@example.com>',
          text: `${'a'.repeat(MAX_TEXT_CHARS - 2)}😀😀😀`,
        }),
      );
      expect(event.data.content.text).toBe(`${'a'.repeat(MAX_TEXT_CHARS - 2)}…`);
    });
  });

  describe('when headers and bodies use other charsets and encodings', () => {
    const latin1 = (s: string) => Buffer.from(s, 'latin1');
    it.each<[string, Buffer, string, string]>([
      [
        'ISO-8859-1 quoted-printable',
        Buffer.from(
          raw(
            [
              'Subject: =?ISO-8859-1?Q?Cr=E8me_br=FBl=E9e?=',
              'Content-Type: text/plain; charset=ISO-8859-1',
              'Content-Transfer-Encoding: quoted-printable',
            ],
            'Voil=E0, =E7a marche.\r\n',
          ),
        ),
        'Crème brûlée',
        'Voilà, ça marche.',
      ],
      [
        'Windows-1252 8bit',
        Buffer.concat([
          Buffer.from(
            raw(
              [
                'Subject: =?windows-1252?Q?=93Quoted=94_=80?=',
                'Content-Type: text/plain; charset=windows-1252',
                'Content-Transfer-Encoding: 8bit',
              ],
              '',
            ),
          ),
          latin1('\x93Smart\x94 quotes cost \x805\x85\r\n'),
        ]),
        '“Quoted” €',
        '“Smart” quotes cost €5…',
      ],
      [
        'ISO-2022-JP 7bit',
        Buffer.from(
          raw(
            [
              'Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=',
              'Content-Type: text/plain; charset=ISO-2022-JP',
              'Content-Transfer-Encoding: 7bit',
            ],
            '\x1b$B$3$s$K$A$O\x1b(B\r\n',
          ),
          'latin1',
        ),
        'こんにちは',
        'こんにちは',
      ],
      [
        'UTF-8 base64',
        Buffer.from(
          raw(
            [
              'Subject: =?UTF-8?B?0J/RgNC40LLQtdGCIPCfkYs=?=',
              'Content-Type: text/plain; charset=UTF-8',
              'Content-Transfer-Encoding: base64',
            ],
            `${Buffer.from('Привет, мир 👋').toString('base64')}\r\n`,
          ),
        ),
        'Привет 👋',
        'Привет, мир 👋',
      ],
      [
        'UTF-8 quoted-printable',
        Buffer.from(
          raw(
            [
              'Subject: =?utf-8?q?=D7=A9=D7=9C=D7=95=D7=9D?=',
              'Content-Type: text/plain; charset=utf-8',
              'Content-Transfer-Encoding: quoted-printable',
            ],
            '=D9=85=D8=B1=D8=AD=D8=A8=D8=A7 =E2=9C=85\r\n',
          ),
        ),
        'שלום',
        'مرحبا ✅',
      ],
      [
        'UTF-8 8bit headers (no encoded words)',
        Buffer.from(
          raw(
            ['Subject: Grüße aus Köln', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
            'Schöne Grüße\r\n',
          ),
          'utf8',
        ),
        'Grüße aus Köln',
        'Schöne Grüße',
      ],
    ])('then %s is decoded to the same text', async (_what, message, subject, text) => {
      const event = await accepted(message);
      expect(event.data.email?.subject).toBe(subject);
      expect(event.data.content.text).toBe(text);
    });

    it('then an encoded-word display name does not change the sender address', async () => {
      const event = await accepted(
        raw([], 'x').replace('From: Ana <ana@example.com>', 'From: =?UTF-8?B?w4FuYSBNYXLDrWE=?= <Ana.Maria@Example.COM>'),
      );
      expect(event.data.identities).toEqual([{ kind: 'email', value: 'ana.maria@example.com' }]);
      expect(event.data.email?.from).toBe('Ana.Maria@Example.COM');
    });
  });

  describe('when the message has attachments', () => {
    const marker = 'SECRET-CONTENT-OF-THE-ATTACHMENT';
    const content = Buffer.from(`%PDF-1.4\n${marker}\n${'x'.repeat(2000)}\n%%EOF\n`);
    const message = testMessage({
      from: 'ana@example.com',
      to: 'support@mail.hub.example.com',
      messageId: '<att@example.com>',
      text: 'see attached',
      attachments: [
        { filename: 'contract.pdf', contentType: 'application/pdf', content },
        { filename: 'scan.jpg', contentType: 'image/jpeg', content: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]) },
      ],
    });

    it('then each is recorded as name, content type and decoded size', async () => {
      expect((await accepted(message)).data.email?.attachments).toEqual([
        { name: 'contract.pdf', contentType: 'application/pdf', sizeBytes: content.length },
        { name: 'scan.jpg', contentType: 'image/jpeg', sizeBytes: 8 },
      ]);
    });

    it('then the content is nowhere in the event, neither as text nor as base64', async () => {
      const json = JSON.stringify(await accepted(message));
      expect(json).not.toContain(marker);
      expect(json).not.toContain(content.toString('base64').slice(0, 40));
      expect((await accepted(message)).data.content.media).toEqual([]);
    });

    it('then an attachment without a file name is named by its position', async () => {
      const unnamed = raw(
        ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
        '--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b--\r\n',
      );
      expect((await accepted(unnamed)).data.email?.attachments).toEqual([
        { name: 'attachment-1', contentType: 'application/octet-stream', sizeBytes: 4 },
      ]);
    });
  });

  describe('when the transport names our address', () => {
    const base = {
      from: 'ana@example.com',
      to: 'Ana <ana.friend@example.org>, support@mail.hub.example.com',
      messageId: '<ep@example.com>',
      text: 'hi',
    };

    it('then Delivered-To (prepended by Postfix pipe flag D) is the endpoint', async () => {
      expect((await accepted(`Delivered-To: support@mail.hub.example.com\r\n${testMessage(base)}`)).data.endpoint).toBe(
        'support@mail.hub.example.com',
      );
    });

    it('then without it X-Original-To is', async () => {
      expect((await accepted(`X-Original-To: sales@mail.hub.example.com\r\n${testMessage(base)}`)).data.endpoint).toBe(
        'sales@mail.hub.example.com',
      );
    });

    it('then without either the first To address is', async () => {
      expect((await accepted(testMessage(base))).data.endpoint).toBe('ana.friend@example.org');
    });
  });

  describe('when the Message-ID is written without angle brackets', () => {
    it('then it is recorded with them, like every other message id', async () => {
      const event = await accepted(raw([], 'x').replace('Message-ID: <t@example.com>', 'Message-ID: bare-id@example.com'));
      expect(event.data.email?.messageId).toBe('<bare-id@example.com>');
      expect(event.data.threadId).toBe('<bare-id@example.com>');
    });
  });

  describe('when the same message without Message-ID arrives twice', () => {
    const withText = (text: string) => testMessage({ from: 'ana@example.com', to: 'support@mail.hub.example.com', text });
    const message = withText('no id here');

    it('then both get the same event id, derived from the bytes', async () => {
      const first = await accepted(message);
      const second = await runChannelPipeline(adapter(), request(message), {
        ...CONFORMANCE_CONTEXT,
        receivedAt: '2025-02-01T00:00:00.000Z',
      });
      expect(second).toMatchObject({ kind: 'accepted', events: [{ metadata: { eventId: first.metadata.eventId } }] });
      expect(first.data.email?.messageId).toMatch(/^<sha256-[0-9a-f]{64}@hub\.invalid>$/);
    });

    it('then one changed byte gives another id', async () => {
      const first = await accepted(message);
      const other = await accepted(withText('no id here!'));
      expect(other.metadata.eventId).not.toBe(first.metadata.eventId);
    });
  });
});
