export * from './shopify.sign';
export * from './commerce.test-setup';
