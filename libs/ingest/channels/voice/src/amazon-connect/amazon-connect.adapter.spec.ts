import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookRequest } from '@hub/channels-core';
import {
  channelConformanceKit,
  CONFORMANCE_BASE_URL,
  CONFORMANCE_CONTEXT,
  runChannelPipeline,
  type PipelineOutcome,
} from '@hub/channels-core/testing';
import type { InteractionReceived } from '@hub/contracts';
import {
  accessKeyMatches,
  AmazonConnectChannelAdapter,
  contactCallStatus,
  contactDirection,
  contactRecordingUrl,
  contactTimings,
  s3ObjectUrl,
  type AmazonConnectConfig,
  type ContactRecord,
} from '../index';
import {
  amazonConnectContactRecord,
  amazonConnectTestSetup,
  firehoseDeliveryBody,
  firehoseWebhookRequest,
  TEST_CONNECT_INSTANCE_ARN,
} from '../testing';

const ACCESS_KEY = 'amazon-connect-spec-access-key';
const WEBHOOK_URL = `${CONFORMANCE_BASE_URL}/webhooks/amazon-connect`;
const NOW = { nowMs: Date.now() };

const adapter = (config: Partial<AmazonConnectConfig> = {}) =>
  new AmazonConnectChannelAdapter({ AMAZON_CONNECT_FIREHOSE_ACCESS_KEY: ACCESS_KEY, ...config });
const delivery = (records: readonly unknown[], accessKey = ACCESS_KEY): WebhookRequest =>
  firehoseWebhookRequest({ accessKey, url: WEBHOOK_URL, body: { ...firehoseDeliveryBody(records) } });
