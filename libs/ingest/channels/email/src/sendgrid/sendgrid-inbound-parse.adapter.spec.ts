import { generateKeyPairSync, sign } from 'node:crypto';
import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_BASE_URL, runChannelPipeline } from '@hub/channels-core/testing';
import { InteractionReceivedDto, validateAs, type InteractionReceived } from '@hub/contracts';
import { SendGridInboundParseChannelAdapter, SendGridInboundParseConfig } from '../index';
import {
  basicAuthorization,
  p256KeyPair,
  sendgridBasicAuthTestSetup,
  sendGridFormBody,
  sendgridTestSetup,
  TEST_SENDGRID_BASIC_AUTH,
  TEST_SENDGRID_KEY_PAIR,
  type SendGridFixturePayload,
} from '../testing';

const URL = `${CONFORMANCE_BASE_URL}/webhooks/email/sendgrid`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const adapter = (publicKey = TEST_SENDGRID_KEY_PAIR.publicKeyBase64) =>
  new SendGridInboundParseChannelAdapter({ SENDGRID_INBOUND_PARSE_PUBLIC_KEY: publicKey });
const request = (payload: SendGridFixturePayload): WebhookRequest =>
  sendgridTestSetup.sign(payload as unknown as Record<string, unknown>, {});

/** A default-mode post: the fields SendGrid always sends, with `fields` over them. */
const post = (fields: Record<string, string>, more: Omit<SendGridFixturePayload, 'fields'> = {}): SendGridFixturePayload => ({
  fields: {
    headers:
      'From: Ana <ana@example.com>\nTo: support@parse.hub.example.com\nSubject: hi\nMessage-ID: <sg-unit@example.com>\nDate: Mon, 3 Feb 2025 09:00:00 +0000\n',
    to: 'support@parse.hub.example.com',
    from: 'Ana <ana@example.com>',
    text: 'hello\n',
    sender_ip: '192.0.2.1',
    envelope: '{"to":["support@parse.hub.example.com"],"from":"ana@example.com"}',
    attachments: '0',
    subject: 'hi',
    charsets: '{"to":"UTF-8","from":"UTF-8","subject":"UTF-8","text":"UTF-8"}',
    SPF: 'pass',
    ...fields,
  },
  ...more,
});

async function accepted(payload: SendGridFixturePayload): Promise<InteractionReceived> {
  const outcome = await runChannelPipeline(adapter(), request(payload));
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  const [event] = outcome.events;
  const contract = validateAs(InteractionReceivedDto, JSON.parse(JSON.stringify(event)));
  expect(contract.ok ? [] : contract.errors).toEqual([]);
  return event!;
}

channelConformanceKit(sendgridTestSetup);
// The stock, unsigned setup with basic auth credentials in the Parse URL: the same recorded posts.
channelConformanceKit(sendgridBasicAuthTestSetup);

