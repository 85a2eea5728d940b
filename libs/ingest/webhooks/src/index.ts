export * from './ingest.env';
export * from './ingest.service';
export * from './webhook.controller';
export * from './bootstrap-ingest-app';
export * from './ingest-channel';
export * from './ingest-tenants';
