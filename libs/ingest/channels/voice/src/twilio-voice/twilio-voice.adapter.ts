import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  validateAs,
  type CallFacet,
  type Direction,
  type InteractionReceived,
} from '@hub/contracts';
import {
  ChannelMappingError,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { verifyTwilioRequest } from '@hub/channels-core/twilio';
import { normalizePhone } from '@hub/customer';
import type { TwilioVoiceConfig } from './twilio-voice.config';
import { TwilioVoiceStatusPayload, type TwilioCallDirection, type TwilioCallStatus } from './twilio-voice.payload';

export const TWILIO_VOICE_MANIFEST: ChannelManifest = {
  id: 'voice',
  displayName: 'Voice calls (Twilio status callbacks)',
  provider: 'twilio',
  docsUrl: 'https://www.twilio.com/docs/voice/api/call-resource#statuscallback',
  route: { method: 'POST', path: '/webhooks/twilio-voice' },
  // A status callback is a few dozen short form fields; anything this large is not from Twilio.
  maxBodyBytes: 64 * 1024,
};

/**
 * Twilio's CallStatus → the canonical call status. `queued` (created, waiting to dial under the
 * account's calls-per-second limit) has no canonical counterpart and reads as `initiated`.
 */
export const TWILIO_CALL_STATUS: Readonly<Record<TwilioCallStatus, CallFacet['status']>> = {
  queued: 'initiated',
  initiated: 'initiated',
  ringing: 'ringing',
  'in-progress': 'in_progress',
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no_answer',
  canceled: 'canceled',
  failed: 'failed',
};

const ENDED: ReadonlySet<CallFacet['status']> = new Set(['completed', 'busy', 'no_answer', 'canceled', 'failed']);

/**
 * Which way the call went and where the customer is. Inbound (a caller dialled one of our numbers,
 * or reached our SIP trunk from the PSTN): the customer is From, our number To. Outbound (created
 * with the REST API, a <Dial> leg, a call out of our SIP trunk): the customer is To, our number From.
 */
export const TWILIO_CALL_DIRECTION: Readonly<Record<TwilioCallDirection, Direction>> = {
  inbound: 'inbound',
  'trunking-terminating': 'inbound',
  'outbound-api': 'outbound',
  'outbound-dial': 'outbound',
  'trunking-originating': 'outbound',
};

/** What Twilio (and carriers) put in From for a withheld caller id; +266696687 spells ANONYMOUS. */
const ANONYMOUS_CALLER = /^(?:\+?266696687|anonymous|restricted|private|unknown|unavailable)$/i;

export class TwilioVoiceChannelAdapter implements ChannelAdapter<TwilioVoiceStatusPayload> {
  readonly manifest = TWILIO_VOICE_MANIFEST;

  constructor(private readonly config: TwilioVoiceConfig) {}

  /** Exactly as the SMS channel: X-Twilio-Signature over the full URL and the sorted form fields. */
  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    return verifyTwilioRequest(request, { authToken: this.config.TWILIO_AUTH_TOKEN, accountSid: this.config.TWILIO_ACCOUNT_SID });
  }

  parse(body: unknown): ParseResult<TwilioVoiceStatusPayload> {
    return validateAs(TwilioVoiceStatusPayload, body, { allowUnknown: true });
  }

  /**
   * Each status callback is its own event: the call's progress (initiated, ringing, answered) and its
   * outcome are facts of their own. The id is the call and its status: every status occurs once in a
   * call's progression, and a retried callback carries the same status (SequenceNumber is optional).
   */
  map(p: TwilioVoiceStatusPayload, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
    const direction = TWILIO_CALL_DIRECTION[p.Direction];
    const [customerField, ourField] = direction === 'inbound' ? (['From', 'To'] as const) : (['To', 'From'] as const);
    const raw = p[customerField];
    if (ANONYMOUS_CALLER.test(raw.trim())) {
      throw new ChannelMappingError(
        `${customerField}: anonymous caller (${JSON.stringify(raw)}), no number to key the customer by`,
        customerField,
      );
    }
    const customer = normalizePhone(raw);
    if (!customer.ok)
      throw new ChannelMappingError(
        `${customerField}: ${customer.reason} (the customer side of a ${p.Direction} call must be a phone number)`,
        customerField,
      );

    const eventId = deterministicId('voice', 'twilio', p.AccountSid, p.CallSid, p.CallStatus);
    const at = p.Timestamp ? new Date(p.Timestamp).toISOString() : undefined;
    const call = callFacet(p, at);
    const parent = p.ParentCallSid ? p.ParentCallSid : undefined;
    return [
      {
        type: 'InteractionReceived',
        data: {
          direction,
          kind: 'call',
          identities: [customer.identity],
          content: { media: [] },
          provider: { name: 'twilio', messageId: p.CallSid, accountId: p.AccountSid },
          endpoint: p[ourField],
          call,
        },
        metadata: {
          eventId,
          // Every callback of a call, and of the <Dial> legs it spawned, shares the parent call's sid.
          correlationId: parent ?? p.CallSid,
          causationId: eventId,
          occurredAt: at ?? receivedAt,
          occurredAtSource: at ? 'provider' : 'received',
          recordedAt: receivedAt,
          schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
          tenantId,
          channel: 'voice',
        },
      },
    ];
  }
}

/**
 * The call facet of one callback. `Timestamp` is when the event fired: the answer time of an
 * in-progress callback, the end of a call that ended. CallDuration counts from answer to hang-up, so
 * a completed call with both started at Timestamp − CallDuration.
 */
export function callFacet(p: TwilioVoiceStatusPayload, at: string | undefined): CallFacet {
  const status = TWILIO_CALL_STATUS[p.CallStatus];
  const duration = p.CallDuration ? Number(p.CallDuration) : undefined;
  const facet: CallFacet = { status };
  if (at !== undefined && status === 'in_progress') facet.startedAt = at;
  if (at !== undefined && ENDED.has(status)) {
    if (duration !== undefined) facet.startedAt = new Date(Date.parse(at) - duration * 1000).toISOString();
    facet.endedAt = at;
  }
  if (duration !== undefined) facet.durationSeconds = duration;
  if (p.RecordingUrl) facet.recordingUrl = p.RecordingUrl;
  return facet;
}
