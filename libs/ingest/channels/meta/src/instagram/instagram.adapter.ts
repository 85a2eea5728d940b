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
import { InstagramWebhookPayload } from '../shared/meta-messaging.payload';
import { META_MAX_BODY_BYTES, metaHandshake, verifyMetaSignature } from '../shared/meta-webhook';

export const INSTAGRAM_MANIFEST: ChannelManifest = {
  id: 'instagram',
  displayName: 'Instagram Direct (Meta)',
  provider: META_PROVIDER,
  docsUrl: 'https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks',
  route: { method: 'POST', path: '/webhooks/instagram' },
  maxBodyBytes: META_MAX_BODY_BYTES,
};

/**
 * Instagram Messaging webhooks (`object: 'instagram'`): customers are Instagram-scoped ids (IGSID) in
 * the `instagram` namespace. Our own messages come back in the same `messages` field with `is_echo`.
 */
export class InstagramChannelAdapter implements ChannelAdapter<InstagramWebhookPayload> {
  readonly manifest = INSTAGRAM_MANIFEST;

  constructor(private readonly config: MetaConfig) {}

  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    return verifyMetaSignature(request, this.config.META_APP_SECRET);
  }

  handshake(query: Readonly<Record<string, string | undefined>>): HandshakeResult {
    return metaHandshake(query, this.config);
  }

  parse(body: unknown): ParseResult<InstagramWebhookPayload> {
    return validateAs(InstagramWebhookPayload, body, { allowUnknown: true });
  }

  map(payload: InstagramWebhookPayload, context: MapContext): InteractionReceived[] {
    return mapMetaMessaging('instagram', payload, context);
  }
}
