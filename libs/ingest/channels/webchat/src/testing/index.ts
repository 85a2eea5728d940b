export * from './webchat.sign';
export * from './webchat.test-setup';
