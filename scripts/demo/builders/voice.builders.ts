import { createHash } from 'node:crypto';
import {
  amazonConnectContactRecord,
  firehoseDeliveryBody,
  TEST_CONNECT_INSTANCE_ARN,
  twilioVoiceStatusParams,
} from '@hub/channels-voice/testing';
import type { PlannedDelivery } from '../day-plan';
import { addSeconds, isoSeconds, phoneOf, touchOf, type BuildContext, type DeliveryBuilder } from './builder';

/** The company's contact-centre number. */
export const OUR_VOICE_NUMBER = '+18005550100';

const uuidFrom = (...parts: readonly string[]): string => {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const queueArn = (name: string) => `${TEST_CONNECT_INSTANCE_ARN}/queue/${uuidFrom('queue', name)}`;

/**
 * An Amazon Connect contact record of the call, ended at `d.at`: answered (queued, then an agent),
 * abandoned (queued, hung up before an agent) or a queued callback we placed. Timestamps run
 * backwards from the end: initiation, queue, agent, disconnect.
 */
function contactRecord(d: PlannedDelivery, { seed }: BuildContext, address: string): Record<string, unknown> {
  const call = touchOf(d, 'call');
  const contactId = uuidFrom('contact', seed, String(d.ref));
  const end = d.at;
  const start = addSeconds(end, -(call.queueSeconds + call.talkSeconds + 25));
  const enqueued = addSeconds(start, 20);
  const dequeued = addSeconds(enqueued, call.queueSeconds);
  const answered = call.outcome === 'answered';
  const recording = `amazon-connect-b278e465e71c/connect/hub-demo/CallRecordings/${end.slice(0, 10).replace(/-/g, '/')}/${contactId}.wav`;
  return amazonConnectContactRecord(
    {
      ContactId: contactId,
      InitiationMethod: call.direction === 'inbound' ? 'INBOUND' : 'CALLBACK',
      CustomerEndpoint: { Address: address, Type: 'TELEPHONE_NUMBER' },
      SystemEndpoint: { Address: OUR_VOICE_NUMBER, Type: 'TELEPHONE_NUMBER' },
      InitiationTimestamp: isoSeconds(start),
      ConnectedToSystemTimestamp: isoSeconds(start),
      DisconnectTimestamp: isoSeconds(end),
      LastUpdateTimestamp: isoSeconds(addSeconds(end, 40)),
      DisconnectReason: answered ? 'AGENT_DISCONNECT' : 'CUSTOMER_DISCONNECT',
      AgentConnectionAttempts: answered ? 1 : 0,
      Queue: {
        ARN: queueArn(call.queue),
        Name: call.queue,
        EnqueueTimestamp: isoSeconds(enqueued),
        DequeueTimestamp: isoSeconds(dequeued),
        Duration: call.queueSeconds,
      },
      Agent: answered
        ? {
            ARN: `${TEST_CONNECT_INSTANCE_ARN}/agent/${uuidFrom('agent', call.agent)}`,
            Username: call.agent,
            ConnectedToAgentTimestamp: isoSeconds(dequeued),
            AgentInteractionDuration: call.talkSeconds,
            CustomerHoldDuration: 0,
            LongestHoldDuration: 0,
            NumberOfHolds: 0,
            AfterContactWorkDuration: 30,
            AfterContactWorkStartTimestamp: isoSeconds(end),
            AfterContactWorkEndTimestamp: isoSeconds(addSeconds(end, 30)),
            HierarchyGroups: null,
            RoutingProfile: {
              ARN: `${TEST_CONNECT_INSTANCE_ARN}/routing-profile/${uuidFrom('routing', 'basic')}`,
              Name: 'Basic Routing Profile',
            },
          }
        : null,
      Recording: answered ? { DeletionReason: null, Location: recording, Status: 'AVAILABLE', Type: 'AUDIO' } : null,
      Recordings: answered
        ? [
            {
              DeletionReason: null,
              FragmentStartNumber: null,
              FragmentStopNumber: null,
              Location: recording,
              MediaStreamType: 'AUDIO',
              ParticipantType: null,
              StartTimestamp: null,
              Status: 'AVAILABLE',
              StopTimestamp: null,
              StorageType: 'S3',
            },
          ]
        : [],
    },
    `${seed}:${d.ref}`,
  );
}

/** One Firehose delivery per contact record, sent when the record is written (40 s after the call). */
const delivery = (d: PlannedDelivery, ctx: BuildContext, address: string): Record<string, unknown> =>
  firehoseDeliveryBody([contactRecord(d, ctx, address)], { timestamp: Date.parse(d.at) + 45_000 }) as unknown as Record<string, unknown>;

const recordOf = (payload: Record<string, unknown>): Record<string, unknown> => {
  const [first] = payload['records'] as { data: string }[];
  return JSON.parse(Buffer.from(first!.data, 'base64').toString('utf8')) as Record<string, unknown>;
};

/** Amazon Connect contact records through Kinesis Data Firehose. */
export const amazonConnectBuilder: DeliveryBuilder = {
  provider: 'voice:amazon-connect',
  build: (d, ctx) => delivery(d, ctx, phoneOf(d)),
  malformed: (d, ctx) => {
    const { ContactId: _dropped, ...record } = recordOf(delivery(d, ctx, phoneOf(d)));
    return {
      payload: firehoseDeliveryBody([record], { timestamp: Date.parse(d.at) + 45_000 }) as unknown as Record<string, unknown>,
      fields: ['records.0.data.ContactId'],
    };
  },
  // A withheld caller id.
  unmappable: (d, ctx) => delivery(d, ctx, 'anonymous'),
};

/** Twilio Voice status callbacks, configured for the call's final status only. */
function statusCallback(d: PlannedDelivery, { seed }: BuildContext, customer: string): Record<string, string> {
  const call = touchOf(d, 'call');
  const inbound = call.direction === 'inbound';
  const answered = call.outcome === 'answered';
  return twilioVoiceStatusParams({
    from: inbound ? customer : OUR_VOICE_NUMBER,
    to: inbound ? OUR_VOICE_NUMBER : customer,
    direction: inbound ? 'inbound' : 'outbound-api',
    // A caller who hangs up before we pick up cancels the call.
    status: answered ? 'completed' : 'canceled',
    at: d.at,
    sequenceNumber: answered ? 3 : 1,
    ...(answered
      ? {
          callDuration: call.talkSeconds,
          recording: { sid: `RE${uuidFrom('rec', seed, String(d.ref)).replace(/-/g, '')}`, durationSeconds: call.talkSeconds },
        }
      : {}),
    seed: `${seed}:${d.ref}`,
  });
}

export const twilioVoiceBuilder: DeliveryBuilder = {
  provider: 'voice:twilio',
  build: (d, ctx) => statusCallback(d, ctx, phoneOf(d)),
  // `answered` is a StatusCallbackEvent name, not a CallStatus.
  malformed: (d, ctx) => ({ payload: { ...statusCallback(d, ctx, phoneOf(d)), CallStatus: 'answered' }, fields: ['CallStatus'] }),
  // A withheld caller id: Twilio sends +266696687 (ANONYMOUS on a keypad).
  unmappable: (d, ctx) => statusCallback({ ...d, touch: { ...touchOf(d, 'call'), direction: 'inbound' } }, ctx, '+266696687'),
};
