export * from './event-store.port';
export {
  PostgresEventStore,
  ensurePostgresEventStoreSchema,
  type CreatePostgresEventStoreOptions,
  type PostgresEventStoreOptions,
  type PostgresEventStoreTables,
} from './postgres.event-store';
export { EsdbEventStore, type EsdbEventStoreOptions } from './esdb.event-store';