const ctr = (overrides: Record<string, unknown> = {}, seed?: string) => amazonConnectContactRecord(overrides, seed);
/** A contact record as `parse` hands it to `map`, for the pure readings. */
const parsed = (overrides: Record<string, unknown> = {}): ContactRecord => {
  const p = adapter().parse(firehoseDeliveryBody([ctr(overrides)]));
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  return p.value.records[0]!;
};
const events = (o: PipelineOutcome): InteractionReceived[] => {
  if (o.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o.events;
};
const callOf = async (overrides: Record<string, unknown>, config: Partial<AmazonConnectConfig> = {}) =>
  events(await runChannelPipeline(adapter(config), delivery([ctr(overrides)])))[0]!.data;

channelConformanceKit(amazonConnectTestSetup);

describe('AmazonConnectChannelAdapter', () => {
  describe('given the Firehose access key', () => {
    const records = [ctr({}, 'access-key')];

    it('then the configured key verifies', () => {
      expect(adapter().verify(delivery(records), NOW)).toEqual({ ok: true });
    });

    it.each([
      ['another key of the same length', ACCESS_KEY.replace(/.$/, 'X')],
      ['the key with different case', ACCESS_KEY.toUpperCase()],
      ['a prefix of the key', ACCESS_KEY.slice(0, -1)],
      ['the key with a trailing space', `${ACCESS_KEY} `],
      ['a much longer key', ACCESS_KEY.repeat(10)],
    ])('then %s is refused as signature_invalid', (_what, key) => {
      expect(adapter().verify(delivery(records, key), NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it.each([
      ['absent', undefined],
      ['empty', ''],
    ])('then a request whose access-key header is %s is refused as signature_missing', (_what, key) => {
      const request = delivery(records);
      const headers = { ...request.headers, 'x-amz-firehose-access-key': key };
      expect(adapter().verify({ ...request, headers }, NOW)).toEqual({ ok: false, reason: 'signature_missing' });
    });

    it('then the comparison is of fixed-size digests, so keys of any length compare without throwing', () => {
      expect(accessKeyMatches('a', 'a'.repeat(4096))).toBe(false);
      expect(accessKeyMatches('k€y 🔑', 'k€y 🔑')).toBe(true);
    });

    it('then a body changed in transit under the genuine key is accepted: Firehose signs no body', async () => {
      const genuine = delivery(records);
      const changed = firehoseWebhookRequest({
        accessKey: ACCESS_KEY,
        url: WEBHOOK_URL,
        body: { ...firehoseDeliveryBody([ctr({ CustomerEndpoint: { Address: '+14155550999', Type: 'TELEPHONE_NUMBER' } }, 'access-key')]) },
      });
      expect(adapter().verify({ ...changed, headers: genuine.headers }, NOW)).toEqual({ ok: true });
    });

    it('then the request time is not checked: a delivery retried hours later still verifies', () => {
      const request = firehoseWebhookRequest({
        accessKey: ACCESS_KEY,
        url: WEBHOOK_URL,
        body: { ...firehoseDeliveryBody(records, { timestamp: Date.now() - 3 * 3600_000 }) },
      });
      expect(adapter().verify(request, NOW)).toEqual({ ok: true });
    });
  });

  describe.each([
    ['INBOUND', 'inbound'],
    ['WEBRTC_API', 'inbound'],
    ['TRANSFER', 'inbound'],
    ['QUEUE_TRANSFER', 'inbound'],
    ['OUTBOUND', 'outbound'],
    ['CALLBACK', 'outbound'],
    ['API', 'outbound'],
    ['EXTERNAL_OUTBOUND', 'outbound'],
    ['MONITOR', undefined],
    ['DISCONNECT', undefined],
    ['AGENT_REPLY', undefined],
    ['FLOW', undefined],
    ['SOMETHING_NEW', undefined],
    ['constructor', undefined],
  ])('when the contact was initiated by %s', (method, direction) => {
    it(`then its direction is ${String(direction)}`, () => {
      expect(contactDirection(method)).toBe(direction);
    });
  });

  describe('when reading whether the call was abandoned', () => {
    const connectedAgent = {
      Username: 'ana',
      ConnectedToAgentTimestamp: '2025-01-15T09:12:40Z',
      AgentInteractionDuration: 60,
      CustomerHoldDuration: 0,
    };
    const enqueued = { Name: 'Support', EnqueueTimestamp: '2025-01-15T09:11:30Z', DequeueTimestamp: '2025-01-15T09:12:40Z', Duration: 70 };

    it.each([
      ['queued, then connected to an agent', { Queue: enqueued, Agent: connectedAgent }, 'completed'],
      ['queued, never connected to an agent', { Queue: enqueued, Agent: null }, 'abandoned'],
      [
        'queued, an agent assigned but never connected',
        { Queue: enqueued, Agent: { Username: 'ana', ConnectedToAgentTimestamp: null } },
        'abandoned',
      ],
      ['never queued, no agent (self-service in the IVR)', { Queue: null, Agent: null }, 'completed'],
      [
        'an outbound queue reference without an enqueue time, and an agent',
        { Queue: { Name: 'BasicQueue', Duration: 0 }, Agent: connectedAgent },
        'completed',
      ],
      [
        'an outbound queue reference without an enqueue time, no agent',
        { Queue: { Name: 'BasicQueue', Duration: 0 }, Agent: null },
        'completed',
      ],
      [
        'a queued callback that expired before an agent took it',
        { InitiationMethod: 'CALLBACK', Queue: enqueued, Agent: null },
        'abandoned',
      ],
    ])('then a contact %s is %s', (_what, overrides, status) => {
      expect(contactCallStatus(parsed(overrides))).toBe(status);
    });
  });

  describe('when reading times and durations', () => {
    it('then the call runs from InitiationTimestamp to DisconnectTimestamp, in whole seconds', () => {
      expect(
        contactTimings(parsed({ InitiationTimestamp: '2025-01-15T09:11:00Z', DisconnectTimestamp: '2025-01-15T09:16:20Z' })),
      ).toMatchObject({
        startedAt: '2025-01-15T09:11:00.000Z',
        endedAt: '2025-01-15T09:16:20.000Z',
        durationSeconds: 320,
      });
    });

    it('then millisecond timestamps round to the nearest second', () => {
      expect(
        contactTimings(parsed({ InitiationTimestamp: '2025-01-15T09:11:00.400Z', DisconnectTimestamp: '2025-01-15T09:11:10.900Z' })),
      ).toMatchObject({ durationSeconds: 11 });
    });

    it('then a contact still without DisconnectTimestamp has a start and no end or duration', () => {
      const timings = contactTimings(parsed({ DisconnectTimestamp: null }));
      expect(timings.startedAt).toBeDefined();
      expect(timings).not.toHaveProperty('endedAt');
      expect(timings).not.toHaveProperty('durationSeconds');
    });

    it('then queue seconds are Queue.Duration, else DequeueTimestamp − EnqueueTimestamp', () => {
      expect(
        contactTimings(
          parsed({
            Queue: { Name: 'Support', Duration: 70, EnqueueTimestamp: '2025-01-15T09:11:30Z', DequeueTimestamp: '2025-01-15T09:13:30Z' },
          }),
        ),
      ).toMatchObject({ queue: 'Support', queueSeconds: 70 });
      expect(
        contactTimings(
          parsed({ Queue: { Name: 'Support', EnqueueTimestamp: '2025-01-15T09:11:30Z', DequeueTimestamp: '2025-01-15T09:13:30Z' } }),
        ),
      ).toMatchObject({ queueSeconds: 120 });
    });

    it('then talk and hold seconds are the agent’s AgentInteractionDuration and CustomerHoldDuration', () => {
      expect(
        contactTimings(
          parsed({
            Agent: {
              Username: 'ana',
              ConnectedToAgentTimestamp: '2025-01-15T09:12:40Z',
              AgentInteractionDuration: 200,
              CustomerHoldDuration: 30,
            },
          }),
        ),
      ).toMatchObject({
        agent: 'ana',
        talkSeconds: 200,
        holdSeconds: 30,
      });
    });

    it('then a contact without queue or agent has none of their fields', () => {
      expect(Object.keys(contactTimings(parsed({ Queue: null, Agent: null }))).sort()).toEqual(['durationSeconds', 'endedAt', 'startedAt']);
    });
  });

  describe('when locating the recording', () => {
    const audio = (Location: string, more: Record<string, unknown> = {}) => ({
      Location,
      MediaStreamType: 'AUDIO',
      Status: 'AVAILABLE',
      StorageType: 'S3',
      ...more,
    });
    const host = 'https://amazon-connect-b278e465e71c.s3.us-east-1.amazonaws.com';

    it('then the first available audio entry of Recordings[] wins over the legacy Recording', () => {
      const record = parsed({
        Recordings: [
          audio('amazon-connect-b278e465e71c/screen/a.mp4', { MediaStreamType: 'VIDEO' }),
          audio('amazon-connect-b278e465e71c/old/deleted.wav', { Status: 'DELETED' }),
          audio('amazon-connect-b278e465e71c/calls/new.wav'),
        ],
        Recording: { Location: 'amazon-connect-b278e465e71c/calls/legacy.wav', Status: 'AVAILABLE', Type: 'AUDIO' },
      });
      expect(contactRecordingUrl(record)).toBe(`${host}/calls/new.wav`);
    });

    it('then without Recordings[] the legacy Recording is used, unless it was deleted', () => {
      expect(
        contactRecordingUrl(
          parsed({
            Recordings: null,
            Recording: { Location: 'amazon-connect-b278e465e71c/calls/legacy.wav', Status: 'AVAILABLE', Type: 'AUDIO' },
          }),
        ),
      ).toBe(`${host}/calls/legacy.wav`);
      expect(
        contactRecordingUrl(
          parsed({
            Recordings: null,
            Recording: { Location: 'amazon-connect-b278e465e71c/calls/legacy.wav', Status: 'DELETED', Type: 'AUDIO' },
          }),
        ),
      ).toBeUndefined();
    });

    it('then a contact without any recording has no recording URL', () => {
      expect(contactRecordingUrl(parsed({ Recordings: [], Recording: null }))).toBeUndefined();
    });

    it.each([
      [
        'a bucket/key location in the instance region',
        'bucket-1/a/b.wav',
        TEST_CONNECT_INSTANCE_ARN,
        'https://bucket-1.s3.us-east-1.amazonaws.com/a/b.wav',
      ],
      [
        'an s3:// location',
        's3://bucket-1/a/b.wav',
        'arn:aws:connect:eu-west-2:123456789012:instance/x',
        'https://bucket-1.s3.eu-west-2.amazonaws.com/a/b.wav',
      ],
      [
        'a key with colons and spaces, each segment encoded',
        'bucket-1/Calls/2025/c_20250115T09:12 UTC.wav',
        TEST_CONNECT_INSTANCE_ARN,
        'https://bucket-1.s3.us-east-1.amazonaws.com/Calls/2025/c_20250115T09%3A12%20UTC.wav',
      ],
      [
        'an instance in the China partition',
        'bucket-1/a.wav',
        'arn:aws-cn:connect:cn-north-1:123456789012:instance/x',
        'https://bucket-1.s3.cn-north-1.amazonaws.com.cn/a.wav',
      ],
      ['no instance ARN: the global endpoint', 'bucket-1/a.wav', undefined, 'https://bucket-1.s3.amazonaws.com/a.wav'],
      ['a location without a key', 'bucket-1/', TEST_CONNECT_INSTANCE_ARN, undefined],
      ['a location that is not a bucket name', 'Not A Bucket/a.wav', TEST_CONNECT_INSTANCE_ARN, undefined],
    ])('then %s becomes %s', (_what, location, instanceArn, url) => {
      expect(s3ObjectUrl(location, instanceArn)).toBe(url);
    });
  });

  describe('when the contact carries a disposition and a transcript location in its attributes', () => {
    it('then the default attributes `disposition` and `transcriptUrl` are read', async () => {
      const data = await callOf({ Attributes: { disposition: ' resolved ', transcriptUrl: 'https://transcripts.example.com/c/1.json' } });
      expect(data.call).toMatchObject({ disposition: 'resolved', transcriptUrl: 'https://transcripts.example.com/c/1.json' });
    });

    it('then configured attribute names are read instead', async () => {
      const data = await callOf(
        {
          Attributes: {
            disposition: 'ignored',
            WrapUpCode: 'refund_issued',
            lensTranscript: 's3://lens-bucket/Analysis/Voice/c_analysis.json',
          },
        },
        { AMAZON_CONNECT_DISPOSITION_ATTRIBUTE: 'WrapUpCode', AMAZON_CONNECT_TRANSCRIPT_ATTRIBUTE: 'lensTranscript' },
      );
      expect(data.call).toMatchObject({
        disposition: 'refund_issued',
        transcriptUrl: 'https://lens-bucket.s3.us-east-1.amazonaws.com/Analysis/Voice/c_analysis.json',
      });
    });

    it.each([
      ['a blank disposition', { disposition: '   ' }],
      ['a disposition over 128 characters', { disposition: 'x'.repeat(129) }],
      ['a transcript that is not a URL', { transcriptUrl: 'see the CRM' }],
      ['a transcript URL of another scheme', { transcriptUrl: 'ftp://files.example.com/t.json' }],
    ])('then %s is left out, and the call is still ingested', async (_what, Attributes) => {
      const data = await callOf({ Attributes });
      expect(data.call).not.toHaveProperty('disposition');
      expect(data.call).not.toHaveProperty('transcriptUrl');
    });
  });

  describe('when the agent called the customer (OUTBOUND)', () => {
    it('then the customer is the number dialled (CustomerEndpoint) and the endpoint is our caller id (SystemEndpoint)', async () => {
      const data = await callOf({
        InitiationMethod: 'OUTBOUND',
        CustomerEndpoint: { Address: '+33612345678', Type: 'TELEPHONE_NUMBER' },
        SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
      });
      expect(data).toMatchObject({
        direction: 'outbound',
        identities: [{ kind: 'phone', value: '+33612345678' }],
        endpoint: '+18005550100',
      });
    });
  });

  describe('when Connect delivers a contact record again', () => {
    const first = ctr({ LastUpdateTimestamp: '2025-01-15T09:17:05Z' }, 'redelivery');
    const idOf = async (record: Record<string, unknown>, receivedAt = CONFORMANCE_CONTEXT.receivedAt) =>
      events(await runChannelPipeline(adapter(), delivery([record]), { ...CONFORMANCE_CONTEXT, receivedAt }))[0]!.metadata;

    it('then the same version, even received later, is the same event', async () => {
      expect((await idOf(first, '2025-01-16T10:00:00.000Z')).eventId).toBe((await idOf(first)).eventId);
    });

    it('then the same version written with milliseconds is still the same event', async () => {
      expect((await idOf({ ...first, LastUpdateTimestamp: '2025-01-15T09:17:05.000Z' })).eventId).toBe((await idOf(first)).eventId);
    });

    it('then a newer version (a later LastUpdateTimestamp, new data) is a new event of the same contact and correlation', async () => {
      const updated = { ...first, Attributes: { disposition: 'escalated' }, LastUpdateTimestamp: '2025-01-16T08:00:00Z' };
      const [a, b] = [await idOf(first), await idOf(updated)];
      expect(b.eventId).not.toBe(a.eventId);
      expect(b.correlationId).toBe(a.correlationId);
      expect(b.occurredAt).toBe(a.occurredAt);
    });
  });

  describe('when the contact is a later leg of another contact', () => {
    it('then its correlation id is the initial contact’s id, and its own otherwise', async () => {
      const transfer = events(
        await runChannelPipeline(
          adapter(),
          delivery([ctr({ InitiationMethod: 'TRANSFER', InitialContactId: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d' }, 'leg')]),
        ),
      )[0]!;
      const first = events(await runChannelPipeline(adapter(), delivery([ctr({}, 'first-leg')])))[0]!;
      expect(transfer.metadata.correlationId).toBe('a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d');
      expect(first.metadata.correlationId).toBe(first.data.provider.messageId);
    });
  });

  describe('when a delivery mixes mappable and unmappable records', () => {
    const good = ctr({}, 'batch-good');
    const anonymous = ctr({ CustomerEndpoint: { Address: 'anonymous', Type: 'TELEPHONE_NUMBER' } }, 'batch-anonymous');
    const chat = ctr({ Channel: 'CHAT', CustomerEndpoint: null }, 'batch-chat');

    it('then the delivery is unmappable, the error lists every failing record, and carries the good call as mapped (published, not held back)', async () => {
      const outcome = await runChannelPipeline(adapter(), delivery([good, anonymous, chat]));
      if (outcome.kind !== 'unmappable') throw new Error(outcome.kind);
      expect(outcome.error.mapped.map((e) => e.data.provider.messageId)).toEqual([good['ContactId']]);
      expect(outcome.error.message).toContain('its 1 other record is published');
      expect(outcome.error.field).toBe('records.1.data.CustomerEndpoint.Address');
      expect(outcome.error.message).toContain('2 of 3 contact records cannot be mapped');
      expect(outcome.error.message).toContain(`records.1.data.CustomerEndpoint.Address: contact ${String(anonymous['ContactId'])}`);
      expect(outcome.error.message).toContain(`records.2.data.Channel: contact ${String(chat['ContactId'])} is a CHAT contact`);
    });

    it('then with the chat channel skipped by AMAZON_CONNECT_SKIP_CHANNELS only the anonymous call is named', async () => {
      const outcome = await runChannelPipeline(adapter({ AMAZON_CONNECT_SKIP_CHANNELS: 'CHAT' }), delivery([good, anonymous, chat]));
      expect(outcome).toMatchObject({ kind: 'unmappable', error: { message: expect.stringContaining('1 of 3 contact records') } });
    });

    it('then a delivery of only skipped records maps to no event', async () => {
      expect(
        await runChannelPipeline(
          adapter({ AMAZON_CONNECT_SKIP_CHANNELS: 'CHAT,TASK' }),
          delivery([chat, ctr({ Channel: 'TASK', CustomerEndpoint: null }, 'task')]),
        ),
      ).toEqual({ kind: 'accepted', events: [] });
    });

    it('then skipping never applies to voice records', async () => {
      const outcome = await runChannelPipeline(adapter({ AMAZON_CONNECT_SKIP_CHANNELS: 'CHAT,TASK,EMAIL' }), delivery([anonymous]));
      expect(outcome.kind).toBe('unmappable');
      if (outcome.kind === 'unmappable') expect(outcome.error.mapped).toEqual([]);
    });
  });

  describe('when a delivery holds several calls', () => {
    it('then each becomes one event, in order, with distinct ids', async () => {
      const records = [ctr({}, 'order-1'), ctr({ InitiationMethod: 'OUTBOUND' }, 'order-2'), ctr({ Queue: null, Agent: null }, 'order-3')];
      const out = events(await runChannelPipeline(adapter(), delivery(records)));
      expect(out.map((e) => e.data.provider.messageId)).toEqual(records.map((r) => r['ContactId']));
      expect(new Set(out.map((e) => e.metadata.eventId)).size).toBe(3);
    });
  });
});

describe('the recorded Amazon Connect fixtures', () => {
  const dir = amazonConnectTestSetup.fixturesDir;
  const files = ['valid', 'malformed', 'unmappable'].flatMap((kind) =>
    readdirSync(join(dir, kind))
      .filter((f) => f.endsWith('.json'))
      .map((f) => `${kind}/${f}`),
  );

  it.each(files)('%s: the readable "ctrs" copy is exactly what the records’ data decodes to', (file) => {
    const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { ctrs?: unknown[]; payload: { records?: { data: string }[] } };
    if (fixture.ctrs === undefined) return;
    const decoded = (fixture.payload.records ?? []).map((r) => JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')) as unknown);
    expect(decoded).toEqual(fixture.ctrs);
  });
});

describe('the Amazon Connect test helpers (also used by the demo and the e2e tests)', () => {
  it('amazonConnectContactRecord builds a record the adapter verifies, validates and maps, with a ContactId per seed', async () => {
    const [a, b] = [ctr({}, 's1'), ctr({}, 's2')];
    expect(a['ContactId']).not.toBe(b['ContactId']);
    expect(ctr({}, 's1')['ContactId']).toBe(a['ContactId']);
    expect(await runChannelPipeline(adapter(), delivery([a]))).toMatchObject({
      kind: 'accepted',
      events: [
        {
          data: {
            kind: 'call',
            direction: 'inbound',
            identities: [{ kind: 'phone', value: '+14155550123' }],
            call: { status: 'completed', queue: 'Support', agent: 'maria.lopez' },
          },
        },
      ],
    });
  });

  it('firehoseWebhookRequest sends the headers Firehose sends, the body as JSON, and the access key', () => {
    const request = delivery([ctr({}, 'headers')]);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-amz-firehose-protocol-version': '1.0',
      'x-amz-firehose-request-id': (request.body as { requestId: string }).requestId,
      'x-amz-firehose-access-key': ACCESS_KEY,
    });
    expect(JSON.parse(request.rawBody.toString('utf8'))).toEqual(request.body);
  });
});
