import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { normalizePhone } from '@hub/customer';
import { WhatsAppChannelAdapter, WHATSAPP_MEDIA_BASE_URL } from '../index';
import {
  META_TEST_APP_SECRET,
  META_TEST_VERIFY_TOKEN,
  metaJson,
  metaWebhookRequest,
  testWamid,
  TEST_WHATSAPP_METADATA,
  whatsappTestSetup,
  whatsappTextPayload,
} from '../testing';

const WEBHOOK_URL = 'https://hub.example.com/webhooks/whatsapp';
const NOW = { nowMs: Date.now() };
const CUSTOMER = '16505551234';

const adapter = () => new WhatsAppChannelAdapter({ META_APP_SECRET: META_TEST_APP_SECRET, META_VERIFY_TOKEN: META_TEST_VERIFY_TOKEN });
const request = (payload: unknown, appSecret = META_TEST_APP_SECRET): WebhookRequest =>
  metaWebhookRequest({ appSecret, url: WEBHOOK_URL, payload });
const run = (payload: unknown) => runChannelPipeline(adapter(), request(payload));

function accepted(outcome: PipelineOutcome) {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

/** A `messages` change value for the test business number. */
const value = (parts: { messages?: unknown[]; statuses?: unknown[] }) => ({
  messaging_product: 'whatsapp',
  metadata: { ...TEST_WHATSAPP_METADATA },
  ...parts,
});
const envelope = (entries: { id: string; values: unknown[] }[]) => ({
  object: 'whatsapp_business_account',
  entry: entries.map(({ id, values }) => ({ id, changes: values.map((v) => ({ value: v, field: 'messages' })) })),
});
const text = (from: string, body: string, seed = body) => ({
  from,
  id: testWamid(from, seed),
  timestamp: '1749416400',
  type: 'text',
  text: { body },
});
const status = (id: string, s: string, extra: Record<string, unknown> = {}) => ({
  id,
  status: s,
  timestamp: '1750857384',
  recipient_id: CUSTOMER,
  ...extra,
});

channelConformanceKit(whatsappTestSetup);

describe('WhatsAppChannelAdapter', () => {
  describe('given the GET subscription handshake', () => {
    const query = (overrides: Record<string, string | undefined>) => ({
      'hub.mode': 'subscribe',
      'hub.verify_token': META_TEST_VERIFY_TOKEN,
      'hub.challenge': '1158201444',
      ...overrides,
    });

    it('when the verify token matches, then it answers 200 with the challenge as the body', () => {
      expect(adapter().handshake(query({}))).toEqual({ status: 200, body: '1158201444' });
    });

    it('when the verify token is wrong, then it answers 403', () => {
      expect(adapter().handshake(query({ 'hub.verify_token': 'guessed-token' }))).toEqual({ status: 403, body: 'forbidden' });
    });

    it('when the verify token is a prefix of ours, then it answers 403', () => {
      expect(adapter().handshake(query({ 'hub.verify_token': META_TEST_VERIFY_TOKEN.slice(0, -1) })).status).toBe(403);
    });

    it('when the mode is not subscribe, then it answers 403', () => {
      expect(adapter().handshake(query({ 'hub.mode': 'unsubscribe' })).status).toBe(403);
    });

    it('when the token or the challenge is missing, then it answers 403', () => {
      expect(adapter().handshake(query({ 'hub.verify_token': undefined })).status).toBe(403);
      expect(adapter().handshake(query({ 'hub.challenge': undefined })).status).toBe(403);
    });
  });

  describe('given X-Hub-Signature-256', () => {
    const payload = whatsappTextPayload({ from: '971501234567', text: 'مرحبا 👋', seed: 'signature' });

    it('then Meta’s escaped serialisation (\\uXXXX, lower-case hex) is what is signed and verified', () => {
      const signed = request(payload);
      expect(signed.rawBody.toString('utf8')).toContain('\\u0645\\u0631\\u062d\\u0628\\u0627 \\ud83d\\udc4b');
      expect(adapter().verify(signed, NOW)).toEqual({ ok: true });
    });

    it('when the body was re-serialised as plain UTF-8 JSON, then the signature no longer matches: only the raw bytes verify', () => {
      const signed = request(payload);
      const reserialised: WebhookRequest = { ...signed, rawBody: Buffer.from(JSON.stringify(payload), 'utf8') };
      expect(adapter().verify(reserialised, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('when the hex digest is upper-case, then it still verifies', () => {
      const signed = request(payload);
      const header = signed.headers['x-hub-signature-256']!;
      expect(
        adapter().verify(
          { ...signed, headers: { ...signed.headers, 'x-hub-signature-256': `sha256=${header.slice(7).toUpperCase()}` } },
          NOW,
        ),
      ).toEqual({ ok: true });
    });

    it('when only the legacy SHA-1 X-Hub-Signature is present, then it is refused as signature_missing', () => {
      const { 'x-hub-signature-256': _dropped, ...headers } = request(payload).headers;
      expect(adapter().verify({ ...request(payload), headers }, NOW)).toEqual({ ok: false, reason: 'signature_missing' });
    });

    it('when the header is not sha256=<64 hex>, then it is refused as signature_invalid, saying why', () => {
      const signed = request(payload);
      expect(adapter().verify({ ...signed, headers: { ...signed.headers, 'x-hub-signature-256': 'sha1=abc' } }, NOW)).toEqual({
        ok: false,
        reason: 'signature_invalid',
        detail: expect.stringContaining('sha256='),
      });
    });

    it('when another app’s secret signed it, then it is refused as signature_invalid', () => {
      expect(adapter().verify(request(payload, 'another-apps-secret'), NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then metaJson parses back to the very same payload', () => {
      expect(JSON.parse(metaJson(payload))).toEqual(payload);
    });
  });

  describe('when one request batches 3 entries × 2 changes × 2 messages', () => {
    const entries = ['111', '222', '333'].map((id) => ({
      id,
      values: [0, 1].map((c) => value({ messages: [0, 1].map((m) => text(`4474001234${c}${m}`, `entry ${id} change ${c} message ${m}`)) })),
    }));

    it('then it maps to 12 events, in order, each with its own id', async () => {
      const events = accepted(await run(envelope(entries)));
      expect(events).toHaveLength(12);
      expect(events.map((e) => e.data.content.text)).toEqual(
        entries.flatMap(({ id }) => [0, 1].flatMap((c) => [0, 1].map((m) => `entry ${id} change ${c} message ${m}`))),
      );
      expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(12);
    });

    it('then each event names the business account of its own entry', async () => {
      const events = accepted(await run(envelope(entries)));
      expect(events.map((e) => e.data.provider.accountId)).toEqual([
        '111',
        '111',
        '111',
        '111',
        '222',
        '222',
        '222',
        '222',
        '333',
        '333',
        '333',
        '333',
      ]);
    });

    it('then a redelivery of the whole batch gives the same 12 ids', async () => {
      const first = accepted(await run(envelope(entries))).map((e) => e.metadata.eventId);
      const again = accepted(
        await runChannelPipeline(adapter(), request(envelope(entries)), { ...CONFORMANCE_CONTEXT, receivedAt: '2025-02-01T00:00:00.000Z' }),
      );
      expect(again.map((e) => e.metadata.eventId)).toEqual(first);
    });
  });

  describe('when a change carries messages and statuses together', () => {
    it('then the messages come first, then the statuses, one event each', async () => {
      const out = testWamid(CUSTOMER, 'ours');
      const events = accepted(
        await run(
          envelope([
            { id: '111', values: [value({ messages: [text(CUSTOMER, 'hi')], statuses: [status(out, 'delivered'), status(out, 'read')] })] },
          ]),
        ),
      );
      expect(events.map((e) => [e.data.kind, e.data.direction])).toEqual([
        ['message', 'inbound'],
        ['delivery', 'outbound'],
        ['delivery', 'outbound'],
      ]);
    });
  });

  describe('given the status of a message we sent', () => {
    const out = testWamid(CUSTOMER, 'status-under-test');

    it.each(['sent', 'delivered', 'read', 'failed'])(
      'when it is %s, then it is a delivery event, outbound, to the customer, with that status',
      async (s) => {
        const [event] = accepted(await run(envelope([{ id: '111', values: [value({ statuses: [status(out, s)] })] }])));
        expect(event!.data).toMatchObject({
          kind: 'delivery',
          direction: 'outbound',
          identities: [{ kind: 'phone', value: '+16505551234' }],
          delivery: { messageId: out, status: s },
        });
        expect(event!.metadata.occurredAt).toBe('2025-06-25T13:16:24.000Z');
        expect(event!.metadata.occurredAtSource).toBe('provider');
      },
    );

    it('when the same message is sent, delivered then read, then the three events have three ids', async () => {
      const events = accepted(
        await run(envelope([{ id: '111', values: [value({ statuses: ['sent', 'delivered', 'read'].map((s) => status(out, s)) })] }])),
      );
      expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(3);
    });

    it('when it failed, then Meta’s error code and text are kept', async () => {
      const errors = [
        {
          code: 131026,
          title: 'Message undeliverable',
          message: 'Message undeliverable',
          error_data: { details: 'Unable to deliver message.' },
        },
      ];
      const [event] = accepted(await run(envelope([{ id: '111', values: [value({ statuses: [status(out, 'failed', { errors })] })] }])));
      expect(event!.data.delivery).toEqual({
        messageId: out,
        status: 'failed',
        errorCode: '131026',
        errorMessage: 'Message undeliverable: Unable to deliver message.',
      });
    });

    it('when the error text is longer than the hub keeps, then it is cut to 1,024 characters', async () => {
      const errors = [{ code: 1, title: 'x'.repeat(5000) }];
      const [event] = accepted(await run(envelope([{ id: '111', values: [value({ statuses: [status(out, 'failed', { errors })] })] }])));
      expect(event!.data.delivery!.errorMessage).toHaveLength(1024);
    });

    it('when the status is one the hub does not record, then the request is unmappable (dead-lettered, not dropped)', async () => {
      expect(await run(envelope([{ id: '111', values: [value({ statuses: [status(out, 'deleted')] })] }]))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'entry.0.changes.0.value.statuses.0.status' },
      });
    });
  });

  describe('given the customer’s WhatsApp id', () => {
    it('then the first identity is the E.164 phone, the same identity an SMS from that number gives', async () => {
      const [event] = accepted(await run(whatsappTextPayload({ from: '447400123456', text: 'hi' })));
      const sms = normalizePhone('+44 7400 123456');
      if (!sms.ok) throw new Error(sms.reason);
      expect(event!.data.identities[0]).toEqual(sms.identity);
      expect(event!.data.identities).toEqual([{ kind: 'phone', value: '+447400123456' }]);
    });

    it('when the id is not a phone number, then the request is unmappable and names the field', async () => {
      expect(await run(whatsappTextPayload({ from: '000000000', text: 'hi' }))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'entry.0.changes.0.value.messages.0.from', message: expect.stringContaining('not a valid whatsapp id') },
      });
    });
  });

  describe('given media', () => {
    it('then the media id becomes a Graph API URL and the MIME type is kept', async () => {
      const image = {
        from: CUSTOMER,
        id: testWamid(CUSTOMER, 'img'),
        timestamp: '1749416400',
        type: 'image',
        image: { id: '2754859441498128', mime_type: 'image/jpeg', sha256: 'abc' },
      };
      const [event] = accepted(await run(envelope([{ id: '111', values: [value({ messages: [image] })] }])));
      expect(event!.data.content).toEqual({ media: [{ url: `${WHATSAPP_MEDIA_BASE_URL}2754859441498128`, contentType: 'image/jpeg' }] });
      expect(WHATSAPP_MEDIA_BASE_URL).toBe('https://graph.facebook.com/v21.0/');
    });
  });

  describe('given reactions', () => {
    const reaction = (seed: string, emoji?: string) => ({
      from: CUSTOMER,
      id: testWamid(CUSTOMER, seed),
      timestamp: '1749416400',
      type: 'reaction',
      reaction: { message_id: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=', ...(emoji === undefined ? {} : { emoji }) },
    });

    it.each([
      ['an emoji', '❤️', { toMessageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=', emoji: '❤️' }],
      ['an empty emoji (removed, older payloads)', '', { toMessageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=' }],
      ['no emoji (removed)', undefined, { toMessageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=' }],
    ])('when it carries %s, then the reaction facet is %j', async (_what, emoji, facet) => {
      const [event] = accepted(
        await run(envelope([{ id: '111', values: [value({ messages: [reaction(`r-${String(emoji)}`, emoji)] })] }])),
      );
      expect(event!.data).toMatchObject({ kind: 'reaction', direction: 'inbound', content: { media: [] } });
      expect(event!.data.reaction).toEqual(facet);
    });
  });

  describe('given a message type the hub cannot show', () => {
    it.each([
      ['unsupported', { unsupported: { type: 'poll_creation' } }, 'does not deliver to the Cloud API (poll_creation)'],
      ['system', { system: { body: 'User changed number', new_wa_id: '16505559876', type: 'user_changed_number' } }, 'link the new number'],
      ['order', { order: { catalog_id: '1', product_items: [] } }, 'the hub has no cart kind'],
      ['a_type_added_later', {}, 'is not one the hub records'],
    ])('when it is %s, then it is dead-lettered with a reason, not recorded as an empty message', async (type, extra, reason) => {
      const m = { from: CUSTOMER, id: testWamid(CUSTOMER, type), timestamp: '1749416400', type, ...extra };
      const outcome = await run(envelope([{ id: '111', values: [value({ messages: [m] })] }]));
      expect(outcome).toMatchObject({ kind: 'unmappable', error: { field: 'entry.0.changes.0.value.messages.0.type', mapped: [] } });
      expect(outcome.kind === 'unmappable' && outcome.error.message).toContain(reason);
    });

    it('when it comes in a batch with a text, then the text is published and only the unshowable message is dead-lettered', async () => {
      const poll = {
        from: CUSTOMER,
        id: testWamid(CUSTOMER, 'poll'),
        timestamp: '1749416400',
        type: 'unsupported',
        unsupported: { type: 'poll_creation' },
      };
      const outcome = await run(envelope([{ id: '111', values: [value({ messages: [text(CUSTOMER, 'hello'), poll] })] }]));
      if (outcome.kind !== 'unmappable') throw new Error(JSON.stringify(outcome));
      expect(outcome.error.mapped.map((e) => e.data.content.text)).toEqual(['hello']);
    });
  });

  describe('given an interactive reply whose id is longer than the hub records', () => {
    it('then the request is unmappable, naming the id', async () => {
      const m = {
        from: CUSTOMER,
        id: testWamid(CUSTOMER, 'long-id'),
        timestamp: '1749416400',
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: 'x'.repeat(257), title: 'Yes' } },
      };
      expect(await run(envelope([{ id: '111', values: [value({ messages: [m] })] }]))).toMatchObject({
        kind: 'unmappable',
        error: { field: 'entry.0.changes.0.value.messages.0.interactive.button_reply.id' },
      });
    });
  });

  describe('given the endpoint the customer reached', () => {
    it('then it is the display phone number, or the phone number id when Meta leaves the display number out', async () => {
      const withDisplay = accepted(await run(whatsappTextPayload({ from: CUSTOMER, text: 'a' })))[0]!;
      const withoutDisplay = accepted(
        await run(
          envelope([
            {
              id: '111',
              values: [
                { messaging_product: 'whatsapp', metadata: { phone_number_id: '106540352242922' }, messages: [text(CUSTOMER, 'b')] },
              ],
            },
          ]),
        ),
      )[0]!;
      expect([withDisplay.data.endpoint, withoutDisplay.data.endpoint]).toEqual(['15550783881', '106540352242922']);
    });
  });
});

describe('when one message of a batch cannot be mapped', () => {
  it('then the others are still mapped, carried by the error as mapped (published), and the failure is named', async () => {
    const payload = envelope([
      { id: '102290129340398', values: [value({ messages: [text(CUSTOMER, 'first'), text('12345', 'second'), text(CUSTOMER, 'third')] })] },
    ]);
    const outcome = await run(payload);
    if (outcome.kind !== 'unmappable') throw new Error(JSON.stringify(outcome));
    expect(outcome.error.mapped.map((e) => e.data.content.text)).toEqual(['first', 'third']);
    expect(outcome.error.field).toBe('entry.0.changes.0.value.messages.1.from');
    expect(outcome.error.message).toContain('1 of 3 items cannot be mapped (2 events from the others are published)');
  });
});

describe('when a list the payload nests holds arrays instead of objects', () => {
  it('then the payload is invalid, naming the field (class-validator let an array of arrays through, and the adapter met undefined: a 500)', async () => {
    const good = envelope([{ id: '111', values: [value({ messages: [text(CUSTOMER, 'hello')] })] }]) as { entry: { changes: unknown[] }[] };
    const outcome = await run({ ...good, entry: [good.entry] });
    expect(outcome).toMatchObject({ kind: 'invalid', errors: [expect.objectContaining({ field: 'entry' })] });
    const inner = await run({ ...good, entry: [{ ...good.entry[0]!, changes: [good.entry[0]!.changes] }] });
    expect(inner).toMatchObject({ kind: 'invalid', errors: [expect.objectContaining({ field: 'entry.0.changes' })] });
  });
});
