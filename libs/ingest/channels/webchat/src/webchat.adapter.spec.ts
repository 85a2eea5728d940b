import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { validateAs } from '@hub/contracts';
import { WebchatChannelAdapter, WebchatConfig, webchatSignature } from './index';
import { WEBCHAT_TEST_SIGNING_SECRET, webchatTestSetup, webchatWebhookRequest } from './testing';

const URL = 'https://hub.example.com/webhooks/webchat';
/** A fixed clock: every request below is signed relative to it. */
const T = 1736933400;
const AT_T = { nowMs: T * 1000 };

const adapter = (config: Partial<WebchatConfig> = {}) =>
  new WebchatChannelAdapter({ WEBCHAT_SIGNING_SECRET: WEBCHAT_TEST_SIGNING_SECRET, ...config });
const request = (payload: Record<string, unknown>, { timestamp = T, secret = WEBCHAT_TEST_SIGNING_SECRET } = {}): WebhookRequest =>
  webchatWebhookRequest({ secret, url: URL, payload, timestamp });
const run = (payload: Record<string, unknown>, config: Partial<WebchatConfig> = {}) =>
  runChannelPipeline(adapter(config), request(payload), CONFORMANCE_CONTEXT, AT_T);

function accepted(outcome: PipelineOutcome) {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

const message = (id: string, text = `text of ${id}`) => ({ id, sentAt: '2025-01-15T09:29:58.000Z', text });
const payload = (over: Record<string, unknown> = {}) => ({
  sessionId: 'ws_spec',
  visitor: { id: '8214467233501729133' },
  messages: [message('m_1')],
  ...over,
});

channelConformanceKit(webchatTestSetup);

describe('WebchatChannelAdapter', () => {
  describe('given a known signature (computed with openssl)', () => {
    // printf '%s' '1736933400.{"sessionId":"ws_1"}' | openssl dgst -sha256 -hmac 'a-gateway-signing-secret-of-32-chars!'
    it('then webchatSignature gives v1= and the same hex digest', () => {
      expect(webchatSignature('a-gateway-signing-secret-of-32-chars!', '1736933400', Buffer.from('{"sessionId":"ws_1"}'))).toBe(
        'v1=abb1154b61ddb8ced5b097918acf4327793375fc31d910a33507f8302ec6959f',
      );
    });
  });

  describe('when the signed timestamp is compared with the clock (5-minute window, both ways)', () => {
    it.each([
      ['signed now', 0, { ok: true }],
      ['signed 300 s ago (the edge of the window)', -300, { ok: true }],
      ['signed 300 s ahead (a gateway clock running fast, at the edge)', 300, { ok: true }],
      ['signed 301 s ago', -301, { ok: false, reason: 'signature_stale' }],
      ['signed 301 s ahead', 301, { ok: false, reason: 'signature_stale' }],
      ['signed a day ago', -86_400, { ok: false, reason: 'signature_stale' }],
      ['signed a year ahead', 365 * 86_400, { ok: false, reason: 'signature_stale' }],
    ])('then a request %s verifies as %j', (_what, offsetSeconds, expected) => {
      expect(adapter().verify(request(payload(), { timestamp: T + offsetSeconds }), AT_T)).toMatchObject(expected);
    });

    it('then a stale request with a wrong signature is refused as invalid, not stale (the signature is checked first)', () => {
      expect(adapter().verify(request(payload(), { timestamp: T - 3600, secret: 'another-secret' }), AT_T)).toMatchObject({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then an old request replayed with a fresh timestamp header is refused: the timestamp is signed', () => {
      const old = request(payload(), { timestamp: T - 3600 });
      const replayed: WebhookRequest = { ...old, headers: { ...old.headers, 'x-webchat-timestamp': String(T) } };
      expect(adapter().verify(replayed, AT_T)).toEqual({ ok: false, reason: 'signature_invalid' });
    });
  });

  describe('when the signature headers are not what the gateway sends', () => {
    const signed = request(payload());
    const withHeaders = (headers: Record<string, string | undefined>): WebhookRequest => ({
      ...signed,
      headers: { ...signed.headers, ...headers },
    });

    it.each([
      ['the timestamp header missing', { 'x-webchat-timestamp': undefined }, 'signature_missing'],
      ['a timestamp in milliseconds-with-a-dot', { 'x-webchat-timestamp': `${T}.5` }, 'signature_invalid'],
      ['an ISO timestamp', { 'x-webchat-timestamp': '2025-01-15T09:30:00Z' }, 'signature_invalid'],
      ['the digest without v1=', { 'x-webchat-signature': signed.headers['x-webchat-signature']!.slice(3) }, 'signature_invalid'],
      [
        'the digest in upper case',
        { 'x-webchat-signature': `v1=${signed.headers['x-webchat-signature']!.slice(3).toUpperCase()}` },
        'signature_invalid',
      ],
      ['a v0 scheme', { 'x-webchat-signature': `v0=${signed.headers['x-webchat-signature']!.slice(3)}` }, 'signature_invalid'],
      ['an empty signature', { 'x-webchat-signature': '' }, 'signature_missing'],
    ])('then a request with %s is refused as %s', (_what, headers, reason) => {
      expect(adapter().verify(withHeaders(headers), AT_T)).toMatchObject({ ok: false, reason });
    });
  });

  describe('when the body is re-serialised after signing', () => {
    it('then the same JSON with other whitespace is refused: the signature covers the exact bytes', () => {
      const signed = request(payload());
      const reformatted = Buffer.from(JSON.stringify(signed.body, null, 2));
      expect(adapter().verify({ ...signed, rawBody: reformatted }, AT_T)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then a pretty-printed body signed as sent verifies', () => {
      const rawBody = Buffer.from(JSON.stringify(payload(), null, 2));
      const ts = String(T);
      const pretty: WebhookRequest = {
        ...request(payload()),
        rawBody,
        headers: {
          'content-type': 'application/json',
          'x-webchat-timestamp': ts,
          'x-webchat-signature': webchatSignature(WEBCHAT_TEST_SIGNING_SECRET, ts, rawBody),
        },
      };
      expect(adapter().verify(pretty, AT_T)).toEqual({ ok: true });
    });
  });

  describe('when one request carries several messages', () => {
    const batch = payload({ messages: [message('m_1'), message('m_2'), message('m_3')] });

    it('then each message is one event, in order, all in the session thread and correlated by it', async () => {
      const events = accepted(await run(batch));
      expect(events.map((e) => e.data.provider.messageId)).toEqual(['m_1', 'm_2', 'm_3']);
      expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(3);
      for (const e of events) {
        expect(e.data.threadId).toBe('ws_spec');
        expect(e.metadata.correlationId).toBe('ws_spec');
        expect(e.metadata.causationId).toBe(e.metadata.eventId);
      }
    });

    it('then a message redelivered alone keeps the id it had in the batch', async () => {
      const inBatch = accepted(await run(batch));
      const [alone] = accepted(await run(payload({ messages: [message('m_2')] })));
      expect(alone!.metadata.eventId).toBe(inBatch[1]!.metadata.eventId);
    });

    it('then the same message id in another session is another message', async () => {
      const [a] = accepted(await run(payload()));
      const [b] = accepted(await run(payload({ sessionId: 'ws_other' })));
      expect(b!.metadata.eventId).not.toBe(a!.metadata.eventId);
    });
  });

  describe('when the visitor gives more or less about themselves', () => {
    const id = { kind: 'handle', namespace: 'webchat', value: '8214467233501729133' };
    it.each([
      ['nothing but the widget id', {}, [id]],
      ['a phone', { phone: '+44 7911 123456' }, [{ kind: 'phone', value: '+447911123456' }, id]],
      ['an email', { email: 'Alice@Example.com' }, [{ kind: 'email', value: 'alice@example.com' }, id]],
      [
        'an email and a phone',
        { phone: '+447911123456', email: 'alice@example.com' },
        [{ kind: 'email', value: 'alice@example.com' }, { kind: 'phone', value: '+447911123456' }, id],
      ],
      ['a name only (not an identity)', { name: 'Alice' }, [id]],
    ])('then with %s the identities are %j, the first being the customer key', async (_what, visitor, identities) => {
      const [e] = accepted(await run(payload({ visitor: { id: '8214467233501729133', ...visitor } })));
      expect(e!.data.identities).toEqual(identities);
    });

    it('then a national number is read in WEBCHAT_DEFAULT_REGION, and is unmappable without it', async () => {
      const national = payload({ visitor: { id: '8214467233501729133', phone: '(415) 555-0123' } });
      expect(accepted(await run(national, { WEBCHAT_DEFAULT_REGION: 'US' }))[0]!.data.identities[0]).toEqual({
        kind: 'phone',
        value: '+14155550123',
      });
      expect(await run(national)).toMatchObject({
        kind: 'unmappable',
        error: { field: 'visitor.phone', message: expect.stringContaining('WEBCHAT_DEFAULT_REGION') },
      });
    });
  });

  describe('when the widget is open on a page', () => {
    it('then the page host (with a non-default port) is the endpoint; path, query and fragment are not kept', async () => {
      const [e] = accepted(await run(payload({ page: { url: 'https://Shop.Example.com:8443/orders/1234?token=secret#x' } })));
      expect(e!.data.endpoint).toBe('shop.example.com:8443');
    });

    it('then without a page there is no endpoint', async () => {
      const [e] = accepted(await run(payload()));
      expect(e!.data).not.toHaveProperty('endpoint');
    });
  });

  describe('given the config schema', () => {
    it.each([
      ['a 32-character secret', { WEBCHAT_SIGNING_SECRET: 's'.repeat(32) }, true],
      ['a 31-character secret', { WEBCHAT_SIGNING_SECRET: 's'.repeat(31) }, false],
      ['no secret', {}, false],
      ['a default region libphonenumber knows', { WEBCHAT_SIGNING_SECRET: 's'.repeat(32), WEBCHAT_DEFAULT_REGION: 'GB' }, true],
      ['a region that is not a country code', { WEBCHAT_SIGNING_SECRET: 's'.repeat(32), WEBCHAT_DEFAULT_REGION: 'UK' }, false],
    ])('then %s is %s', (_what, env, ok) => {
      expect(validateAs(WebchatConfig, env).ok).toBe(ok);
    });
  });
});
