export * from './env';
export * from './app-process';
