export * from './mutations';
export * from './fuzz-targets';
export * from './fuzz-runner';
