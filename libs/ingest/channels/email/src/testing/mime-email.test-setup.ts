import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { rawMimeEmail } from '../index';
import { MIME_REPLAY_WINDOW_SECONDS } from '../mime/raw-mime-email.adapter';
import type { RawMimeEmailConfig } from '../mime/raw-mime-email.config';
import { mimeFixtureBytes, signedMimeRequest } from './mime-email.sign';

/** The signing secret of the test setup (at least 32 characters, as the config demands). */
export const TEST_EMAIL_MIME_SIGNING_SECRET = 'email-mime-conformance-signing-secret-0123456789';

/** The raw MIME provider's conformance setup: used by its own spec and by the cross-channel integration test. */
export const mimeEmailTestSetup: ChannelTestSetup<RawMimeEmailConfig> = {
  definition: rawMimeEmail,
  config: { EMAIL_MIME_SIGNING_SECRET: TEST_EMAIL_MIME_SIGNING_SECRET },
  env: { EMAIL_MIME_SIGNING_SECRET: TEST_EMAIL_MIME_SIGNING_SECRET },
  fixturesDir: join(__dirname, '..', 'mime', '__fixtures__'),
  replayWindowSeconds: MIME_REPLAY_WINDOW_SECONDS,
  sign: (payload, { secret, ageSeconds }) =>
    signedMimeRequest({
      secret: secret ?? TEST_EMAIL_MIME_SIGNING_SECRET,
      url: `${CONFORMANCE_BASE_URL}${rawMimeEmail.manifest.route.path}`,
      raw: mimeFixtureBytes(payload),
      timestampSeconds: Math.floor(Date.now() / 1000) - (ageSeconds ?? 0),
    }),
};
