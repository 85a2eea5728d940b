export * from './mime-email.sign';
export * from './mime-email.test-setup';
export * from './sendgrid-inbound-parse.sign';
export * from './sendgrid.test-setup';
