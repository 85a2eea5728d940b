import { validateAs, type InteractionReceived } from '@hub/contracts';
import type {
  ChannelAdapter,
  ChannelManifest,
  HandshakeResult,
  MapContext,
  ParseResult,
  VerifyContext,
  VerifyResult,
  WebhookRequest,
} from '@hub/channels-core';
import type { MetaConfig } from '../shared/meta.config';
import { META_PROVIDER } from '../shared/meta-event';
import { mapMetaMessaging } from '../shared/meta-messaging.mapper';
import { MessengerWebhookPayload } from '../shared/meta-messaging.payload';
import { META_MAX_BODY_BYTES, metaHandshake, verifyMetaSignature } from '../shared/meta-webhook';

export const MESSENGER_MANIFEST: ChannelManifest = {
  id: 'messenger',
  displayName: 'Facebook Messenger (Meta)',
  provider: META_PROVIDER,
  docsUrl: 'https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events',
  route: { method: 'POST', path: '/webhooks/messenger' },
  maxBodyBytes: META_MAX_BODY_BYTES,
};

/** Messenger Platform webhooks (`object: 'page'`): customers are page-scoped ids (PSID) in the `messenger` namespace. */
export class MessengerChannelAdapter implements ChannelAdapter<MessengerWebhookPayload> {
  readonly manifest = MESSENGER_MANIFEST;

  constructor(private readonly config: MetaConfig) {}

  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    return verifyMetaSignature(request, this.config.META_APP_SECRET);
  }

  handshake(query: Readonly<Record<string, string | undefined>>): HandshakeResult {
    return metaHandshake(query, this.config);
  }

  parse(body: unknown): ParseResult<MessengerWebhookPayload> {
    return validateAs(MessengerWebhookPayload, body, { allowUnknown: true });
  }

  map(payload: MessengerWebhookPayload, context: MapContext): InteractionReceived[] {
    return mapMetaMessaging('messenger', payload, context);
  }
}
