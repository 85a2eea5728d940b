import { defineChannel } from '@hub/channels-core';
import { WebchatChannelAdapter, WEBCHAT_MANIFEST } from './webchat.adapter';
import { WebchatConfig } from './webchat.config';

export {
  WebchatChannelAdapter,
  WEBCHAT_MANIFEST,
  WEBCHAT_REPLAY_WINDOW_SECONDS,
  WEBCHAT_SIGNATURE_HEADER,
  WEBCHAT_TIMESTAMP_HEADER,
  webchatSignature,
} from './webchat.adapter';
export { WebchatConfig } from './webchat.config';
export { WEBCHAT_MAX_ATTACHMENTS, WEBCHAT_MAX_MESSAGES, WEBCHAT_MAX_TEXT_LENGTH, WebchatPayload } from './webchat.payload';

export const webchatChannel = defineChannel({
  manifest: WEBCHAT_MANIFEST,
  configSchema: WebchatConfig,
  create: (config: WebchatConfig) => new WebchatChannelAdapter(config),
});
