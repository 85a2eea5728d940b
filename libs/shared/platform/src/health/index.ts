export * from './dependency-probes';
export * from './health.controller';
export * from './health-server';
