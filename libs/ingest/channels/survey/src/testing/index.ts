export * from './typeform.sign';
export * from './survey.test-setup';
