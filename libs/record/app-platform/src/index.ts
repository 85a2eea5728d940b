export * from './hub-platform.module';
export * from './redis.providers';
