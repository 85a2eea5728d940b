export * from './env';
export * from './app-process';
export * from './throwaway-redis';
