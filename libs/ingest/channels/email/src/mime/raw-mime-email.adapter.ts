import type { InteractionReceived } from '@hub/contracts';
import {
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
import type { InboundEmail } from '../inbound-email';
import { mapInboundEmail } from '../inbound-email.map';
import { parseMimeMessage } from './mime-message.parse';
import type { RawMimeEmailConfig } from './raw-mime-email.config';

/**
 * Our own contract with the MTA hook (Postfix pipe, an SES → Lambda forwarder, …) that posts each
 * received message to the hub:
 *
 *   POST /webhooks/email/mime
 *   content-type: message/rfc822
 *   x-hub-timestamp: <unix seconds when the hook signed the request>
 *   x-hub-signature: sha256=<lower-case hex HMAC-SHA256 of `${x-hub-timestamp}.${body}`, key EMAIL_MIME_SIGNING_SECRET>
 *   <the message, byte for byte as received>
 *
 * Requests signed more than `MIME_REPLAY_WINDOW_SECONDS` from the hub's clock are refused as stale.
 * To name the recipient among several, the hook prepends a `Delivered-To:` header to the message
 * (Postfix pipe flag `D` does) before signing it.
 */
export const MIME_REPLAY_WINDOW_SECONDS = 300;
export const MIME_TIMESTAMP_HEADER = 'x-hub-timestamp';
export const MIME_SIGNATURE_HEADER = 'x-hub-signature';

export const RAW_MIME_EMAIL_MANIFEST: ChannelManifest = {
  id: 'email',
  displayName: 'Email (raw MIME from our MTA)',
  provider: 'mime',
  docsUrl: 'https://www.rfc-editor.org/rfc/rfc5322',
  route: { method: 'POST', path: '/webhooks/email/mime' },
  // Postfix's default message_size_limit is 10 MB and SES receives up to 40 MB; 25 MiB is the
  // common ceiling of mailbox providers for a message with its attachments.
  maxBodyBytes: 25 * 1024 * 1024,
};

/** The HMAC our hook sends for a body signed at `timestamp` (unix seconds, as the header carries it). */
export function mimeSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return timestampedHmac('sha256=', secret, timestamp, rawBody);
}

export class RawMimeEmailChannelAdapter implements ChannelAdapter<InboundEmail> {
  readonly manifest = RAW_MIME_EMAIL_MANIFEST;

  constructor(private readonly config: RawMimeEmailConfig) {}

  verify(request: WebhookRequest, { nowMs }: VerifyContext): VerifyResult {
    return verifyTimestampedHmac(request.headers, request.rawBody, nowMs, {
      timestampHeader: MIME_TIMESTAMP_HEADER,
      signatureHeader: MIME_SIGNATURE_HEADER,
      prefix: 'sha256=',
      secret: this.config.EMAIL_MIME_SIGNING_SECRET,
      windowSeconds: MIME_REPLAY_WINDOW_SECONDS,
      hexCase: 'any',
    });
  }

  parse(body: unknown): Promise<ParseResult<InboundEmail>> {
    return parseMimeMessage(body);
  }

  map(email: InboundEmail, context: MapContext): InteractionReceived[] {
    return mapInboundEmail(email, this.manifest.provider, context);
  }
}