describe('SendGrid Inbound Parse without signing, protected by basic auth in the Parse URL', () => {
  const unsigned = (authorization?: string): WebhookRequest => {
    const signed = request(post({}));
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => !k.startsWith('x-twilio-email-event-webhook-')));
    return { ...signed, headers: { ...headers, ...(authorization !== undefined ? { authorization } : {}) } };
  };
  const withBasicAuth = (config: Partial<SendGridInboundParseConfig> = {}) =>
    new SendGridInboundParseChannelAdapter({ SENDGRID_INBOUND_PARSE_BASIC_AUTH: TEST_SENDGRID_BASIC_AUTH, ...config });
  const now = { nowMs: Date.now() };

  it('when the post carries the configured credentials, then it verifies and maps', async () => {
    const outcome = await runChannelPipeline(withBasicAuth(), unsigned(basicAuthorization(TEST_SENDGRID_BASIC_AUTH)));
    expect(outcome).toMatchObject({ kind: 'accepted', events: [{ data: { kind: 'email' } }] });
  });

  it('then the scheme is case-insensitive, as HTTP says', () => {
    expect(withBasicAuth().verify(unsigned(basicAuthorization(TEST_SENDGRID_BASIC_AUTH).replace('Basic', 'basic')), now)).toEqual({
      ok: true,
    });
  });

  it.each([
    ['another password', basicAuthorization('sendgrid-parse:conformance-basic-auth-passwore')],
    ['another user', basicAuthorization('sendgrid-parsf:conformance-basic-auth-password')],
    ['the password alone', basicAuthorization('conformance-basic-auth-password')],
    ['a bearer token', `Bearer ${Buffer.from(TEST_SENDGRID_BASIC_AUTH).toString('base64')}`],
    ['no credentials after the scheme', 'Basic '],
  ])('when the post carries %s, then it is refused as signature_invalid', (_what, authorization) => {
    expect(withBasicAuth().verify(unsigned(authorization), now)).toEqual({ ok: false, reason: 'signature_invalid' });
  });

  it('when the post carries neither credentials nor a signature, then it is refused as signature_missing, as before', () => {
    expect(withBasicAuth().verify(unsigned(), now)).toEqual({ ok: false, reason: 'signature_missing' });
    expect(adapter().verify(unsigned(), now)).toEqual({ ok: false, reason: 'signature_missing' });
  });

  it('when only the signature key is configured, then credentials alone do not let a post in', () => {
    expect(adapter().verify(unsigned(basicAuthorization(TEST_SENDGRID_BASIC_AUTH)), now)).toEqual({
      ok: false,
      reason: 'signature_missing',
    });
  });

  it('when both are configured, then a signed post is judged by its signature and an unsigned one by its credentials', () => {
    const both = withBasicAuth({ SENDGRID_INBOUND_PARSE_PUBLIC_KEY: TEST_SENDGRID_KEY_PAIR.publicKeyBase64 });
    expect(both.verify(request(post({})), now)).toEqual({ ok: true });
    expect(both.verify(unsigned(basicAuthorization(TEST_SENDGRID_BASIC_AUTH)), now)).toEqual({ ok: true });
    const forgedSignature = {
      ...request(post({})),
      headers: {
        ...request(post({})).headers,
        'x-twilio-email-event-webhook-signature': 'AAAA',
        authorization: basicAuthorization(TEST_SENDGRID_BASIC_AUTH),
      },
    };
    expect(both.verify(forgedSignature, now)).toEqual({ ok: false, reason: 'signature_invalid' });
  });

  describe('the configuration, validated at boot', () => {
    it.each([
      ['neither a key nor credentials', {}, 'SENDGRID_INBOUND_PARSE_PUBLIC_KEY'],
      [
        'credentials without a colon',
        { SENDGRID_INBOUND_PARSE_BASIC_AUTH: 'justapasswordthatislong' },
        'SENDGRID_INBOUND_PARSE_BASIC_AUTH',
      ],
      [
        'a password shorter than 16 characters',
        { SENDGRID_INBOUND_PARSE_BASIC_AUTH: 'parse:short-pass' },
        'SENDGRID_INBOUND_PARSE_BASIC_AUTH',
      ],
      ['an empty user', { SENDGRID_INBOUND_PARSE_BASIC_AUTH: ':conformance-basic-auth-password' }, 'SENDGRID_INBOUND_PARSE_BASIC_AUTH'],
    ])('then %s is refused, naming the setting', (_what, config, field) => {
      const result = validateAs(SendGridInboundParseConfig, config);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.map((e) => e.field)).toContain(field);
    });

    it.each([
      ['credentials alone', { SENDGRID_INBOUND_PARSE_BASIC_AUTH: TEST_SENDGRID_BASIC_AUTH }],
      ['a key alone', { SENDGRID_INBOUND_PARSE_PUBLIC_KEY: TEST_SENDGRID_KEY_PAIR.publicKeyBase64 }],
      [
        'both',
        {
          SENDGRID_INBOUND_PARSE_BASIC_AUTH: TEST_SENDGRID_BASIC_AUTH,
          SENDGRID_INBOUND_PARSE_PUBLIC_KEY: TEST_SENDGRID_KEY_PAIR.publicKeyBase64,
        },
      ],
    ])('then %s is a valid configuration', (_what, config) => {
      expect(validateAs(SendGridInboundParseConfig, config)).toMatchObject({ ok: true });
    });
  });
});

