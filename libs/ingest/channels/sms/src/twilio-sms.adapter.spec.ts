import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline } from '@hub/channels-core/testing';
import { InteractionReceivedDto, validateAs } from '@hub/contracts';
import { TwilioSmsChannelAdapter, type TwilioSmsConfig } from './index';
import {
  signedTwilioRequest,
  smsTestSetup,
  TEST_TWILIO_ACCOUNT_SID,
  twilioSegmentCount,
  twilioSmsParams,
  twilioWebhookRequest,
  type TwilioParams,
} from './testing';

const AUTH_TOKEN = 'sms-conformance-auth-token';
const WEBHOOK_URL = 'https://hub.example.com/webhooks/twilio';
const OUR_NUMBER = '+14155550000';
const NOW = { nowMs: Date.now() };

const adapter = (config: Partial<TwilioSmsConfig> = {}) => new TwilioSmsChannelAdapter({ TWILIO_AUTH_TOKEN: AUTH_TOKEN, ...config });
const request = (params: TwilioParams, url = WEBHOOK_URL, authToken = AUTH_TOKEN): WebhookRequest =>
  twilioWebhookRequest({ authToken, url, params });

channelConformanceKit(smsTestSetup);

describe('TwilioSmsChannelAdapter', () => {
  describe("given Twilio's published example of its signature algorithm", () => {
    // https://www.twilio.com/docs/usage/security#validating-requests
    const example = {
      authToken: '12345',
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
      params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
      signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    };
    const exampleRequest = (params: TwilioParams = example.params, url = example.url): WebhookRequest => ({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': example.signature },
      rawBody: Buffer.from(new URLSearchParams(params).toString()),
      body: params,
    });

    it('then the adapter configured with its auth token verifies the published signature', async () => {
      expect(adapter({ TWILIO_AUTH_TOKEN: example.authToken }).verify(exampleRequest(), NOW)).toEqual({ ok: true });
    });

    it('then an adapter with another auth token refuses it', async () => {
      expect(adapter({ TWILIO_AUTH_TOKEN: '54321' }).verify(exampleRequest(), NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then one changed parameter makes it invalid', async () => {
      const changed = exampleRequest({ ...example.params, Digits: '1235' });
      expect(adapter({ TWILIO_AUTH_TOKEN: example.authToken }).verify(changed, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then a changed query string makes it invalid (Twilio signs the full URL)', async () => {
      const changed = exampleRequest(example.params, 'https://mycompany.com/myapp.php?foo=1&bar=3');
      expect(adapter({ TWILIO_AUTH_TOKEN: example.authToken }).verify(changed, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then signedTwilioRequest computes the published signature', async () => {
      expect(signedTwilioRequest(example).headers['x-twilio-signature']).toBe(example.signature);
    });
  });

  describe('when the request was signed for another URL', () => {
    const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hello', seed: 'other-url' });

    it.each([
      ['another host', 'https://attacker.example.net/webhooks/twilio'],
      ['another path', 'https://hub.example.com/webhooks/other'],
      ['another query string', 'https://hub.example.com/webhooks/twilio?tenant=victim'],
      ['another scheme', 'http://hub.example.com/webhooks/twilio'],
    ])('then a request delivered to %s is refused', async (_what, deliveredTo) => {
      const signedElsewhere: WebhookRequest = { ...request(params), url: deliveredTo };
      expect(adapter().verify(signedElsewhere, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then the same URL with the default port written out still verifies (as behind some proxies)', async () => {
      expect(adapter().verify({ ...request(params), url: 'https://hub.example.com:443/webhooks/twilio' }, NOW)).toEqual({ ok: true });
    });
  });

  describe('when TWILIO_ACCOUNT_SID is configured', () => {
    const ours = `AC${'1'.repeat(32)}`;
    const theirs = `AC${'2'.repeat(32)}`;

    it('then a correctly signed webhook for another account is refused, saying why', async () => {
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', accountSid: theirs });
      expect(adapter({ TWILIO_ACCOUNT_SID: ours }).verify(request(params), NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
        detail: expect.stringContaining('AccountSid'),
      });
    });

    it('then a webhook without an AccountSid is refused', async () => {
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', accountSid: ours });
      delete params['AccountSid'];
      expect(adapter({ TWILIO_ACCOUNT_SID: ours }).verify(request(params), NOW)).toMatchObject({ ok: false, reason: 'signature_invalid' });
    });

    it('then a webhook for the configured account goes through to an event', async () => {
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', accountSid: ours });
      const outcome = await runChannelPipeline(adapter({ TWILIO_ACCOUNT_SID: ours }), request(params));
      expect(outcome).toMatchObject({ kind: 'accepted', events: [{ data: { provider: { accountId: ours } } }] });
    });
  });

  describe('when the customer texts STOP', () => {
    // Twilio adds OptOutType when its Advanced Opt-Out handled the keyword.
    const params = { ...twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'STOP', seed: 'stop' }), OptOutType: 'STOP' };
    const outcome = () => runChannelPipeline(adapter(), request(params));

    it('then it maps to the message as sent, carrying an opt-out consent signal', async () => {
      expect(await outcome()).toMatchObject({
        kind: 'accepted',
        events: [
          {
            data: {
              content: { text: 'STOP', media: [] },
              identities: [{ kind: 'phone', value: '+14155550123' }],
              consent: { signal: 'opt_out', keyword: 'STOP' },
            },
          },
        ],
      });
    });

    it('then the event passes the canonical contract', async () => {
      const o = await outcome();
      if (o.kind !== 'accepted') throw new Error(o.kind);
      expect(validateAs(InteractionReceivedDto, JSON.parse(JSON.stringify(o.events[0])))).toMatchObject({ ok: true });
    });
  });

  describe.each([
    ['START', undefined, { signal: 'opt_in', keyword: 'START' }],
    ['unstop!', undefined, { signal: 'opt_in', keyword: 'UNSTOP' }],
    ['Help', undefined, { signal: 'help', keyword: 'HELP' }],
    ['stop please', undefined, undefined],
    ['Cancel', 'STOP', { signal: 'opt_out', keyword: 'CANCEL' }],
    ['hello', undefined, undefined],
  ])('when the customer texts %j (OptOutType %s)', (body, optOutType, expected) => {
    it(`then the consent signal is ${JSON.stringify(expected)}`, async () => {
      const params = {
        ...twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body, seed: `kw-${body}` }),
        ...(optOutType ? { OptOutType: optOutType } : {}),
      };
      const o = await runChannelPipeline(adapter(), request(params));
      if (o.kind !== 'accepted') throw new Error(o.kind);
      expect(o.events[0]!.data.consent).toEqual(expected);
    });
  });

  describe('when From is a national number', () => {
    const params = twilioSmsParams({ from: '(415) 555-0123', to: OUR_NUMBER, body: 'hi', seed: 'national' });

    it('then with SMS_DEFAULT_REGION=US it is read as a US number', async () => {
      expect(await runChannelPipeline(adapter({ SMS_DEFAULT_REGION: 'US' }), request(params))).toMatchObject({
        kind: 'accepted',
        events: [{ data: { identities: [{ kind: 'phone', value: '+14155550123' }] } }],
      });
    });

    it('then without SMS_DEFAULT_REGION it cannot be mapped, and the error names From', async () => {
      const outcome = await runChannelPipeline(adapter(), request(params));
      expect(outcome).toMatchObject({
        kind: 'unmappable',
        error: { name: 'ChannelMappingError', field: 'From', message: expect.stringContaining('From') },
      });
    });
  });

  describe('when the same message is received at two different times', () => {
    it('then the event id is the same and only the receive time differs', async () => {
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', seed: 'retry' });
      const first = await runChannelPipeline(adapter(), request(params), CONFORMANCE_CONTEXT);
      const retry = await runChannelPipeline(adapter(), request(params), {
        ...CONFORMANCE_CONTEXT,
        receivedAt: '2025-01-15T09:31:00.000Z',
      });
      if (first.kind !== 'accepted' || retry.kind !== 'accepted') throw new Error(`${first.kind} / ${retry.kind}`);
      expect(retry.events[0]!.metadata.eventId).toBe(first.events[0]!.metadata.eventId);
      expect(retry.events[0]!.metadata.occurredAt).toBe('2025-01-15T09:31:00.000Z');
    });

    it('then occurredAt says it is the receive time (Twilio sends no time of its own), for messages and statuses alike', async () => {
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', seed: 'source' });
      const outcome = await runChannelPipeline(adapter(), request(params), CONFORMANCE_CONTEXT);
      if (outcome.kind !== 'accepted') throw new Error(outcome.kind);
      expect(outcome.events[0]!.metadata).toMatchObject({ occurredAt: CONFORMANCE_CONTEXT.receivedAt, occurredAtSource: 'received' });
    });
  });
});

describe('the Twilio test helpers (also used by the demo and the e2e tests)', () => {
  describe('twilioSmsParams', () => {
    it('builds a payload the adapter verifies, validates and maps', async () => {
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'Where is my order?' });
      expect(await runChannelPipeline(adapter(), request(params))).toMatchObject({
        kind: 'accepted',
        events: [
          {
            data: {
              identities: [{ kind: 'phone', value: '+14155550123' }],
              content: { text: 'Where is my order?', media: [] },
              provider: { name: 'twilio', messageId: params['MessageSid'], accountId: TEST_TWILIO_ACCOUNT_SID },
              endpoint: OUR_NUMBER,
            },
          },
        ],
      });
    });

    it("derives a MessageSid of 'SM' + 32 hex, the same for the same input, shared by the legacy SmsSid fields", async () => {
      const a = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', seed: 's1' });
      expect(a['MessageSid']).toMatch(/^SM[0-9a-f]{32}$/);
      expect(twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: 'hi', seed: 's1' })['MessageSid']).toBe(a['MessageSid']);
      expect(a['SmsSid']).toBe(a['MessageSid']);
      expect(a['SmsMessageSid']).toBe(a['MessageSid']);
    });

    it.each([
      ['seed', { seed: 's2' }],
      ['body', { body: 'hi!' }],
      ['sender', { from: '+14155550124' }],
      ['account', { accountSid: `AC${'3'.repeat(32)}` }],
    ])('derives another MessageSid when the %s differs', async (_what, change) => {
      const base = { from: '+14155550123', to: OUR_NUMBER, body: 'hi', seed: 's1' };
      expect(twilioSmsParams({ ...base, ...change })['MessageSid']).not.toBe(twilioSmsParams(base)['MessageSid']);
    });

    it('uses the MessageSid and AccountSid it is given', async () => {
      const params = twilioSmsParams({
        from: '+14155550123',
        to: OUR_NUMBER,
        body: 'hi',
        messageSid: `SM${'a'.repeat(32)}`,
        accountSid: `AC${'b'.repeat(32)}`,
      });
      expect(params).toMatchObject({ MessageSid: `SM${'a'.repeat(32)}`, SmsSid: `SM${'a'.repeat(32)}`, AccountSid: `AC${'b'.repeat(32)}` });
    });

    it('lists media as NumMedia, MediaUrl{N} and MediaContentType{N}, which map in order', async () => {
      const media = [
        { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' },
        { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2', contentType: 'video/mp4' },
      ];
      const params = twilioSmsParams({ from: '+14155550123', to: OUR_NUMBER, body: '', media });
      expect(params).toMatchObject({
        NumMedia: '2',
        MediaUrl0: media[0]!.url,
        MediaContentType0: 'image/jpeg',
        MediaUrl1: media[1]!.url,
        MediaContentType1: 'video/mp4',
      });
      expect(await runChannelPipeline(adapter(), request(params))).toMatchObject({
        kind: 'accepted',
        events: [{ data: { content: { media } } }],
      });
    });

    it('fills the country fields from the numbers, and leaves them empty for an alphanumeric sender', async () => {
      expect(twilioSmsParams({ from: '+447400123456', to: OUR_NUMBER, body: 'hi' })).toMatchObject({ FromCountry: 'GB', ToCountry: 'US' });
      expect(twilioSmsParams({ from: 'ACME', to: OUR_NUMBER, body: 'hi' })).toMatchObject({ From: 'ACME', FromCountry: '' });
    });

    it('returns a fresh object each time, so a caller may delete or change fields', async () => {
      const input = { from: '+14155550123', to: OUR_NUMBER, body: 'hi', seed: 'fresh' };
      const first = twilioSmsParams(input);
      delete first['MessageSid'];
      expect(twilioSmsParams(input)['MessageSid']).toMatch(/^SM/);
    });
  });

  describe('signedTwilioRequest', () => {
    const params = twilioSmsParams({ from: '+971501234567', to: OUR_NUMBER, body: 'مرحبا 👋 a+b=c & 100% ok?', seed: 'encoding' });
    const signed = signedTwilioRequest({ authToken: AUTH_TOKEN, url: WEBHOOK_URL, params });

    it('sends a form-urlencoded body that decodes back to exactly the parameters', async () => {
      expect(signed.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(signed.body))).toEqual(params);
    });

    it('signs it so that the adapter with the same auth token accepts it, and one with another refuses it', async () => {
      const delivered: WebhookRequest = {
        method: 'POST',
        url: WEBHOOK_URL,
        headers: signed.headers,
        rawBody: Buffer.from(signed.body),
        body: Object.fromEntries(new URLSearchParams(signed.body)),
      };
      expect(adapter().verify(delivered, NOW)).toEqual({ ok: true });
      expect(adapter({ TWILIO_AUTH_TOKEN: 'another-token' }).verify(delivered, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });
  });

  describe('twilioSegmentCount', () => {
    it.each([
      ['160 GSM-7 characters', 'a'.repeat(160), 1],
      ['161 GSM-7 characters', 'a'.repeat(161), 2],
      ['1,600 GSM-7 characters', 'a'.repeat(1600), 11],
      ['80 euro signs (two septets each)', '€'.repeat(80), 1],
      ['81 euro signs', '€'.repeat(81), 2],
      ['70 UCS-2 characters', 'ش'.repeat(70), 1],
      ['71 UCS-2 characters', 'ش'.repeat(71), 2],
      ['35 emoji (two UTF-16 units each)', '😀'.repeat(35), 1],
      ['36 emoji', '😀'.repeat(36), 2],
      ['an empty body', '', 1],
    ])('bills %s as %i segment(s)', async (_what, body, segments) => {
      expect(twilioSegmentCount(body)).toBe(segments);
    });
  });
});
