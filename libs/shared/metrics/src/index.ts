export * from './metrics.registry';
export * from './hub-metrics';
export * from './metrics.http';
