import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  validateAs,
  type DeliveryStatus,
  type EventMetadata,
  type InteractionReceived,
  type MediaRef,
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
import { consentKeyword, normalizePhone } from '@hub/customer';
import type { CountryCode } from 'libphonenumber-js';
import { isTwilioStatusCallback, TwilioInboundSmsPayload, TwilioMessageStatusPayload } from './twilio-sms.payload';
import type { TwilioSmsConfig } from './twilio-sms.config';

export const TWILIO_SMS_MANIFEST: ChannelManifest = {
  id: 'sms',
  displayName: 'SMS / MMS (Twilio)',
  provider: 'twilio',
  docsUrl: 'https://www.twilio.com/docs/messaging/guides/webhook-request',
  route: { method: 'POST', path: '/webhooks/twilio' },
  // Twilio's own limit on a webhook body is far below this; anything larger is not from Twilio.
  maxBodyBytes: 64 * 1024,
};

export class TwilioSmsChannelAdapter implements ChannelAdapter<TwilioInboundSmsPayload | TwilioMessageStatusPayload> {
  readonly manifest = TWILIO_SMS_MANIFEST;

  constructor(private readonly config: TwilioSmsConfig) {}

  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    return verifyTwilioRequest(request, { authToken: this.config.TWILIO_AUTH_TOKEN, accountSid: this.config.TWILIO_ACCOUNT_SID });
  }

  parse(body: unknown): ParseResult<TwilioInboundSmsPayload | TwilioMessageStatusPayload> {
    // A status callback (MessageStatus, no NumMedia) is validated as what it is, not as a broken inbound message.
    if (isTwilioStatusCallback(body)) return validateAs(TwilioMessageStatusPayload, body, { allowUnknown: true });
    return validateAs(TwilioInboundSmsPayload, body, { allowUnknown: true });
  }

  map(p: TwilioInboundSmsPayload | TwilioMessageStatusPayload, context: MapContext): InteractionReceived[] {
    return p instanceof TwilioMessageStatusPayload ? [this.statusEvent(p, context)] : [this.messageEvent(p, context)];
  }

  /**
   * What happened to a message we sent: sent / delivered / read, or failed (Twilio's `failed` and
   * `undelivered`, with the error code). The steps before (queued, sending, accepted, scheduled)
   * and a canceled scheduled send are not deliveries: dead-lettered with the reason.
   */
  private statusEvent(p: TwilioMessageStatusPayload, { tenantId, receivedAt }: MapContext): InteractionReceived {
    const status = DELIVERY_STATUS_OF[p.MessageStatus];
    if (status === undefined) {
      throw new ChannelMappingError(
        `MessageStatus: "${p.MessageStatus}" is not a delivery status the hub records (sent, delivered, read, failed, undelivered); set the send's StatusCallback only where those are wanted, or ignore this dead letter`,
        'MessageStatus',
      );
    }
    const region = this.config.SMS_DEFAULT_REGION as CountryCode | undefined;
    const to = normalizePhone(p.To, region);
    if (!to.ok) throw new ChannelMappingError(`To: ${to.reason} (the recipient of a message we sent must be a phone number)`, 'To');
    const eventId = deterministicId('sms', 'twilio', p.AccountSid, p.MessageSid, 'status', p.MessageStatus);
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'outbound',
        kind: 'delivery',
        identities: [to.identity],
        content: { media: [] },
        provider: { name: 'twilio', messageId: p.MessageSid, accountId: p.AccountSid },
        endpoint: p.From,
        delivery: {
          messageId: p.MessageSid,
          status,
          ...(p.ErrorCode && p.ErrorCode !== '0' ? { errorCode: p.ErrorCode } : {}),
          ...(p.MessageStatus === 'undelivered' ? { errorMessage: 'undelivered: the carrier could not deliver the message' } : {}),
        },
      },
      metadata: receivedMetadata(eventId, tenantId, receivedAt),
    };
  }

  private messageEvent(p: TwilioInboundSmsPayload, { tenantId, receivedAt }: MapContext): InteractionReceived {
    const region = this.config.SMS_DEFAULT_REGION as CountryCode | undefined;
    const from = normalizePhone(p.From, region);
    if (!from.ok) throw new ChannelMappingError(`From: ${from.reason}`, 'From');
    const eventId = deterministicId('sms', 'twilio', p.AccountSid, p.MessageSid);
    const media: MediaRef[] = [];
    for (let i = 0; i < Number(p.NumMedia); i++) {
      const url = p[`MediaUrl${i}`];
      const contentType = p[`MediaContentType${i}`];
      if (typeof url !== 'string' || url === '')
        throw new ChannelMappingError(`MediaUrl${i} is missing though NumMedia is ${p.NumMedia}`, `MediaUrl${i}`);
      media.push(typeof contentType === 'string' ? { url, contentType } : { url });
    }
    const text = p.Body ?? '';
    // Twilio's Advanced Opt-Out names the keyword class it handled; otherwise read the text ourselves.
    const keyword = consentKeyword(text);
    const fromTwilio = typeof p['OptOutType'] === 'string' ? OPT_OUT_TYPES[String(p['OptOutType']).toUpperCase()] : undefined;
    const consent = fromTwilio ? { signal: fromTwilio, keyword: keyword?.keyword ?? String(p['OptOutType']).toUpperCase() } : keyword;
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [from.identity],
        content: text === '' ? { media } : { text, media },
        provider: { name: 'twilio', messageId: p.MessageSid, accountId: p.AccountSid },
        endpoint: p.To,
        ...(consent ? { consent } : {}),
      },
      metadata: receivedMetadata(eventId, tenantId, receivedAt),
    };
  }
}

/**
 * Twilio's inbound and status webhooks carry no timestamp: what they report happened when we
 * received it. The event is its own correlation and cause.
 */
function receivedMetadata(eventId: string, tenantId: string, receivedAt: string): EventMetadata {
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: receivedAt,
    occurredAtSource: 'received',
    recordedAt: receivedAt,
    schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
    tenantId,
    channel: 'sms',
  };
}

const DELIVERY_STATUS_OF: Partial<Record<TwilioMessageStatusPayload['MessageStatus'], DeliveryStatus>> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  undelivered: 'failed',
};

const OPT_OUT_TYPES: Record<string, 'opt_out' | 'opt_in' | 'help' | undefined> = { STOP: 'opt_out', START: 'opt_in', HELP: 'help' };
