// A separate entry point: only the HTTP apps load @nestjs/swagger (not the workers nor the CLI).
export * from './openapi';
