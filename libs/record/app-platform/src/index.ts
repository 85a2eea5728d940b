export * from './hub-platform.module';
