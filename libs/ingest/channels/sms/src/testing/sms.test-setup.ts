import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { smsChannel } from '../index';
import type { TwilioSmsConfig } from '../twilio-sms.config';
import { twilioWebhookRequest, type TwilioParams } from './twilio-sms.sign';

const AUTH_TOKEN = 'sms-conformance-auth-token';

/** Twilio posts form fields: every value of a recorded payload must be a string. */
function formParams(payload: Record<string, unknown>): TwilioParams {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => {
      if (typeof v !== 'string') throw new Error(`Twilio form field ${k} must be a string in the fixture, got ${JSON.stringify(v)}`);
      return [k, v];
    }),
  );
}

/** The SMS channel's conformance setup: used by its own spec and by the cross-channel integration test. */
export const smsTestSetup: ChannelTestSetup<TwilioSmsConfig> = {
  definition: smsChannel,
  config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN },
  env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN },
  fixturesDir: join(__dirname, '..', '__fixtures__'),
  sign: (payload, { secret }) =>
    twilioWebhookRequest({
      authToken: secret ?? AUTH_TOKEN,
      url: `${CONFORMANCE_BASE_URL}${smsChannel.manifest.route.path}`,
      params: formParams(payload),
    }),
};
