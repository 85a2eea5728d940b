export * from './load-config';
export * from './hub.env';
export * from './http-edge.env';
