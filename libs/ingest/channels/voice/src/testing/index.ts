import { amazonConnectTestSetup } from './amazon-connect.test-setup';
import { twilioVoiceTestSetup } from './twilio-voice.test-setup';

export * from './amazon-connect.firehose';
export * from './amazon-connect.test-setup';
export * from './twilio-voice.sign';
export * from './twilio-voice.test-setup';

/** Both providers' setups, in the order of `voiceProviders` (`CHANNEL_TEST_SETUPS.voice`). */
export const voiceTestSetups = [amazonConnectTestSetup, twilioVoiceTestSetup] as const;
