export * from './webhook.store';
export * from './webhooks.schema-migrations';
