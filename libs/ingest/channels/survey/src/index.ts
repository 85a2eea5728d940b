import { defineChannel } from '@hub/channels-core';
import { TypeformSurveyChannelAdapter, TYPEFORM_SURVEY_MANIFEST } from './typeform-survey.adapter';
import { TypeformSurveyConfig } from './typeform-survey.config';

export {
  TypeformSurveyChannelAdapter,
  TYPEFORM_SURVEY_MANIFEST,
  TYPEFORM_SIGNATURE_HEADER,
  typeformSignature,
  answerValue,
} from './typeform-survey.adapter';
export { TypeformSurveyConfig } from './typeform-survey.config';
export * from './typeform.payload';
export * from './survey-score';

export const surveyChannel = defineChannel({
  manifest: TYPEFORM_SURVEY_MANIFEST,
  configSchema: TypeformSurveyConfig,
  create: (config: TypeformSurveyConfig) => new TypeformSurveyChannelAdapter(config),
});
