export * from './fake-twilio';
export * from './fake-telegram';
export * from './fake-whatsapp';
export * from './fake-sendgrid';
