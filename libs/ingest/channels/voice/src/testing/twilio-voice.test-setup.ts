import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { twilioVoice } from '../index';
import type { TwilioVoiceConfig } from '../twilio-voice/twilio-voice.config';
import { twilioVoiceWebhookRequest, type TwilioVoiceParams } from './twilio-voice.sign';

const AUTH_TOKEN = 'voice-conformance-twilio-auth-token';

/** Twilio posts form fields: every value of a recorded payload must be a string. */
function formParams(payload: Record<string, unknown>): TwilioVoiceParams {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => {
      if (typeof v !== 'string') throw new Error(`Twilio form field ${k} must be a string in the fixture, got ${JSON.stringify(v)}`);
      return [k, v];
    }),
  );
}

/** The Twilio Voice provider's conformance setup: used by its own spec and by the cross-channel integration test. */
export const twilioVoiceTestSetup: ChannelTestSetup<TwilioVoiceConfig> = {
  definition: twilioVoice,
  config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN },
  env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN },
  fixturesDir: join(__dirname, '..', 'twilio-voice', '__fixtures__'),
  sign: (payload, { secret }) =>
    twilioVoiceWebhookRequest({
      authToken: secret ?? AUTH_TOKEN,
      url: `${CONFORMANCE_BASE_URL}${twilioVoice.manifest.route.path}`,
      params: formParams(payload),
    }),
};
