import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { surveyChannel } from '../index';
import type { TypeformSurveyConfig } from '../typeform-survey.config';
import { typeformWebhookRequest } from './typeform.sign';

const SECRET = 'survey-conformance-typeform-secret';

/**
 * The survey channel's conformance setup: used by its own spec and by the cross-channel integration
 * test. Typeform signs no timestamp, so there is no replay window.
 */
export const surveyTestSetup: ChannelTestSetup<TypeformSurveyConfig> = {
  definition: surveyChannel,
  config: { TYPEFORM_SECRET: SECRET },
  env: { TYPEFORM_SECRET: SECRET },
  fixturesDir: join(__dirname, '..', '__fixtures__'),
  sign: (payload, { secret }) =>
    typeformWebhookRequest({ secret: secret ?? SECRET, url: `${CONFORMANCE_BASE_URL}${surveyChannel.manifest.route.path}`, payload }),
};
