import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import type { ChannelDefinition } from '@hub/channels-core';
import { instagramChannel, messengerChannel, whatsappChannel } from '../index';
import type { MetaConfig } from '../shared/meta.config';
import { META_TEST_APP_SECRET, META_TEST_VERIFY_TOKEN, metaWebhookRequest } from './meta.sign';

const config: MetaConfig = { META_APP_SECRET: META_TEST_APP_SECRET, META_VERIFY_TOKEN: META_TEST_VERIFY_TOKEN };

/** One Meta app serves the three channels: same secrets, one route and fixtures folder each. */
function metaTestSetup(definition: ChannelDefinition<MetaConfig>, folder: string): ChannelTestSetup<MetaConfig> {
  const url = `${CONFORMANCE_BASE_URL}${definition.manifest.route.path}`;
  return {
    definition,
    config,
    env: { ...config },
    fixturesDir: join(__dirname, '..', folder, '__fixtures__'),
    // Meta signs no timestamp: no replayWindowSeconds, the kit checks the verdict does not depend on the clock.
    sign: (payload, { secret }) => metaWebhookRequest({ appSecret: secret ?? META_TEST_APP_SECRET, url, payload }),
  };
}

export const whatsappTestSetup = metaTestSetup(whatsappChannel, 'whatsapp');
export const messengerTestSetup = metaTestSetup(messengerChannel, 'messenger');
export const instagramTestSetup = metaTestSetup(instagramChannel, 'instagram');
