import type { WebhookRequest } from '@hub/channels-core';
import {
  channelConformanceKit,
  CONFORMANCE_BASE_URL,
  CONFORMANCE_CONTEXT,
  runChannelPipeline,
  type PipelineOutcome,
} from '@hub/channels-core/testing';
import type { InteractionReceived } from '@hub/contracts';
import { TWILIO_CALL_DIRECTIONS, TWILIO_CALL_STATUSES, TwilioVoiceChannelAdapter, type TwilioVoiceConfig } from '../index';
import {
  rfc2822,
  signedTwilioVoiceRequest,
  TEST_TWILIO_VOICE_ACCOUNT_SID,
  twilioVoiceStatusParams,
  twilioVoiceTestSetup,
  twilioVoiceWebhookRequest,
  type TwilioVoiceParams,
  type TwilioVoiceStatusInput,
} from '../testing';

const AUTH_TOKEN = 'twilio-voice-spec-auth-token';
const WEBHOOK_URL = `${CONFORMANCE_BASE_URL}/webhooks/twilio-voice`;
const OUR_NUMBER = '+18005550100';
const CUSTOMER = '+14155550123';
const NOW = { nowMs: Date.now() };

const adapter = (config: Partial<TwilioVoiceConfig> = {}) => new TwilioVoiceChannelAdapter({ TWILIO_AUTH_TOKEN: AUTH_TOKEN, ...config });
const request = (params: TwilioVoiceParams, url = WEBHOOK_URL, authToken = AUTH_TOKEN): WebhookRequest =>
  twilioVoiceWebhookRequest({ authToken, url, params });
const inbound = (more: Partial<TwilioVoiceStatusInput> = {}): TwilioVoiceParams =>
  twilioVoiceStatusParams({ from: CUSTOMER, to: OUR_NUMBER, direction: 'inbound', status: 'completed', seed: 'spec', ...more });
