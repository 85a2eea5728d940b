export * from './logger';
export * from './shutdown';
export * from './api-keys';
export * from './request-encoding';
export * from './pg-pool';
export * from './http-edge';
export * from './key-store';
export * from './health';
