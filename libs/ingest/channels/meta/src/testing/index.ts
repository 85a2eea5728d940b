export * from './meta.sign';
export * from './meta.payloads';
export * from './meta.test-setups';
