export * from './load-config';
export * from './hub.env';
export * from './http-edge.env';
export * from './identity-hashing';
export * from './tls.env';
