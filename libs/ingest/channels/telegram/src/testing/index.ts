export * from './telegram.sign';
export * from './telegram.test-setup';
