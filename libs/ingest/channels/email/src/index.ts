import { defineChannel } from '@hub/channels-core';
import { RAW_MIME_EMAIL_MANIFEST, RawMimeEmailChannelAdapter } from './mime/raw-mime-email.adapter';
import { RawMimeEmailConfig } from './mime/raw-mime-email.config';
import { SENDGRID_INBOUND_PARSE_MANIFEST, SendGridInboundParseChannelAdapter } from './sendgrid/sendgrid-inbound-parse.adapter';
import { SendGridInboundParseConfig } from './sendgrid/sendgrid-inbound-parse.config';

export * from './inbound-email';
export { effectiveMessageId, mapInboundEmail, threadRoot } from './inbound-email.map';
export { emailBodyText, summariseHtml } from './email-body';
export { decodeCharset } from './charset';
export { parseMimeMessage } from './mime/mime-message.parse';
export {
  MIME_REPLAY_WINDOW_SECONDS,
  MIME_SIGNATURE_HEADER,
  MIME_TIMESTAMP_HEADER,
  mimeSignature,
  RAW_MIME_EMAIL_MANIFEST,
  RawMimeEmailChannelAdapter,
} from './mime/raw-mime-email.adapter';
export { RawMimeEmailConfig } from './mime/raw-mime-email.config';
export {
  SENDGRID_INBOUND_PARSE_MANIFEST,
  SENDGRID_REPLAY_WINDOW_SECONDS,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  SendGridInboundParseChannelAdapter,
} from './sendgrid/sendgrid-inbound-parse.adapter';
export { SendGridInboundParseConfig, sendGridVerificationKey } from './sendgrid/sendgrid-inbound-parse.config';
export { SendGridInboundParsePayload } from './sendgrid/sendgrid-inbound-parse.payload';

/** Raw RFC 5322 messages posted by our own MTA hook, HMAC-signed (see raw-mime-email.adapter.ts). */
export const rawMimeEmail = defineChannel({
  manifest: RAW_MIME_EMAIL_MANIFEST,
  configSchema: RawMimeEmailConfig,
  create: (config: RawMimeEmailConfig) => new RawMimeEmailChannelAdapter(config),
});

/** SendGrid Inbound Parse (parsed or raw mode), ECDSA-signed by a Parse webhook security policy. */
export const sendgridInboundParse = defineChannel({
  manifest: SENDGRID_INBOUND_PARSE_MANIFEST,
  configSchema: SendGridInboundParseConfig,
  create: (config: SendGridInboundParseConfig) => new SendGridInboundParseChannelAdapter(config),
});

/** Both providers, in the order the registry lists them (`CHANNELS.email`). */
export const emailProviders = [rawMimeEmail, sendgridInboundParse] as const;