describe('SendGridInboundParseChannelAdapter', () => {
  describe("given SendGrid's signing scheme: ECDSA P-256 / SHA-256 over timestamp + body, base64 DER", () => {
    // A key pair SendGrid could have issued, from node:crypto itself rather than the test helpers.
    const issued = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const issuedPublicKey = issued.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const { body, contentType } = sendGridFormBody(post({}));
    const signedAt = (timestamp: string, payload = body): WebhookRequest => ({
      method: 'POST',
      url: URL,
      headers: {
        'content-type': contentType,
        'x-twilio-email-event-webhook-signature': sign(
          'sha256',
          Buffer.concat([Buffer.from(timestamp), payload]),
          issued.privateKey,
        ).toString('base64'),
        'x-twilio-email-event-webhook-timestamp': timestamp,
      },
      rawBody: body,
      body,
    });

    it('then a request signed by an independent implementation verifies with the policy’s public key', () => {
      expect(adapter(issuedPublicKey).verify(signedAt(String(nowSeconds())), { nowMs: Date.now() })).toEqual({ ok: true });
    });

    it('then the same public key given as PEM works too', () => {
      const pem = issued.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(adapter(pem).verify(signedAt(String(nowSeconds())), { nowMs: Date.now() })).toEqual({ ok: true });
    });

    it('then a signature over other bytes is refused as signature_invalid', () => {
      const ts = String(nowSeconds());
      expect(adapter(issuedPublicKey).verify(signedAt(ts, Buffer.concat([body, Buffer.from(' ')])), { nowMs: Date.now() })).toEqual({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then a signature header that is not a DER signature is refused as signature_invalid', () => {
      const req = signedAt(String(nowSeconds()));
      expect(
        adapter(issuedPublicKey).verify(
          { ...req, headers: { ...req.headers, 'x-twilio-email-event-webhook-signature': 'bm90IGEgc2lnbmF0dXJl' } },
          { nowMs: Date.now() },
        ),
      ).toEqual({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then a timestamp that is not unix seconds is refused as signature_invalid', () => {
      expect(adapter(issuedPublicKey).verify(signedAt('2025-02-03T09:00:00Z'), { nowMs: Date.now() })).toMatchObject({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then a genuine signature made 301 s ago is refused as signature_stale', () => {
      expect(adapter(issuedPublicKey).verify(signedAt(String(nowSeconds() - 301)), { nowMs: Date.now() })).toEqual({
        ok: false,
        reason: 'signature_stale',
      });
    });
  });

  describe('given the config schema', () => {
    it('then the public key SendGrid returns for a security policy (base64 DER) is valid', () => {
      expect(
        validateAs(SendGridInboundParseConfig, { SENDGRID_INBOUND_PARSE_PUBLIC_KEY: p256KeyPair('any').publicKeyBase64 }),
      ).toMatchObject({ ok: true });
    });

    it.each([
      ['a value that is not a key', 'not-a-key'],
      [
        'an RSA key',
        generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      ],
      [
        'a key on another curve',
        generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      ],
    ])('then %s is refused at boot, naming the variable', (_what, value) => {
      expect(validateAs(SendGridInboundParseConfig, { SENDGRID_INBOUND_PARSE_PUBLIC_KEY: value })).toMatchObject({
        ok: false,
        errors: [{ field: 'SENDGRID_INBOUND_PARSE_PUBLIC_KEY' }],
      });
    });
  });

  describe('when the body is not a multipart form', () => {
    it('then a JSON body is refused naming (body)', async () => {
      expect(await adapter().parse({ from: 'a@example.com' }, { 'content-type': 'application/json' })).toEqual({
        ok: false,
        errors: [{ field: '(body)', messages: [expect.stringContaining('multipart/form-data')] }],
      });
    });

    it('then multipart bytes cut off before the closing boundary are refused naming (body)', async () => {
      const { body, contentType } = sendGridFormBody(post({}));
      expect(await adapter().parse(body.subarray(0, body.length - 20), { 'content-type': contentType })).toMatchObject({
        ok: false,
        errors: [{ field: '(body)' }],
      });
    });
  });

  describe('when SendGrid names the charset of the text and html fields', () => {
    it.each<[string, string, Buffer, string]>([
      ['windows-1252', 'windows-1252', Buffer.from('\x93Quote\x94 \x80 5', 'latin1'), '“Quote” € 5'],
      ['iso-8859-1', 'iso-8859-1', Buffer.from('Caf\xe9 cr\xe8me', 'latin1'), 'Café crème'],
      ['ISO-2022-JP', 'ISO-2022-JP', Buffer.from('\x1b$B$3$s$K$A$O\x1b(B', 'latin1'), 'こんにちは'],
      ['an unknown charset name (read as UTF-8)', 'x-unknown-charset', Buffer.from('plain ✓', 'utf8'), 'plain ✓'],
    ])('then %s is decoded', async (_what, charset, bytes, expected) => {
      const payload = post(
        { text: bytes.toString('latin1'), charsets: JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: 'UTF-8', text: charset }) },
        { encodings: { text: 'latin1' } },
      );
      expect((await accepted(payload)).data.content.text).toBe(expected);
    });
  });

  describe('when the message has only an html field', () => {
    it('then the text is a summary of it and textFromHtml says so', async () => {
      const payload = post({
        html: '<table><tr><td><h2>Order 5</h2><p>Where is it?</p></td></tr></table>',
        charsets: '{"to":"UTF-8","from":"UTF-8","subject":"UTF-8","html":"UTF-8"}',
      });
      delete payload.fields['text'];
      expect((await accepted(payload)).data).toMatchObject({ content: { text: 'ORDER 5\n\nWhere is it?' }, email: { textFromHtml: true } });
    });
  });

  describe('when the message has attachments', () => {
    const files = [
      { field: 'attachment1', filename: 'contract.pdf', contentType: 'application/pdf', sizeBytes: 5_000 },
      { field: 'attachment2', filename: 'photo.png', contentType: 'image/png', sizeBytes: 70_000 },
    ];
    const info = JSON.stringify({
      attachment1: { filename: 'contract.pdf', name: 'contract.pdf', type: 'application/pdf' },
      attachment2: { filename: 'photo.png', name: 'photo.png', type: 'image/png' },
    });

    it('then each is recorded as its name, type and size, never its bytes', async () => {
      const event = await accepted(post({ attachments: '2', 'attachment-info': info }, { files }));
      expect(event.data.email?.attachments).toEqual([
        { name: 'contract.pdf', contentType: 'application/pdf', sizeBytes: 5_000 },
        { name: 'photo.png', contentType: 'image/png', sizeBytes: 70_000 },
      ]);
      expect(JSON.stringify(event)).not.toContain('hub-attachment-bytes');
      expect(event.data.content.media).toEqual([]);
    });

    it('then without attachment-info the file part’s own name and type are used', async () => {
      const event = await accepted(post({ attachments: '1' }, { files: [files[0]!] }));
      expect(event.data.email?.attachments).toEqual([{ name: 'contract.pdf', contentType: 'application/pdf', sizeBytes: 5_000 }]);
    });
  });

  describe('when the SMTP envelope names the address SendGrid received it at', () => {
    it('then that is the endpoint, even when To names other people', async () => {
      const event = await accepted(
        post({
          to: 'team@example.com, Ana <ana@example.com>',
          envelope: '{"to":["sales@parse.hub.example.com"],"from":"ana@example.com"}',
        }),
      );
      expect(event.data.endpoint).toBe('sales@parse.hub.example.com');
      expect(event.data.email?.to).toEqual(['team@example.com', 'ana@example.com']);
    });
  });

  describe('when the same message is posted in default mode twice', () => {
    it('then the event id is the same, from its Message-ID', async () => {
      const first = await accepted(post({}));
      const second = await accepted(post({}));
      expect(second.metadata.eventId).toBe(first.metadata.eventId);
    });
  });
});
