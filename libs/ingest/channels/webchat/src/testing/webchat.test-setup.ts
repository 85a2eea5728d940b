import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { webchatChannel, WEBCHAT_REPLAY_WINDOW_SECONDS } from '../index';
import type { WebchatConfig } from '../webchat.config';
import { webchatWebhookRequest } from './webchat.sign';

/** What the suite configures as the gateway's signing secret. */
export const WEBCHAT_TEST_SIGNING_SECRET = 'webchat-conformance-signing-secret-0123456789';

/** The web chat channel's conformance setup: used by its own spec and by the cross-channel integration test. */
export const webchatTestSetup: ChannelTestSetup<WebchatConfig> = {
  definition: webchatChannel,
  config: { WEBCHAT_SIGNING_SECRET: WEBCHAT_TEST_SIGNING_SECRET },
  env: { WEBCHAT_SIGNING_SECRET: WEBCHAT_TEST_SIGNING_SECRET },
  fixturesDir: join(__dirname, '..', '__fixtures__'),
  replayWindowSeconds: WEBCHAT_REPLAY_WINDOW_SECONDS,
  sign: (payload, { secret, ageSeconds }) =>
    webchatWebhookRequest({
      secret: secret ?? WEBCHAT_TEST_SIGNING_SECRET,
      url: `${CONFORMANCE_BASE_URL}${webchatChannel.manifest.route.path}`,
      payload,
      timestamp: Math.floor(Date.now() / 1000) - (ageSeconds ?? 0),
    }),
};
