export * from './schema-migration';
export * from './schema-migrator';
