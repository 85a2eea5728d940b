import { Pool, type PoolConfig } from 'pg';

export interface HubPgPoolOptions {
  connectionString: string;
  max: number;
  /** `search_path` of every session (a replay's rebuild schema). */
  searchPath?: string;
  /**
   * A session left inside a transaction this long is ended by the server. A client cut off inside a
   * transaction (a crashed process, a dead link) otherwise holds every subscription of the cluster
   * back (the gap-free read waits on the oldest open transaction) and keeps its row locks until TCP
   * gives up, about two hours later. Default 60 s.
   */
  idleInTransactionTimeoutMs?: number;
  /** How long a statement waits for a lock before failing (retried by its caller). Default 30 s. */
  lockTimeoutMs?: number;
  /** A statement running longer than this is cancelled; 0 (the default) lets rebuilds and exports run as long as they need. */
  statementTimeoutMs?: number;
}

/**
 * The PostgreSQL pool every app opens: TCP keepalive on (a half-open connection is noticed in
 * seconds, not hours), a connection timeout, and server-side limits on sessions idling inside a
 * transaction and on lock waits, so one stuck client cannot stall the cluster's writers and
 * subscriptions (issue #15, item 7).
 */
export function createPgPool(options: HubPgPoolOptions): Pool {
  const settings: string[] = [
    `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs ?? 60_000}`,
    `-c lock_timeout=${options.lockTimeoutMs ?? 30_000}`,
    `-c statement_timeout=${options.statementTimeoutMs ?? 0}`,
  ];
  if (options.searchPath !== undefined) settings.push(`-c search_path=${options.searchPath}`);
  const config: PoolConfig = {
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: settings.join(' '),
  };
  return new Pool(config);
}
