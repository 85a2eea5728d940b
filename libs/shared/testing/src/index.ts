export * from './env';
export * from './app-process';
export * from './fault-proxy';
export * from './identity-naming';
export * from './throwaway-redis';
export * from './console-build';
export * from './served-routes';
export * from './message-schemas';
