export * from './fake-twilio';
export * from './fake-telegram';
