export * from './channel-adapter';
export * from './channel-definition';
export * from './signatures';
export * from './json-body';
