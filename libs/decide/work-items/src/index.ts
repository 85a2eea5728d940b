export * from './work-item.store';
export * from './work-items.schema-migrations';
