import { jsonBodyAsIngested } from '@hub/channels-core/testing';
import { createHash } from 'node:crypto';
import type { WebhookRequest } from '@hub/channels-core';

/**
 * Test and demo helpers that build what Amazon Connect and Kinesis Data Firehose send: contact
 * records (https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html) wrapped in a
 * Firehose HTTP endpoint delivery request
 * (https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html).
 * Never imported by production code.
 */

export const TEST_CONNECT_ACCOUNT_ID = '123456789012';
export const TEST_CONNECT_INSTANCE_ARN = `arn:aws:connect:us-east-1:${TEST_CONNECT_ACCOUNT_ID}:instance/258252ea-967d-46f9-a510-b7f0bae69eea`;
export const TEST_FIREHOSE_STREAM_ARN = `arn:aws:firehose:us-east-1:${TEST_CONNECT_ACCOUNT_ID}:deliverystream/connect-contact-records-to-hub`;

/** A Firehose delivery request body, as Firehose posts it (each record's data base64). */
export interface FirehoseDeliveryBody {
  requestId: string;
  timestamp: number;
  records: { data: string }[];
}

const uuidFrom = (...parts: readonly string[]): string => {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

const arn = (kind: string, id: string): string => `${TEST_CONNECT_INSTANCE_ARN}/${kind}/${id}`;

/**
 * A realistic contact record of an inbound call answered by an agent after a short wait, recorded,
 * every field Connect writes present (nulls included). `overrides` replace top-level fields whole.
 * The ContactId derives from `seed` unless given, so different seeds give different contacts.
 */
export function amazonConnectContactRecord(overrides: Record<string, unknown> = {}, seed = 'default'): Record<string, unknown> {
  const contactId = typeof overrides['ContactId'] === 'string' ? overrides['ContactId'] : uuidFrom('contact', seed);
  const location = `amazon-connect-b278e465e71c/connect/hub-demo/CallRecordings/2025/01/15/${contactId}_20250115T09:12_UTC.wav`;
  return {
    AWSAccountId: TEST_CONNECT_ACCOUNT_ID,
    AWSContactTraceRecordFormatVersion: '2017-03-10',
    Agent: {
      ARN: arn('agent', 'e7c9afb6-b1e1-4afa-b5b5-d1c9bc752b69'),
      AfterContactWorkDuration: 20,
      AfterContactWorkEndTimestamp: '2025-01-15T09:16:40Z',
      AfterContactWorkStartTimestamp: '2025-01-15T09:16:20Z',
      AgentInteractionDuration: 200,
      ConnectedToAgentTimestamp: '2025-01-15T09:12:40Z',
      CustomerHoldDuration: 30,
      HierarchyGroups: null,
      LongestHoldDuration: 30,
      NumberOfHolds: 1,
      RoutingProfile: { ARN: arn('routing-profile', '304e0036-2322-45fd-80c4-c97e184c388b'), Name: 'Basic Routing Profile' },
      Username: 'maria.lopez',
    },
    AgentConnectionAttempts: 1,
    AnsweringMachineDetectionStatus: null,
    Attributes: {},
    Campaign: { CampaignId: null },
    Channel: 'VOICE',
    ConnectedToSystemTimestamp: '2025-01-15T09:11:00Z',
    ContactDetails: {},
    ContactId: contactId,
    CustomerEndpoint: { Address: '+14155550123', Type: 'TELEPHONE_NUMBER' },
    DisconnectReason: 'CUSTOMER_DISCONNECT',
    DisconnectTimestamp: '2025-01-15T09:16:20Z',
    InitialContactId: null,
    InitiationMethod: 'INBOUND',
    InitiationTimestamp: '2025-01-15T09:11:00Z',
    InstanceARN: TEST_CONNECT_INSTANCE_ARN,
    LastUpdateTimestamp: '2025-01-15T09:17:05Z',
    MediaStreams: [{ Type: 'AUDIO' }],
    NextContactId: null,
    PreviousContactId: null,
    Queue: {
      ARN: arn('queue', '078ccbaa-ae69-4bf9-84bc-5c60ca9b1478'),
      DequeueTimestamp: '2025-01-15T09:12:40Z',
      Duration: 70,
      EnqueueTimestamp: '2025-01-15T09:11:30Z',
      Name: 'Support',
    },
    Recording: { DeletionReason: null, Location: location, Status: 'AVAILABLE', Type: 'AUDIO' },
    Recordings: [
      {
        DeletionReason: null,
        FragmentStartNumber: null,
        FragmentStopNumber: null,
        Location: location,
        MediaStreamType: 'AUDIO',
        ParticipantType: null,
        StartTimestamp: null,
        Status: 'AVAILABLE',
        StopTimestamp: null,
        StorageType: 'S3',
      },
    ],
    References: [],
    ScheduledTimestamp: null,
    SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
    TransferCompletedTimestamp: null,
    TransferredToEndpoint: null,
    VoiceIdResult: null,
    ...overrides,
  };
}

/** The base64 `data` of one Firehose record: a contact record's JSON. */
export const firehoseRecordData = (record: unknown): string => Buffer.from(JSON.stringify(record), 'utf8').toString('base64');

/** Contact records wrapped as one Firehose delivery request body. */
export function firehoseDeliveryBody(
  records: readonly unknown[],
  options: { requestId?: string; timestamp?: number } = {},
): FirehoseDeliveryBody {
  const data = records.map(firehoseRecordData);
  return {
    requestId: options.requestId ?? uuidFrom('firehose-request', ...data),
    timestamp: options.timestamp ?? Date.now(),
    records: data.map((d) => ({ data: d })),
  };
}

export interface SignedFirehoseRequest {
  /** Lower-case header names, as Firehose sends them. */
  headers: Record<string, string>;
  /** The JSON body, exactly as posted. */
  body: string;
}

/** A delivery as Firehose would post it: the JSON body and its headers, the access key among them. */
export function signedFirehoseRequest({ accessKey, body }: { accessKey: string; body: Record<string, unknown> }): SignedFirehoseRequest {
  const requestId = body['requestId'];
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Amazon Kinesis Data Firehose Agent/1.0',
      'x-amz-firehose-protocol-version': '1.0',
      ...(typeof requestId === 'string' ? { 'x-amz-firehose-request-id': requestId } : {}),
      'x-amz-firehose-source-arn': TEST_FIREHOSE_STREAM_ARN,
      'x-amz-firehose-access-key': accessKey,
    },
    body: JSON.stringify(body),
  };
}

/** The same delivery as the ingestion app hands it to the adapter: raw bytes, and the JSON parsed back from them. */
export function firehoseWebhookRequest(args: { accessKey: string; url: string; body: Record<string, unknown> }): WebhookRequest {
  const signed = signedFirehoseRequest(args);
  return {
    method: 'POST',
    url: args.url,
    headers: signed.headers,
    rawBody: Buffer.from(signed.body, 'utf8'),
    body: jsonBodyAsIngested(signed.body),
  };
}
