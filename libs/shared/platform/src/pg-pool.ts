import type { Socket } from 'node:net';
import { Pool, type PoolClient, type PoolConfig } from 'pg';

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
  /**
   * A connection silent this long while a query waits for its answer is destroyed: the query fails
   * (its caller retries) and the pool replaces the client. TCP keepalive cannot notice a peer that
   * acknowledges every packet yet never answers — a proxy or balancer in between that lost the
   * session, a stalled server — and a query lost on such a link otherwise waits for ever, holding
   * its consumer's partition (F11 of issue #15: a few seconds of blackhole stopped timeline-projector
   * for good). Longer than `lockTimeoutMs` and any statement timeout. Default 60 s; 0 turns it off
   * (rebuilds and exports, whose statements may run long).
   */
  readTimeoutMs?: number;
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
  const pool = new Pool(config);
  const readTimeoutMs = options.readTimeoutMs ?? 60_000;
  pool.on('connect', (client) => {
    // pg emits 'error' on a client whose connection ends unexpectedly, even while a query is under
    // way (that query fails too). The pool listens only on idle clients: on a checked-out one the
    // error went unheard and took the process down (F11: a reset of the link to PostgreSQL killed
    // timeline-projector). The query's failure is what callers act on; the client is no longer
    // queryable and the pool drops it on release.
    client.on('error', () => undefined);
    if (readTimeoutMs > 0) giveUpSilentQueries(client, readTimeoutMs);
  });
  return pool;
}

/** pg's own state of a client: no public API says whether a query awaits an answer. */
interface ClientInternals {
  connection?: { stream?: Socket };
  activeQuery?: unknown;
  queryQueue?: unknown[];
}

function giveUpSilentQueries(client: PoolClient, ms: number): void {
  const internals = client as unknown as ClientInternals;
  const stream = internals.connection?.stream;
  if (!stream) return;
  // Inactivity of the socket either way; a query written re-arms it. An idle client is left alone.
  stream.setTimeout(ms);
  stream.on('timeout', () => {
    if (internals.activeQuery == null && (internals.queryQueue?.length ?? 0) === 0) return;
    stream.destroy(new Error(`no answer from PostgreSQL within ${ms} ms`));
  });
}
