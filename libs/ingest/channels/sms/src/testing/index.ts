export * from './twilio-sms.sign';
export * from './sms.test-setup';
