import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  validateAs,
  type IdentityRef,
  type InteractionReceived,
  type MediaRef,
} from '@hub/contracts';
import {
  ChannelMappingError,
  timestampedHmac,
  verifyTimestampedHmac,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { normalizeEmail, normalizeHandle, normalizePhone, type NormalizeResult } from '@hub/customer';
import { WebchatPayload, type WebchatVisitor } from './webchat.payload';
import type { WebchatConfig } from './webchat.config';

export const WEBCHAT_MANIFEST: ChannelManifest = {
  id: 'webchat',
  displayName: 'Web chat (hub widget)',
  provider: 'hub-webchat',
  // Our own format, documented in webchat.payload.ts and the hub's docs (docs/events.md); this is where they are served.
  docsUrl: 'https://hub.example.com/docs/channels/webchat',
  route: { method: 'POST', path: '/webhooks/webchat' },
  // 20 messages of 4,000 characters (up to 4 bytes each) and 10 attachment URLs of 2 KB each: < 1 MiB.
  maxBodyBytes: 1024 * 1024,
};

export const WEBCHAT_TIMESTAMP_HEADER = 'x-webchat-timestamp';
export const WEBCHAT_SIGNATURE_HEADER = 'x-webchat-signature';
/** How far the signed timestamp may be from the hub's clock, either way. */
export const WEBCHAT_REPLAY_WINDOW_SECONDS = 300;

/** `v1=` + hex HMAC-SHA256 of `${timestamp}.${rawBody}` with the signing secret. */
export function webchatSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return timestampedHmac('v1=', secret, timestamp, rawBody);
}

export class WebchatChannelAdapter implements ChannelAdapter<WebchatPayload> {
  readonly manifest = WEBCHAT_MANIFEST;

  constructor(private readonly config: WebchatConfig) {}

  /**
   * HMAC-SHA256 over the timestamp and the exact body bytes, compared in constant time; then the
   * timestamp must be within 5 minutes of now (past or future). A replay inside the window maps to
   * the same event ids, so it changes nothing downstream.
   */
  verify(request: WebhookRequest, { nowMs }: VerifyContext): VerifyResult {
    return verifyTimestampedHmac(request.headers, request.rawBody, nowMs, {
      timestampHeader: WEBCHAT_TIMESTAMP_HEADER,
      signatureHeader: WEBCHAT_SIGNATURE_HEADER,
      prefix: 'v1=',
      secret: this.config.WEBCHAT_SIGNING_SECRET,
      windowSeconds: WEBCHAT_REPLAY_WINDOW_SECONDS,
    });
  }

  parse(body: unknown): ParseResult<WebchatPayload> {
    return validateAs(WebchatPayload, body);
  }

  /** One event per message, in the order sent; the session is the thread and the correlation. */
  map(p: WebchatPayload, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
    const identities = this.identitiesOf(p.visitor);
    const typed = p.visitor.email !== undefined || p.visitor.phone !== undefined;
    const endpoint = p.page ? new URL(p.page.url).host : undefined;
    return p.messages.map((m) => {
      const eventId = deterministicId('webchat', 'hub-webchat', p.sessionId, m.id);
      const media: MediaRef[] = (m.attachments ?? []).map((a) => ({ url: a.url, contentType: a.contentType }));
      return {
        type: 'InteractionReceived',
        data: {
          direction: 'inbound',
          kind: 'message',
          identities,
          content: m.text === undefined ? { media } : { text: m.text, media },
          provider: { name: 'hub-webchat', messageId: m.id },
          ...(endpoint ? { endpoint } : {}),
          threadId: p.sessionId,
          // The email and phone are what the visitor typed, unverified: as merge evidence they only
          // propose (a person confirms), which the recorder reads from here.
          ...(typed ? { mergeEvidence: 'chat_typed_detail' as const } : {}),
        },
        metadata: {
          eventId,
          correlationId: p.sessionId,
          causationId: eventId,
          occurredAt: new Date(m.sentAt).toISOString(),
          // The widget's own clock, as the message was sent: provider time (see docs/events.md).
          occurredAtSource: 'provider',
          recordedAt: receivedAt,
          schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
          tenantId,
          channel: 'webchat',
        },
      };
    });
  }

  /**
   * Every identity the visitor gave, the customer key first: the email, else the phone, else the
   * widget's visitor id. One the hub cannot normalise is not dropped: the request is unmappable,
   * naming it (a national phone number needs WEBCHAT_DEFAULT_REGION).
   */
  private identitiesOf(v: WebchatVisitor): IdentityRef[] {
    const region = this.config.WEBCHAT_DEFAULT_REGION;
    const identity = (field: string, result: NormalizeResult, hint = ''): IdentityRef => {
      if (!result.ok) throw new ChannelMappingError(`${field}: ${result.reason}${hint}`, field);
      return result.identity;
    };
    return [
      ...(v.email === undefined ? [] : [identity('visitor.email', normalizeEmail(v.email))]),
      ...(v.phone === undefined
        ? []
        : [
            identity(
              'visitor.phone',
              normalizePhone(v.phone, region),
              region ? '' : ' (a number without country code needs WEBCHAT_DEFAULT_REGION)',
            ),
          ]),
      identity('visitor.id', normalizeHandle('webchat', v.id)),
    ];
  }
}
