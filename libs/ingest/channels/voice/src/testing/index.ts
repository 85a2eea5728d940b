export * from './amazon-connect.firehose';
export * from './amazon-connect.test-setup';
export * from './twilio-voice.sign';
export * from './twilio-voice.test-setup';
