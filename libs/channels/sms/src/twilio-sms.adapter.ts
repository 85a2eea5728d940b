import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  validateAs,
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
import { TwilioInboundSmsPayload } from './twilio-sms.payload';
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

export class TwilioSmsChannelAdapter implements ChannelAdapter<TwilioInboundSmsPayload> {
  readonly manifest = TWILIO_SMS_MANIFEST;

  constructor(private readonly config: TwilioSmsConfig) {}

  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    return verifyTwilioRequest(request, { authToken: this.config.TWILIO_AUTH_TOKEN, accountSid: this.config.TWILIO_ACCOUNT_SID });
  }

  parse(body: unknown): ParseResult<TwilioInboundSmsPayload> {
    return validateAs(TwilioInboundSmsPayload, body, { allowUnknown: true });
  }

  map(p: TwilioInboundSmsPayload, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
    const region = this.config.SMS_DEFAULT_REGION as CountryCode | undefined;
    const from = normalizePhone(p.From, region);
    if (!from.ok) throw new ChannelMappingError(`From: ${from.reason}`, 'From');
    const eventId = deterministicId('sms', 'twilio', p.AccountSid, p.MessageSid);
    const media: MediaRef[] = [];
    for (let i = 0; i < Number(p.NumMedia); i++) {
      const url = p[`MediaUrl${i}`];
      const contentType = p[`MediaContentType${i}`];
      if (typeof url !== 'string' || url === '') throw new ChannelMappingError(`MediaUrl${i} is missing though NumMedia is ${p.NumMedia}`, `MediaUrl${i}`);
      media.push(typeof contentType === 'string' ? { url, contentType } : { url });
    }
    const text = p.Body ?? '';
    // Twilio's Advanced Opt-Out names the keyword class it handled; otherwise read the text ourselves.
    const keyword = consentKeyword(text);
    const fromTwilio = typeof p['OptOutType'] === 'string' ? OPT_OUT_TYPES[String(p['OptOutType']).toUpperCase()] : undefined;
    const consent = fromTwilio ? { signal: fromTwilio, keyword: keyword?.keyword ?? String(p['OptOutType']).toUpperCase() } : keyword;
    return [
      {
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
        metadata: {
          eventId,
          correlationId: eventId,
          causationId: eventId,
          // Twilio's inbound webhook carries no timestamp: the message happened when we received it.
          occurredAt: receivedAt,
          recordedAt: receivedAt,
          schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
          tenantId,
          channel: 'sms',
        },
      },
    ];
  }
}

const OPT_OUT_TYPES: Record<string, 'opt_out' | 'opt_in' | 'help' | undefined> = { STOP: 'opt_out', START: 'opt_in', HELP: 'help' };