const events = (o: PipelineOutcome): InteractionReceived[] => {
  if (o.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o.events;
};
const only = async (params: TwilioVoiceParams, context = CONFORMANCE_CONTEXT) =>
  events(await runChannelPipeline(adapter(), request(params), context))[0]!;

channelConformanceKit(twilioVoiceTestSetup);

describe('TwilioVoiceChannelAdapter', () => {
  describe("given Twilio's published example of its signature algorithm (a voice webhook)", () => {
    // https://www.twilio.com/docs/usage/security#validating-requests
    const example = {
      authToken: '12345',
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
      params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
      signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    };
    const exampleRequest = (params: Record<string, string> = example.params): WebhookRequest => ({
      method: 'POST',
      url: example.url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': example.signature },
      rawBody: Buffer.from(new URLSearchParams(params).toString()),
      body: params,
    });

    it('then the adapter configured with its auth token verifies the published signature', () => {
      expect(adapter({ TWILIO_AUTH_TOKEN: example.authToken }).verify(exampleRequest(), NOW)).toEqual({ ok: true });
    });

    it('then one changed parameter makes it invalid', () => {
      expect(adapter({ TWILIO_AUTH_TOKEN: example.authToken }).verify(exampleRequest({ ...example.params, Digits: '1235' }), NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
      });
    });

    it('then signedTwilioVoiceRequest computes the published signature', () => {
      expect(signedTwilioVoiceRequest(example).headers['x-twilio-signature']).toBe(example.signature);
    });
  });

  describe('when the callback was signed for another URL', () => {
    it.each([
      ['the SMS route', `${CONFORMANCE_BASE_URL}/webhooks/twilio`],
      ['another host', 'https://attacker.example.net/webhooks/twilio-voice'],
      ['another query string', `${WEBHOOK_URL}?tenant=victim`],
    ])('then a callback delivered to %s is refused', (_what, deliveredTo) => {
      expect(adapter().verify({ ...request(inbound()), url: deliveredTo }, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });
  });

  describe('when TWILIO_ACCOUNT_SID is configured', () => {
    const ours = `AC${'1'.repeat(32)}`;

    it('then a correctly signed callback of another account is refused, saying why', () => {
      expect(adapter({ TWILIO_ACCOUNT_SID: ours }).verify(request(inbound({ accountSid: `AC${'2'.repeat(32)}` })), NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
        detail: expect.stringContaining('AccountSid'),
      });
    });

    it('then a callback of the configured account verifies', () => {
      expect(adapter({ TWILIO_ACCOUNT_SID: ours }).verify(request(inbound({ accountSid: ours })), NOW)).toEqual({ ok: true });
    });
  });

  describe.each([
    ['queued', 'initiated'],
    ['initiated', 'initiated'],
    ['ringing', 'ringing'],
    ['in-progress', 'in_progress'],
    ['completed', 'completed'],
    ['busy', 'busy'],
    ['no-answer', 'no_answer'],
    ['canceled', 'canceled'],
    ['failed', 'failed'],
  ] as const)('when the CallStatus is %s', (status, canonical) => {
    it(`then the call status is ${canonical}`, async () => {
      expect((await only(inbound({ status, at: '2025-01-14T10:05:37Z' }))).data.call!.status).toBe(canonical);
    });
  });

  it('then every Twilio CallStatus has a canonical status (the table above is complete)', () => {
    expect(TWILIO_CALL_STATUSES).toHaveLength(9);
  });

  describe.each([
    ['inbound', 'inbound', CUSTOMER, OUR_NUMBER],
    ['trunking-terminating', 'inbound', CUSTOMER, OUR_NUMBER],
    ['outbound-api', 'outbound', OUR_NUMBER, CUSTOMER],
    ['outbound-dial', 'outbound', OUR_NUMBER, CUSTOMER],
    ['trunking-originating', 'outbound', OUR_NUMBER, CUSTOMER],
  ] as const)('when the Direction is %s', (direction, canonical, from, to) => {
    it(`then the call is ${canonical}, keyed by the customer's number and reaching our number`, async () => {
      const event = await only(twilioVoiceStatusParams({ from, to, direction, status: 'completed', seed: `dir-${direction}` }));
      expect(event.data).toMatchObject({ direction: canonical, identities: [{ kind: 'phone', value: CUSTOMER }], endpoint: OUR_NUMBER });
    });
  });

  it('then every Twilio Direction is covered (the table above is complete)', () => {
    expect(TWILIO_CALL_DIRECTIONS).toHaveLength(5);
  });

  describe('when reading times and durations', () => {
    it('then a completed call started CallDuration seconds before it ended at Timestamp', async () => {
      const event = await only(inbound({ status: 'completed', at: '2025-01-14T10:05:37Z', callDuration: 217 }));
      expect(event.data.call).toEqual({
        status: 'completed',
        startedAt: '2025-01-14T10:02:00.000Z',
        endedAt: '2025-01-14T10:05:37.000Z',
        durationSeconds: 217,
      });
      expect(event.metadata.occurredAt).toBe('2025-01-14T10:05:37.000Z');
      expect(event.metadata.occurredAtSource).toBe('provider');
    });

    it('then an answered call (in-progress) started at Timestamp, and has no end yet', async () => {
      expect((await only(inbound({ status: 'in-progress', at: '2025-01-14T10:02:00Z' }))).data.call).toEqual({
        status: 'in_progress',
        startedAt: '2025-01-14T10:02:00.000Z',
      });
    });

    it.each(['busy', 'no-answer', 'canceled', 'failed'] as const)('then a %s call ended at Timestamp, without a start', async (status) => {
      expect((await only(inbound({ status, at: '2025-01-14T10:00:30Z' }))).data.call).toMatchObject({
        endedAt: '2025-01-14T10:00:30.000Z',
      });
      expect((await only(inbound({ status, at: '2025-01-14T10:00:30Z' }))).data.call).not.toHaveProperty('startedAt');
    });

    it('then ringing and initiated callbacks carry no times in the facet, only occurredAt', async () => {
      const event = await only(inbound({ status: 'ringing', at: '2025-01-14T10:01:55Z' }));
      expect(event.data.call).toEqual({ status: 'ringing' });
      expect(event.metadata.occurredAt).toBe('2025-01-14T10:01:55.000Z');
    });

    it('then without Timestamp the callback occurred when it was received, and a duration stands alone', async () => {
      const event = await only(inbound({ status: 'completed', callDuration: 42 }));
      expect(event.metadata.occurredAt).toBe(CONFORMANCE_CONTEXT.receivedAt);
      expect(event.metadata.occurredAtSource).toBe('received');
      expect(event.data.call).toEqual({ status: 'completed', durationSeconds: 42 });
    });

    it('then a completed call with a recording carries its RecordingUrl', async () => {
      const sid = `RE${'a'.repeat(32)}`;
      expect((await only(inbound({ recording: { sid, durationSeconds: 200 } }))).data.call).toMatchObject({
        recordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${TEST_TWILIO_VOICE_ACCOUNT_SID}/Recordings/${sid}`,
      });
    });
  });

  describe('when one call reports several statuses', () => {
    const at = (status: TwilioVoiceStatusInput['status'], time: string, sequenceNumber: number) =>
      inbound({ status, at: time, sequenceNumber, seed: 'one-call' });
    const progression = [
      at('initiated', '2025-01-14T10:01:50Z', 0),
      at('ringing', '2025-01-14T10:01:55Z', 1),
      at('in-progress', '2025-01-14T10:02:00Z', 2),
      at('completed', '2025-01-14T10:05:37Z', 3),
    ];

    it('then each callback is its own event, all of the same call and correlation', async () => {
      const out = await Promise.all(progression.map((p) => only(p)));
      expect(new Set(out.map((e) => e.metadata.eventId)).size).toBe(4);
      expect(new Set(out.map((e) => e.data.provider.messageId)).size).toBe(1);
      expect(new Set(out.map((e) => e.metadata.correlationId))).toEqual(new Set([progression[0]!['CallSid']]));
    });

    it('then a retried callback, received later, is the same event', async () => {
      const first = await only(progression[3]!);
      const retry = await only(progression[3]!, { ...CONFORMANCE_CONTEXT, receivedAt: '2025-01-14T10:06:10.000Z' });
      expect(retry.metadata.eventId).toBe(first.metadata.eventId);
    });
  });

  describe('when the callback is of a <Dial> leg of another call', () => {
    it('then its correlation id is the parent call’s sid', async () => {
      const parent = `CA${'f'.repeat(32)}`;
      const event = await only(
        twilioVoiceStatusParams({
          from: OUR_NUMBER,
          to: CUSTOMER,
          direction: 'outbound-dial',
          status: 'completed',
          parentCallSid: parent,
          seed: 'leg',
        }),
      );
      expect(event.metadata.correlationId).toBe(parent);
      expect(event.metadata.causationId).toBe(event.metadata.eventId);
    });
  });

  describe.each(['+266696687', '266696687', 'Anonymous', 'RESTRICTED', 'unknown'])('when the caller id is withheld (From %s)', (from) => {
    it('then it cannot be mapped, and the error names From', async () => {
      const outcome = await runChannelPipeline(adapter(), request(inbound({ from, seed: `anon-${from}` })));
      expect(outcome).toMatchObject({ kind: 'unmappable', error: { field: 'From', message: expect.stringContaining('anonymous caller') } });
    });
  });

  describe('when an optional field is sent empty, as Twilio does for some', () => {
    it('then it is read as absent', async () => {
      const params: TwilioVoiceParams = {
        ...inbound({ at: '2025-01-14T10:05:37Z' }),
        ParentCallSid: '',
        RecordingUrl: '',
        SequenceNumber: '',
        CallDuration: '',
      };
      const event = await only(params);
      expect(event.data.call).toEqual({ status: 'completed', endedAt: '2025-01-14T10:05:37.000Z' });
      expect(event.metadata.correlationId).toBe(params['CallSid']);
    });
  });
});

describe('the Twilio Voice test helpers (also used by the demo and the e2e tests)', () => {
  it('twilioVoiceStatusParams derives one CallSid per call, whatever the status', () => {
    const ringing = inbound({ status: 'ringing', seed: 'helper' });
    const completed = inbound({ status: 'completed', seed: 'helper' });
    expect(ringing['CallSid']).toMatch(/^CA[0-9a-f]{32}$/);
    expect(completed['CallSid']).toBe(ringing['CallSid']);
    expect(inbound({ seed: 'other' })['CallSid']).not.toBe(ringing['CallSid']);
  });

  it('rfc2822 writes Timestamp as Twilio does', () => {
    expect(rfc2822('2025-01-14T10:05:37Z')).toBe('Tue, 14 Jan 2025 10:05:37 +0000');
  });

  it('twilioVoiceWebhookRequest sends a form body that decodes back to exactly the parameters, signed for the URL', () => {
    const params = { ...inbound({ at: '2025-01-14T10:05:37Z' }), CallerName: 'محمد 📞 a+b=c & 100%' };
    const delivered = request(params);
    expect(Object.fromEntries(new URLSearchParams(delivered.rawBody.toString('utf8')))).toEqual(params);
    expect(adapter().verify(delivered, NOW)).toEqual({ ok: true });
    expect(adapter({ TWILIO_AUTH_TOKEN: 'another-token' }).verify(delivered, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
  });
});
