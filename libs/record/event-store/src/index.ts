export * from './event-store.port';
export * from './checkpoint-store.port';
export { RELAY_SAVE_EVERY_MS, runCheckpointedSubscription, type CheckpointedSubscriptionOptions } from './checkpointed-subscription';
export type { RetrySettings } from './subscription-support';
export {
  PostgresEventStore,
  ensurePostgresEventStoreSchema,
  postgresEventStoreExists,
  postgresStreamsExist,
  runDdl,
  type CreatePostgresEventStoreOptions,
  type PostgresEventStoreOptions,
  type PostgresEventStoreTables,
} from './postgres.event-store';
export { PostgresCheckpointStore, ensurePostgresCheckpointSchema } from './postgres.checkpoint-store';
export type { EsdbEventStore, EsdbEventStoreOptions } from './esdb.event-store';
import type * as Esdb from './esdb.event-store';
/**
 * The EventStoreDB adapter, loaded on first use: its client (gRPC, protobuf: some 160 modules, several
 * MiB of memory) is read only by a deployment with EVENT_STORE=eventstoredb, not by every app at start
 * (docs/benchmarks.md, Session 11).
 */
export function esdbEventStoreAdapter(): typeof Esdb.EsdbEventStore {
  return (require('./esdb.event-store') as typeof Esdb).EsdbEventStore;
}
export { PostgresNotificationListener, type NotificationListener } from './postgres.notification-listener';
export { tryAdvisoryLock, whileLeader, type HeldAdvisoryLock, type LeaderLogger } from './postgres.advisory-lock';
export { advanceLeaderEpoch } from './postgres.leader-fence';
export { EVENT_STORE_SCHEMA } from './event-store.schema-migrations';
export {
  DEFAULT_FAN_OUT_MAX_LAG_EVENTS,
  runCheckpointedSubscriptions,
  type CheckpointedConsumer,
  type ConsumerProgress,
  type FanOutSettings,
  type FanOutSubscription,
} from './checkpointed-fan-out';
