import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { amazonConnectVoice } from '../index';
import type { AmazonConnectConfig } from '../amazon-connect/amazon-connect.config';
import { firehoseWebhookRequest } from './amazon-connect.firehose';

const ACCESS_KEY = 'voice-conformance-firehose-access-key';

/**
 * The Amazon Connect provider's conformance setup: used by its own spec and by the cross-channel
 * integration test. Firehose authenticates with a static access key in a header: it signs no body
 * (`signsBody: false`) and no timestamp (no `replayWindowSeconds`; see the adapter's verify).
 */
export const amazonConnectTestSetup: ChannelTestSetup<AmazonConnectConfig> = {
  definition: amazonConnectVoice,
  config: { AMAZON_CONNECT_FIREHOSE_ACCESS_KEY: ACCESS_KEY },
  env: { AMAZON_CONNECT_FIREHOSE_ACCESS_KEY: ACCESS_KEY },
  fixturesDir: join(__dirname, '..', 'amazon-connect', '__fixtures__'),
  signsBody: false,
  sign: (payload, { secret }) =>
    firehoseWebhookRequest({
      accessKey: secret ?? ACCESS_KEY,
      url: `${CONFORMANCE_BASE_URL}${amazonConnectVoice.manifest.route.path}`,
      body: payload,
    }),
};
