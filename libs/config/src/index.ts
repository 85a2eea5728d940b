export * from './load-config';
export * from './hub.env';
export * from './identity-hashing';
