export * from './twilio-sms.sign';
