import { createHash } from 'node:crypto';
import { Pool, escapeIdentifier, escapeLiteral, type PoolClient } from 'pg';
import {
  ConcurrencyError,
  DEFAULT_READ_ALL_MAX_COUNT,
  EventStoreUnavailableError,
  IdempotencyConflictError,
  InvalidEventError,
  StreamNotFoundError,
  assertDistinctStreams,
  type AppendResult,
  type StreamAppend,
  type StreamAppendOutcome,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type EventCount,
  type EventPosition,
  type EventRange,
  type StreamLastMatch,
  type StreamMetadata,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionFilter,
} from './event-store.port';
import {
  isEventId,
  validateAppend,
  validateExpectedRevision,
  validateFromRevision,
  validateMaxCount,
  validateStreamMetadata,
  validateStreamName,
  type ValidatedEvent,
} from './event-validation';
import { PostgresNotificationListener, type NotificationListener } from './postgres.notification-listener';
import { PostgresSubscription, type PostgresScan } from './postgres.subscription';
import {
  DEFAULT_SUBSCRIPTION_RETRY,
  matchesFilter,
  validateFilter,
  validateSubscribeOptions,
  type RetrySettings,
  type ValidatedSubscribeOptions,
} from './subscription-support';

/**
 * The event store on PostgreSQL (13+: needs xid8 and pg_current_snapshot()).
 *
 * Tables (`<schema>.<prefix>hub_events`, `<schema>.<prefix>hub_streams`, created by
 * `ensurePostgresEventStoreSchema`, which `PostgresEventStore.create` runs):
 * - `hub_events` is the append-only log: one row per event, `global_position` from a sequence,
 *   `transaction_id` = the writing transaction's id (xid8). A trigger refuses UPDATE, and DELETE of
 *   rows written by another transaction.
 * - `hub_streams` holds each stream's last revision; its row is the per-stream write lock.
 *
 * One append is one call: `<prefix>hub_append(…)`, a PL/pgSQL function `ensurePostgresEventStoreSchema`
 * creates, does all of it server-side, so `appendToStream` is one statement in its own transaction
 * (one round trip, a prepared statement: no begin/commit), and `appendToStreams` the same for many
 * streams. `appendInTransaction` runs the same call inside the caller's transaction. Inside:
 * 1. The transaction's id and all of the call's global positions are taken together under a short
 *    global advisory lock, so transaction ids and positions are handed out in the same order (see
 *    "readAll" below for why). This must be the transaction's first write (error 55000 otherwise).
 *    The lock is session-level and released at once; the one exception block of the function only
 *    guards it (a statement cancelled in between must not leave it held) and, entered before the
 *    transaction writes, it assigns no subtransaction id.
 * 2. Stream by stream, in name order (two calls over the same streams lock them in the same order,
 *    so they cannot deadlock), one statement locks the `hub_streams` row, checks the expected
 *    revision against the committed one and advances it: `insert … on conflict (stream_name) do
 *    update … where <expected holds> returning` when the stream may be new, else `update … where
 *    <expected holds> returning`. Writers of one stream queue on that row. No row back: refused.
 * 3. One `insert into hub_events … on conflict (event_id) do nothing` for the events of every
 *    accepted stream, counted per stream. Where some ids were already stored, that stream's rows
 *    just inserted are deleted again, its revision put back, and its append ends as a duplicate
 *    (every id stored in this stream: `duplicate: true`, nothing written) or as an
 *    `IdempotencyConflictError` (only part of the batch stored, or stored in another stream). A
 *    concurrent writer of the same id is waited for by the insert, so it ends the same way, never
 *    as a unique-violation crash. A refused stream (that, or a `ConcurrencyError`) writes nothing
 *    and leaves the other streams of the call written: the function returns one row per stream,
 *    which the adapter maps to a result or a typed error.
 * 4. In a caller's transaction (`appendInTransaction`), `pg_notify(<channel>, '')` when anything was
 *    written (sent on commit). `appendToStream(s)` do not notify in the append's transaction: a
 *    transaction that notifies takes PostgreSQL's cluster-wide notification lock at commit and holds
 *    it through its WAL flush, which serialised every append's commit (measured: ten writers went
 *    from ~1,500 to ~270 commits/s). They notify after commit instead, from their own statement
 *    (asynchronous commit: it writes nothing to lose), at most one in flight per store: appends
 *    committing meanwhile share the next one.
 * A transient conflict (deadlock, serialization failure, unique violation) rolls the whole call
 * back and the adapter runs it again (at most five times).
 *
 * readAll only returns events of transactions older than every transaction still running
 * (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`, the Marten/Emmett/Eventuous
 * technique). On its own that filter is not enough for a reader that checkpoints by global
 * position: a transaction that got its id first but its positions last could commit before one that
 * got a smaller position and is still running, and the reader would move past the smaller position
 * for good. Step 1 rules that out: positions are in transaction-id order, so what readAll returns is
 * always a prefix of the log that later commits only extend. The cost is a global lock held for a
 * few microseconds per call (no round trip inside), and that an open writing transaction anywhere in
 * the cluster holds readAll back until it ends. The reservation is `hub_reserve_positions(n)`, the one
 * place that takes this lock: `hub_append` calls it (and so do processes of an older version during
 * a rolling upgrade).
 *
 * Subscriptions (`subscribeToAll`) read that same prefix, page by page. Appends that write notify
 * (see step 4 above; channel `hub_events`, or `hub_events.<schema>.<prefix>` for other tables), which wakes them
 * through one LISTEN connection per store; they also poll (`subscriptionPollIntervalMs`), because a
 * notification is lost while that connection is down, and an event can become visible without one
 * (when the unrelated transaction that held readAll back ends). Filters are applied in SQL over a
 * bounded window of the log, and the cursor moves past filtered-out events (see
 * `postgres.subscription.ts`). Stream metadata is the `metadata` column of `hub_streams`.
 */

export interface PostgresEventStoreTables {
  /** PostgreSQL schema of the tables (created when missing). Default `public`. */
  schema?: string;
  /** Prefix of the table names, e.g. `tenant1_` → `tenant1_hub_events`. Default none. */
  tablePrefix?: string;
}

export interface PostgresEventStoreOptions extends PostgresEventStoreTables {
  /** Size of the pool the store opens when given a connection string. Default 10. */
  maxConnections?: number;
  /** A subscription at the end of the log reads again after this long when no notification woke it. Default 500 ms. */
  subscriptionPollIntervalMs?: number;
  /**
   * The shortest time between two reads of a subscription at the end of the log, and between two
   * notifications this store sends: a wake-up sooner than that waits for the rest of it, so at a low
   * rate of appends a read (and a wake-up of every listening process) carries the appends of a few
   * milliseconds instead of one each. Catching up (full pages) is not slowed. Default 0 (none).
   */
  subscriptionMinGapMs?: number;
  /** Backoff of subscriptions (and of the LISTEN connection) after a failure. Default 100 ms doubling to 5 s. */
  subscriptionRetry?: RetrySettings;
}

export type CreatePostgresEventStoreOptions = PostgresEventStoreOptions &
  (
    | { /** A pool the caller owns: `close()` leaves it open. */ pool: Pool; connectionString?: never }
    | { /** The store opens its own pool and `close()` ends it. */ connectionString: string; pool?: never }
  );

/** At most this many attempts when PostgreSQL reports a transient conflict (see `isTransientConflict`). */
const MAX_APPEND_ATTEMPTS = 5;
const MAX_BIGINT = '9223372036854775807';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,30}$/;

interface SqlNames {
  schema: string;
  events: string;
  streams: string;
  sequence: string;
  reservePositions: string;
  append: string;
  guardFunction: string;
  guardTrigger: string;
  guardTriggerName: string;
  eventIdKey: string;
  streamRevisionKey: string;
  /** Key text of the advisory lock that orders position reservations. */
  positionLockKey: string;
  /** LISTEN/NOTIFY channel that appends notify (a channel name, not quoted). */
  notifyChannel: string;
  checkpoints: string;
  /** Fencing tokens of leader locks (`whileLeader`): one epoch per lock name. */
  leaderEpochs: string;
}

function sqlNames(tables: PostgresEventStoreTables = {}): SqlNames {
  const schemaName = tables.schema ?? 'public';
  const prefix = tables.tablePrefix ?? '';
  if (!IDENTIFIER.test(schemaName)) throw new RangeError(`schema must match ${IDENTIFIER}, not ${JSON.stringify(schemaName)}`);
  if (prefix !== '' && !IDENTIFIER.test(prefix))
    throw new RangeError(`tablePrefix must match ${IDENTIFIER}, not ${JSON.stringify(prefix)}`);
  const schema = escapeIdentifier(schemaName);
  const q = (name: string): string => `${schema}.${escapeIdentifier(`${prefix}${name}`)}`;
  return {
    schema,
    events: q('hub_events'),
    streams: q('hub_streams'),
    sequence: q('hub_events_global_position_seq'),
    reservePositions: q('hub_reserve_positions'),
    append: q('hub_append'),
    guardFunction: q('hub_events_append_only'),
    guardTrigger: escapeIdentifier(`${prefix}hub_events_append_only`),
    guardTriggerName: `${prefix}hub_events_append_only`,
    eventIdKey: escapeIdentifier(`${prefix}hub_events_event_id_key`),
    streamRevisionKey: escapeIdentifier(`${prefix}hub_events_stream_revision_key`),
    positionLockKey: `hub.event-store.positions:${schemaName}.${prefix}`,
    notifyChannel: notifyChannel(schemaName, prefix),
    checkpoints: q('hub_checkpoints'),
    leaderEpochs: q('hub_leader_epochs'),
  };
}

/** `hub_events` for the default tables; else named after schema and prefix, hashed past PostgreSQL's 63-byte limit. */
function notifyChannel(schemaName: string, prefix: string): string {
  if (schemaName === 'public' && prefix === '') return 'hub_events';
  const channel = `hub_events.${schemaName}.${prefix}`;
  return channel.length <= 63 ? channel : `hub_events.${createHash('sha256').update(`${schemaName}.${prefix}`).digest('hex').slice(0, 40)}`;
}

/** Table names of the event store (and of the checkpoint store beside it). */
export { sqlNames as postgresSqlNames };

/**
 * Does this database hold a PostgreSQL event store (its events and streams tables)? Creates
 * nothing: for an operator's tool that must tell a mistyped DATABASE_URL from an empty hub.
 */
export async function postgresEventStoreExists(pool: Pool, tables: PostgresEventStoreTables = {}): Promise<boolean> {
  const n = sqlNames(tables);
  const { rows } = await pool.query<{ present: boolean }>('select to_regclass($1) is not null and to_regclass($2) is not null as present', [
    n.events,
    n.streams,
  ]);
  return rows[0]?.present === true;
}

/**
 * Does any stream of this PostgreSQL event store have a name starting with `prefix` (plain prefix)?
 * One look at the streams table, not the log: for an operator's tool that must tell a mistyped
 * tenant from one with no events (`postgresEventStoreExists` first: the table must be there).
 */
export async function postgresStreamsExist(pool: Pool, prefix: string, tables: PostgresEventStoreTables = {}): Promise<boolean> {
  const n = sqlNames(tables);
  const { rows } = await pool.query<{ known: boolean }>(
    `select exists (select 1 from ${n.streams} where starts_with(stream_name, $1)) as known`,
    [prefix],
  );
  return rows[0]?.known === true;
}

/**
 * Creates the event store's tables, trigger and function when missing: idempotent, and safe to run
 * from several processes at once (serialised by a transaction-scoped advisory lock). Never drops or
 * alters anything that exists.
 */
export async function ensurePostgresEventStoreSchema(pool: Pool, tables: PostgresEventStoreTables = {}): Promise<void> {
  await runDdl(pool, postgresEventStoreDdl(tables));
}

/** The DDL `ensurePostgresEventStoreSchema` runs (idempotent): also version 1 of the store's migrations. */
export function postgresEventStoreDdl(tables: PostgresEventStoreTables = {}): string {
  const n = sqlNames(tables);
  return `
    create schema if not exists ${n.schema};

    create table if not exists ${n.streams} (
      stream_name text primary key,
      -- last revision of the stream; -1 = no event yet (metadata only, or left by a refused append)
      revision bigint not null,
      metadata jsonb
    );

    create table if not exists ${n.events} (
      global_position bigserial primary key,
      stream_name text not null,
      stream_revision bigint not null,
      event_id uuid not null,
      event_type text not null,
      data jsonb not null,
      metadata jsonb not null,
      created_at timestamptz not null default now(),
      transaction_id xid8 not null default pg_current_xact_id(),
      constraint ${n.eventIdKey} unique (event_id),
      constraint ${n.streamRevisionKey} unique (stream_name, stream_revision)
    );

    create or replace function ${n.reservePositions}(batch_size integer) returns bigint[]
    language plpgsql volatile as $fn$
    declare
      reserved bigint[];
    begin
      if pg_current_xact_id_if_assigned() is not null then
        raise exception 'hub event store: an append must be the first write of its transaction (transaction % has already written)',
          pg_current_xact_id_if_assigned() using errcode = '55000';
      end if;
      -- Transaction id and positions are taken under one lock: positions follow transaction-id order.
      perform pg_advisory_lock(hashtextextended(${escapeLiteral(n.positionLockKey)}, 0));
      begin
        perform pg_current_xact_id();
        reserved := array(select nextval(${escapeLiteral(n.sequence)}::regclass) from generate_series(1, batch_size));
      exception when others then
        perform pg_advisory_unlock(hashtextextended(${escapeLiteral(n.positionLockKey)}, 0));
        raise;
      end;
      perform pg_advisory_unlock(hashtextextended(${escapeLiteral(n.positionLockKey)}, 0));
      return reserved;
    end
    $fn$;

    -- The whole append of one or more streams, in one call (see "One append is one call" above).
    -- p_expected per stream: a revision >= 0, or -1 no_stream, -2 any, -3 stream_exists. Events of
    -- stream i are p_ids[s_i .. s_i + p_counts[i] - 1] (and the same slice of the other arrays), in
    -- request order. One row per stream comes back: outcome written | duplicate | concurrency |
    -- partial_batch | stored_in_other_stream.
    create or replace function ${n.append}(
      p_streams text[], p_expected bigint[], p_counts integer[],
      p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[], p_notify boolean
    ) returns table (stream_index integer, outcome text, next_revision bigint, last_position bigint, stored_event_ids uuid[])
    language plpgsql volatile as $fn$
    declare
      v_total integer := coalesce(cardinality(p_ids), 0);
      v_positions bigint[];
      v_starts integer[] := '{}';
      -- Per stream: its revision before this append, null when it was refused before inserting.
      v_current bigint[] := '{}';
      v_inserted bigint[];
      v_next integer := 1;
      v_stream record;
      v_i integer;
      v_lo integer;
      v_hi integer;
      v_count integer;
      v_expected bigint;
      v_old bigint;
      v_actual bigint;
      v_written boolean := false;
      v_elsewhere uuid[];
      v_stored uuid[];
      v_revision bigint;
      v_position bigint;
    begin
      for v_i in 1 .. coalesce(cardinality(p_streams), 0) loop
        v_starts[v_i] := v_next;
        v_next := v_next + p_counts[v_i];
      end loop;
      if v_next - 1 <> v_total or v_total = 0 or cardinality(p_expected) <> cardinality(p_streams)
         or cardinality(p_types) <> v_total or cardinality(p_data) <> v_total or cardinality(p_metadata) <> v_total then
        raise exception 'hub event store: malformed append (% events, counts add up to %)', v_total, v_next - 1 using errcode = '22023';
      end if;

      -- Transaction id and positions taken together, under the one lock, by the one function that
      -- does it (which also refuses an append that is not its transaction's first write).
      v_positions := ${n.reservePositions}(v_total);

      -- Each stream's row locked, its expected revision checked against the committed one and its
      -- revision advanced, in one statement per stream, in name order: two calls sharing streams
      -- lock them in the same order (no deadlock). Writers of one stream queue here.
      for v_stream in select s.name, s.idx::integer as idx from unnest(p_streams) with ordinality as s(name, idx) order by s.name loop
        v_i := v_stream.idx;
        v_count := p_counts[v_i];
        v_expected := p_expected[v_i];
        v_old := null;
        if v_expected in (-1, -2) then
          -- May be new. (On conflict, a refused stream's row is locked but not updated: no row back.)
          insert into ${n.streams} as s (stream_name, revision) values (v_stream.name, v_count - 1)
          on conflict (stream_name) do update set revision = s.revision + v_count where v_expected = -2 or s.revision < 0
          returning s.revision - v_count into v_old;
        else
          -- Must exist: a refused append leaves no row behind.
          update ${n.streams} s set revision = s.revision + v_count
          where s.stream_name = v_stream.name and ((v_expected = -3 and s.revision >= 0) or s.revision = v_expected)
          returning s.revision - v_count into v_old;
        end if;
        v_current[v_i] := v_old;
      end loop;

      -- The events of every accepted stream in one insert; ids stored already are skipped (a
      -- concurrent writer of the same id is waited for), and counted below.
      with inserted as (
        insert into ${n.events} (global_position, stream_name, stream_revision, event_id, event_type, data, metadata)
        select v_positions[k], s.name, v_current[s.idx] + 1 + (k - v_starts[s.idx]), p_ids[k], p_types[k], p_data[k], p_metadata[k]
        from unnest(p_streams) with ordinality as s(name, idx)
        cross join lateral generate_series(v_starts[s.idx], v_starts[s.idx] + p_counts[s.idx] - 1) as k
        where v_current[s.idx] is not null
        on conflict (event_id) do nothing
        returning stream_name
      ), counted as (
        select stream_name, count(*) as n from inserted group by stream_name
      )
      select array(
        select coalesce(c.n, 0) from unnest(p_streams) with ordinality as s(name, idx) left join counted c on c.stream_name = s.name order by s.idx
      ) into v_inserted;

      for v_i in 1 .. cardinality(p_streams) loop
        v_lo := v_starts[v_i];
        v_count := p_counts[v_i];
        v_hi := v_lo + v_count - 1;
        stream_index := v_i;
        stored_event_ids := null;
        next_revision := null;
        last_position := null;
        if v_current[v_i] is not null and v_inserted[v_i] = v_count then
          v_written := true;
          outcome := 'written';
          next_revision := v_current[v_i] + v_count;
          last_position := v_positions[v_hi];
          return next;
          continue;
        end if;

        if v_current[v_i] is not null then
          -- Some ids are stored already: take back what this stream's append inserted, and its revision.
          if v_inserted[v_i] > 0 then
            delete from ${n.events} e where e.global_position = any(v_positions[v_lo:v_hi]);
          end if;
          update ${n.streams} s set revision = v_current[v_i] where s.stream_name = p_streams[v_i];
          v_actual := v_current[v_i];
        else
          select s.revision into v_actual from ${n.streams} s where s.stream_name = p_streams[v_i];
          if not found then
            v_actual := -1;
          end if;
        end if;

        -- Not written. A retry of a stored batch (say after a lost reply) is a duplicate, whatever
        -- the expected revision; some ids stored is an idempotency conflict; none, a concurrency conflict.
        select array_agg(e.event_id) filter (where e.stream_name <> p_streams[v_i]), array_agg(e.event_id), max(e.stream_revision), max(e.global_position)
          into v_elsewhere, v_stored, v_revision, v_position
          from ${n.events} e where e.event_id = any(p_ids[v_lo:v_hi]);
        if v_stored is null then
          outcome := 'concurrency';
          next_revision := v_actual;
        elsif v_elsewhere is not null then
          outcome := 'stored_in_other_stream';
          stored_event_ids := v_elsewhere;
        elsif cardinality(v_stored) < v_count then
          outcome := 'partial_batch';
          stored_event_ids := v_stored;
        else
          outcome := 'duplicate';
          next_revision := v_revision;
          last_position := v_position;
        end if;
        return next;
      end loop;

      -- Wakes subscribers; sent on commit only, and only when something was written. Only for a
      -- caller's transaction (p_notify): a notifying commit holds PostgreSQL's cluster-wide
      -- notification lock through its WAL flush, so appends on their own notify after commit instead.
      if v_written and p_notify then
        perform pg_notify(${escapeLiteral(n.notifyChannel)}, '');
      end if;
    end
    $fn$;

    create or replace function ${n.guardFunction}() returns trigger
    language plpgsql as $fn$
    begin
      -- An append may take back its own rows before it commits; nothing else may change the log.
      if tg_op = 'DELETE' and old.transaction_id = pg_current_xact_id() then
        return old;
      end if;
      raise exception 'hub event store: % is append-only (% refused)', tg_table_name, tg_op using errcode = '55000';
    end
    $fn$;

    do $do$
    begin
      if not exists (select 1 from pg_trigger where tgrelid = ${escapeLiteral(n.events)}::regclass and tgname = ${escapeLiteral(n.guardTriggerName)}) then
        create trigger ${n.guardTrigger} before update or delete on ${n.events}
          for each row execute function ${n.guardFunction}();
      end if;
    end
    $do$;
  `;
}

/**
 * Runs `ddl` in a transaction under one advisory lock shared by every event-store schema:
 * concurrent `create … if not exists` can otherwise fail on the catalog's unique indexes.
 */
/**
 * Run DDL in a transaction under one cluster-wide advisory lock: `create … if not exists` is not
 * safe when several processes boot at once on a fresh database (they race to the catalog: a
 * duplicate key on pg_type). Every component's schema setup goes through here.
 */
export async function runDdl(pool: Pool, ddl: string): Promise<void> {
  const client = await connect(pool);
  let broken: Error | undefined;
  try {
    await client.query('begin');
    try {
      await client.query(`select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0))`);
      await client.query(ddl);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    }
  } catch (err) {
    throw mapPgError(err);
  } finally {
    client.release(broken);
  }
}

interface EventRow {
  global_position: string;
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: Record<string, unknown> | null;
  created_at: Date;
}

interface ScanRow extends Omit<EventRow, 'global_position'> {
  /** Null on the one row of a scan that matched nothing. */
  global_position: string | null;
  scanned: number;
  high_water: string | null;
  head: string;
}

/** A subscription's page of the whole log: the events, each row with the head; one row of nulls but the head when there are none. */
interface PageRow extends Omit<EventRow, 'global_position'> {
  global_position: string | null;
  head: string;
}

/** One row of `hub_append` per stream (numbers as text: whatever type parsers the process installed). */
interface AppendRow {
  stream_index: number;
  outcome: 'written' | 'duplicate' | 'concurrency' | 'partial_batch' | 'stored_in_other_stream';
  next_revision: string | null;
  last_position: string | null;
  stored_event_ids: string[] | null;
}

/** One stream's validated part of an append. */
interface ValidatedAppend {
  stream: string;
  expected: ExpectedRevision;
  batch: readonly ValidatedEvent[];
}

export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly names: SqlNames;
  private readonly subscriptionSettings: { pollIntervalMs: number; minGapMs: number; retry: RetrySettings };
  private readonly subscriptions = new Set<PostgresSubscription>();
  private listener: PostgresNotificationListener | undefined;
  /** Wakes subscribers (of every process) after appends commit: see the file comment. */
  private readonly notifier: CoalescingNotifier;
  private closed = false;
  private readonly sql: {
    append: { name: string; text: string };
    notify: { name: string; text: string };
    streamRevision: string;
    readLast: string;
    readForwards: string;
    readBackwards: string;
    readAll: string;
    readEvent: string;
    page: string;
    scan: string;
    setMetadata: string;
    getMetadata: string;
    head: string;
  };

  /**
   * Does not create the tables: use `PostgresEventStore.create` (or `ensurePostgresEventStoreSchema`
   * once, e.g. in a migration step). Given a connection string, the store opens its own pool and
   * `close()` ends it; given a pool, `close()` leaves the pool to its owner.
   */
  constructor(poolOrConnectionString: Pool | string, options: PostgresEventStoreOptions = {}) {
    const n = sqlNames(options);
    this.names = n;
    const pollIntervalMs = options.subscriptionPollIntervalMs ?? 500;
    if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1)
      throw new RangeError(`subscriptionPollIntervalMs must be a positive integer, not ${pollIntervalMs}`);
    const retry = options.subscriptionRetry ?? DEFAULT_SUBSCRIPTION_RETRY;
    if (!(retry.initialMs >= 1 && retry.maxMs >= retry.initialMs)) throw new RangeError('subscriptionRetry needs 1 <= initialMs <= maxMs');
    const minGapMs = options.subscriptionMinGapMs ?? 0;
    if (!Number.isSafeInteger(minGapMs) || minGapMs < 0 || minGapMs > pollIntervalMs)
      throw new RangeError(`subscriptionMinGapMs must be an integer from 0 to subscriptionPollIntervalMs, not ${minGapMs}`);
    this.subscriptionSettings = { pollIntervalMs, minGapMs, retry };
    if (typeof poolOrConnectionString === 'string') {
      this.pool = new Pool({
        connectionString: poolOrConnectionString,
        max: options.maxConnections ?? 10,
        connectionTimeoutMillis: 10_000,
      });
      // An idle client losing its connection is reported on the pool; without a listener that
      // would crash the process. The pool drops the client; the next query reconnects.
      this.pool.on('error', () => undefined);
      this.ownsPool = true;
    } else {
      this.pool = poolOrConnectionString;
      this.ownsPool = false;
    }
    const columns = 'global_position, stream_name, stream_revision, event_id, event_type, data, metadata, created_at';
    this.sql = {
      append: namedStatement(`
        select stream_index, outcome, next_revision::text, last_position::text, stored_event_ids::text[]
        from ${n.append}($1::text[], $2::bigint[], $3::integer[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[], $8::boolean)`),
      // Its own transaction, which writes nothing else: no need to wait for its commit record's flush.
      notify: namedStatement(`select set_config('synchronous_commit', 'off', true), pg_notify(${escapeLiteral(n.notifyChannel)}, '')`),
      streamRevision: `select revision from ${n.streams} where stream_name = $1`,
      // A lateral probe per stream reads one index entry each; `distinct on (stream_name) … where
      // stream_name = any($1)` reads every event of those streams (100 streams: ~50× slower).
      readLast: `
        select ${columns
          .split(', ')
          .map((c) => `e.${c}`)
          .join(', ')}
        from unnest($1::text[]) as s(name)
        cross join lateral (select ${columns} from ${n.events} where stream_name = s.name order by stream_revision desc limit 1) e`,
      readForwards: `select ${columns} from ${n.events} where stream_name = $1 and stream_revision >= $2::bigint order by stream_revision limit $3`,
      readBackwards: `select ${columns} from ${n.events} where stream_name = $1 and stream_revision <= $2::bigint order by stream_revision desc limit $3`,
      readAll: `
        select ${columns} from ${n.events}
        where global_position > $1::bigint and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        order by global_position
        limit $2`,
      readEvent: `select ${columns} from ${n.events} where event_id = $1::uuid`,
      // readAll's page for an unfiltered subscription, with the head (see PostgresScan) in the same
      // statement: one round trip per poll. One row of nulls (but the head) when nothing is visible.
      page: `
        with page as materialized (
          select ${columns} from ${n.events}
          where global_position > $1::bigint and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          order by global_position
          limit $2
        )
        select h.head, ${columns
          .split(', ')
          .map((c) => `p.${c}`)
          .join(', ')}
        from (select coalesce(max(global_position), 0)::text as head from ${n.events}) h
        left join page p on true
        order by p.global_position`,
      // The first $2 visible events after $1 (same prefix of the log as readAll), of which those
      // matching the filter ($3 LIKE patterns, $4 types; null = any) are returned, at most $5. One
      // row always comes back: with the number looked at and the last position looked at (the
      // high-water mark), and null event columns when nothing matched.
      scan: `
        with scan as materialized (
          select global_position, stream_name, event_type from ${n.events}
          where global_position > $1::bigint and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          order by global_position
          limit $2
        ), picked as (
          select global_position from scan
          where ($3::text[] is null or stream_name like any($3::text[]))
            and ($4::text[] is null or event_type = any($4::text[]))
          order by global_position
          limit $5
        ), window_bounds as (
          select count(*)::integer as scanned, max(global_position)::text as high_water,
                 (select coalesce(max(global_position), 0) from ${n.events})::text as head
          from scan
        )
        select b.scanned, b.high_water, b.head, ${columns
          .split(', ')
          .map((c) => `e.${c}`)
          .join(', ')}
        from window_bounds b
        left join (picked p join ${n.events} e on e.global_position = p.global_position) on true
        order by e.global_position`,
      setMetadata: `
        insert into ${n.streams} (stream_name, revision, metadata) values ($1, -1, $2::jsonb)
        on conflict (stream_name) do update set metadata = excluded.metadata`,
      getMetadata: `select metadata from ${n.streams} where stream_name = $1`,
      head: `select coalesce(max(global_position), 0)::text as head from ${n.events}`,
    };
    const notify = this.sql.notify;
    this.notifier = new CoalescingNotifier(async () => {
      await this.pool.query(notify);
    }, minGapMs);
  }

  /** Runs `ensurePostgresEventStoreSchema`, then returns the store. */
  static async create(options: CreatePostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options.pool ?? options.connectionString, options);
    try {
      await ensurePostgresEventStoreSchema(store.pool, options);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    const batch = validateAppend(stream, events);
    const [outcome] = await this.appendAutocommit([{ stream, expected, batch }]);
    if (!outcome) throw new Error('hub event store: the append returned no outcome');
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /**
   * The append of `appendToStream`, inside a transaction the caller opened on `client` and will
   * commit or roll back: to write other rows (an outbox, a projection) atomically with the events.
   * It must be the transaction's first write (PostgreSQL error 55000 otherwise; see the file
   * comment for why), and at most one append per transaction. On `ConcurrencyError` or
   * `IdempotencyConflictError` the transaction is still usable and nothing of the batch is in it.
   * While the transaction stays open, `readAll` readers everywhere wait for it: keep it short.
   */
  async appendInTransaction(
    client: PoolClient,
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    const batch = validateAppend(stream, events);
    let outcome: StreamAppendOutcome | undefined;
    try {
      [outcome] = toOutcomes(
        [{ stream, expected, batch }],
        (await client.query<AppendRow>(this.appendQuery([{ stream, expected, batch }], true))).rows,
      );
    } catch (err) {
      throw mapPgError(err);
    }
    if (!outcome) throw new Error('hub event store: the append returned no outcome');
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = validateFromRevision(options.fromRevision);
    const maxCount = validateMaxCount(options.maxCount);
    if (maxCount === 0) return [];
    try {
      const rows = backwards
        ? await this.pool.query<EventRow>(this.sql.readBackwards, [stream, (from ?? MAX_BIGINT).toString(), maxCount ?? null])
        : await this.pool.query<EventRow>(this.sql.readForwards, [stream, (from ?? 0n).toString(), maxCount ?? null]);
      if (rows.rows.length > 0) return rows.rows.map(toRecordedEvent);
      const head = await this.pool.query<{ revision: string }>(this.sql.streamRevision, [stream]);
      const revision = head.rows[0] ? BigInt(head.rows[0].revision) : -1n;
      if (revision < 0n) throw new StreamNotFoundError(stream);
      return [];
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /**
   * Every stream in one call of `hub_append`, one transaction: positions reserved once, streams
   * locked in name order, each stream's outcome its own (a refused stream writes nothing and leaves
   * the others written).
   */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    // Every batch is checked before anything is written.
    assertDistinctStreams(appends);
    const validated = appends.map((a): ValidatedAppend => {
      const expected = a.expectedRevision ?? 'any';
      validateExpectedRevision(expected);
      return { stream: a.stream, expected, batch: validateAppend(a.stream, a.events) };
    });
    if (validated.length === 0) return [];
    return this.appendAutocommit(validated);
  }

  /** One query: a backwards probe of the (stream, revision) index per stream (measured: see docs/benchmarks.md). */
  async readLastEvents(streams: readonly string[]): Promise<Map<string, RecordedEvent>> {
    const unique = [...new Set(streams)];
    if (unique.length === 0) return new Map();
    try {
      const { rows } = await this.pool.query<EventRow>(this.sql.readLast, [unique]);
      return new Map(rows.map((row) => [row.stream_name, toRecordedEvent(row)]));
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = validateMaxCount(options.maxCount) ?? DEFAULT_READ_ALL_MAX_COUNT;
    if (maxCount === 0) return [];
    const after = options.after ?? 0n;
    try {
      const rows = await this.pool.query<EventRow>(this.sql.readAll, [after.toString(), maxCount]);
      return rows.rows.map(toRecordedEvent);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async lastMatchingEvents(filter: SubscriptionFilter & { eventTypes: readonly string[] }): Promise<StreamLastMatch[]> {
    const where = validateFilter(filter);
    if (where.eventTypes === undefined) throw new RangeError('lastMatchingEvents needs filter.eventTypes');
    try {
      const { rows } = await this.pool.query<{ stream_name: string; event_id: string; event_type: string; position: string }>(
        // Ordered by the column, a number: the output's `position` is text (ORDER BY would take an
        // output column of the same name first, and '982' sorts after '1566').
        `select distinct on (e.stream_name) e.stream_name, e.event_id::text as event_id, e.event_type, e.global_position::text as position
           from ${this.names.events} e
          where ($1::text[] is null or e.stream_name like any($1::text[])) and e.event_type = any($2::text[])
          order by e.stream_name, e.global_position desc`,
        [where.streamPrefixes?.map(likePrefixPattern) ?? null, where.eventTypes],
      );
      return rows.map((r) => ({ streamName: r.stream_name, eventId: r.event_id, type: r.event_type, globalPosition: BigInt(r.position) }));
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async countEvents(range: EventRange = {}): Promise<EventCount> {
    const where = validateFilter(range.filter);
    try {
      const { rows } = await this.pool.query<{ n: string; last: string | null }>(
        `select count(*)::text as n, max(e.global_position)::text as last
           from ${this.names.events} e
          where ($1::bigint is null or e.global_position > $1::bigint) and ($2::bigint is null or e.global_position <= $2::bigint)
            and ($3::text[] is null or e.stream_name like any($3::text[])) and ($4::text[] is null or e.event_type = any($4::text[]))`,
        [
          range.after?.toString() ?? null,
          range.upTo?.toString() ?? null,
          where.streamPrefixes?.map(likePrefixPattern) ?? null,
          where.eventTypes ?? null,
        ],
      );
      const last = rows[0]?.last;
      return { count: Number(rows[0]?.n ?? '0'), lastPosition: last == null ? undefined : BigInt(last) };
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async readPositions(range: EventRange & { maxCount?: number } = {}): Promise<EventPosition[]> {
    const where = validateFilter(range.filter);
    const maxCount = validateMaxCount(range.maxCount) ?? DEFAULT_READ_ALL_MAX_COUNT;
    if (maxCount === 0) return [];
    try {
      const { rows } = await this.pool.query<{ stream_name: string; event_id: string; event_type: string; position: string }>(
        `select e.stream_name, e.event_id::text as event_id, e.event_type, e.global_position::text as position
           from ${this.names.events} e
          where ($1::bigint is null or e.global_position > $1::bigint) and ($2::bigint is null or e.global_position <= $2::bigint)
            and ($3::text[] is null or e.stream_name like any($3::text[])) and ($4::text[] is null or e.event_type = any($4::text[]))
          order by e.global_position
          limit $5`,
        [
          range.after?.toString() ?? null,
          range.upTo?.toString() ?? null,
          where.streamPrefixes?.map(likePrefixPattern) ?? null,
          where.eventTypes ?? null,
          maxCount,
        ],
      );
      return rows.map((r) => ({ streamName: r.stream_name, eventId: r.event_id, type: r.event_type, globalPosition: BigInt(r.position) }));
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async readEvent(eventId: string, filter?: SubscriptionFilter): Promise<RecordedEvent | undefined> {
    const where = validateFilter(filter);
    if (!isEventId(eventId)) return undefined;
    try {
      const { rows } = await this.pool.query<EventRow>(this.sql.readEvent, [eventId]);
      const event = rows[0] ? toRecordedEvent(rows[0]) : undefined;
      return event && matchesFilter(where, event.streamName, event.type) ? event : undefined;
    } catch (err) {
      throw mapPgError(err);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const validated = validateSubscribeOptions(options);
    if (this.closed) throw new EventStoreUnavailableError('PostgreSQL event store is closed');
    const subscription = new PostgresSubscription(
      {
        scan: (after, scanLimit, maxEvents, filter) => this.scan(after, scanLimit, maxEvents, filter),
        listen: (listener) => this.listen(listener),
      },
      validated,
      this.subscriptionSettings,
    );
    this.subscriptions.add(subscription);
    return subscription.start(() => this.subscriptions.delete(subscription));
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    validateStreamName(stream);
    const json = validateStreamMetadata(metadata);
    try {
      await this.pool.query(this.sql.setMetadata, [stream, json]);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata | undefined> {
    validateStreamName(stream);
    try {
      const { rows } = await this.pool.query<{ metadata: StreamMetadata | null }>(this.sql.getMetadata, [stream]);
      return rows[0]?.metadata ?? undefined;
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /** Stops every subscription of this store (waiting for batches in flight), then ends the pool if the store owns it. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.listener?.close();
    await this.notifier.settled();
    if (this.ownsPool) await this.pool.end();
  }

  private listen(listener: NotificationListener): () => Promise<void> {
    this.listener ??= new PostgresNotificationListener(
      this.pool.options,
      this.names.notifyChannel,
      this.subscriptionSettings.retry,
      mapPgError,
    );
    return this.listener.add(listener);
  }

  /** The port's name for `head()`. */
  headPosition(): Promise<bigint> {
    return this.head();
  }

  /** Global position of the last committed event (0n for an empty log), visible to readers or not. */
  async head(): Promise<bigint> {
    try {
      const { rows } = await this.pool.query<{ head: string }>(this.sql.head);
      return BigInt(rows[0]?.head ?? '0');
    } catch (err) {
      throw mapPgError(err);
    }
  }

  private async scan(
    after: bigint,
    scanLimit: number,
    maxEvents: number,
    filter: Pick<ValidatedSubscribeOptions, 'streamPrefixes' | 'eventTypes'>,
  ): Promise<PostgresScan> {
    try {
      if (filter.streamPrefixes === undefined && filter.eventTypes === undefined) {
        // Every event matches: readAll's single pass (scanLimit = maxEvents here).
        const { rows } = await this.pool.query<PageRow>(this.sql.page, [after.toString(), Math.min(scanLimit, maxEvents)]);
        const events: RecordedEvent[] = [];
        for (const row of rows)
          if (row.global_position !== null) events.push(toRecordedEvent({ ...row, global_position: row.global_position }));
        return { events, scanned: events.length, highWater: events.at(-1)?.globalPosition, head: BigInt(rows[0]?.head ?? '0') };
      }
      const { rows } = await this.pool.query<ScanRow>(this.sql.scan, [
        after.toString(),
        scanLimit,
        filter.streamPrefixes?.map(likePrefixPattern) ?? null,
        filter.eventTypes ?? null,
        maxEvents,
      ]);
      const bounds = rows[0];
      const events: RecordedEvent[] = [];
      for (const row of rows)
        if (row.global_position !== null) events.push(toRecordedEvent({ ...row, global_position: row.global_position }));
      return {
        events,
        scanned: bounds?.scanned ?? 0,
        highWater: bounds?.high_water == null ? undefined : BigInt(bounds.high_water),
        head: BigInt(bounds?.head ?? '0'),
      };
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /**
   * One statement, its own transaction (no begin/commit round trips): retried as a whole when
   * PostgreSQL reports a transient conflict, which rolled all of it back.
   */
  private async appendAutocommit(appends: readonly ValidatedAppend[]): Promise<StreamAppendOutcome[]> {
    const query = this.appendQuery(appends, false);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = toOutcomes(appends, (await this.pool.query<AppendRow>(query)).rows);
        if (outcomes.some((o) => o.ok && !o.result.duplicate)) this.notifier.poke();
        return outcomes;
      } catch (err) {
        if (attempt < MAX_APPEND_ATTEMPTS && isTransientConflict(err)) continue;
        throw mapPgError(err);
      }
    }
  }

  private appendQuery(appends: readonly ValidatedAppend[], notify: boolean): { name: string; text: string; values: unknown[] } {
    const streams: string[] = [];
    const expected: string[] = [];
    const counts: number[] = [];
    const ids: string[] = [];
    const types: string[] = [];
    const data: string[] = [];
    const metadata: string[] = [];
    for (const a of appends) {
      streams.push(a.stream);
      expected.push(encodeExpected(a.expected));
      counts.push(a.batch.length);
      for (const e of a.batch) {
        ids.push(e.eventId);
        types.push(e.type);
        data.push(e.dataJson);
        metadata.push(e.metadataJson);
      }
    }
    return { ...this.sql.append, values: [streams, expected, counts, ids, types, data, metadata, notify] };
  }
}

/**
 * Sends a notification after appends committed, at most one at a time: a poke while one is in
 * flight asks for exactly one more after it (which every append committed by then precedes). With
 * `minGapMs`, a send starts no sooner than that after the previous one started, the pokes meanwhile
 * answered by that one send. A failed send is dropped: subscribers also poll.
 */
export class CoalescingNotifier {
  private inFlight: Promise<void> | undefined;
  private again = false;
  private lastSentAt = -Infinity;

  constructor(
    private readonly send: () => Promise<void>,
    private readonly minGapMs = 0,
  ) {}

  poke(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.run();
  }

  /** Resolves once no notification is in flight. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private async run(): Promise<void> {
    do {
      const wait = this.lastSentAt + this.minGapMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.again = false;
      this.lastSentAt = performance.now();
      await this.send().catch(() => undefined);
    } while (this.again);
    this.inFlight = undefined;
  }
}

/** `hub_append`'s encoding of an expected revision: the revision, or -1 no_stream, -2 any, -3 stream_exists. */
function encodeExpected(expected: ExpectedRevision): string {
  switch (expected) {
    case 'no_stream':
      return '-1';
    case 'any':
      return '-2';
    case 'stream_exists':
      return '-3';
    default:
      return expected.toString();
  }
}

/** `hub_append`'s rows (one per stream, in lock order) as outcomes in request order. */
function toOutcomes(appends: readonly ValidatedAppend[], rows: readonly AppendRow[]): StreamAppendOutcome[] {
  const out: (StreamAppendOutcome | undefined)[] = new Array(appends.length);
  for (const row of rows) {
    const a = appends[row.stream_index - 1];
    if (!a) throw new Error(`hub event store: hub_append returned stream ${row.stream_index} of ${appends.length}`);
    out[row.stream_index - 1] = toOutcome(a, row);
  }
  return out.map((o, i) => {
    if (!o) throw new Error(`hub event store: hub_append returned no outcome for stream ${appends[i]!.stream}`);
    return o;
  });
}

function toOutcome(a: ValidatedAppend, row: AppendRow): StreamAppendOutcome {
  const bigint = (value: string | null): bigint => {
    if (value === null)
      throw new Error(`hub event store: hub_append returned ${row.outcome} without a revision and position for ${a.stream}`);
    return BigInt(value);
  };
  switch (row.outcome) {
    case 'written':
    case 'duplicate':
      return {
        ok: true,
        result: {
          nextExpectedRevision: bigint(row.next_revision),
          position: bigint(row.last_position),
          duplicate: row.outcome === 'duplicate',
        },
      };
    case 'concurrency': {
      const current = bigint(row.next_revision);
      return { ok: false, error: new ConcurrencyError(a.stream, a.expected, current < 0n ? 'no_stream' : current) };
    }
    case 'partial_batch':
    case 'stored_in_other_stream':
      return { ok: false, error: new IdempotencyConflictError(a.stream, row.outcome, row.stored_event_ids ?? []) };
    default: {
      const unknown: never = row.outcome;
      throw new Error(`hub event store: hub_append returned an unknown outcome ${String(unknown)}`);
    }
  }
}

/** A prepared statement, named after its text: parsed once per connection, then only bound and run. */
function namedStatement(text: string): { name: string; text: string } {
  return { name: `hub_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
}

/** `prefix` as a LIKE pattern matching names that start with it (its own `%`, `_` and `\` taken literally). */
function likePrefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamName: row.stream_name,
    eventId: row.event_id,
    type: row.event_type,
    data: row.data,
    metadata: row.metadata ?? {},
    revision: BigInt(row.stream_revision),
    globalPosition: BigInt(row.global_position),
    createdAt: row.created_at,
  };
}

async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw mapPgError(err);
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Deadlock (two batches sharing ids in opposite order), serialization failure, or a unique
 * violation the stream lock should have prevented (a writer that bypassed it): the transaction was
 * rolled back and running it again ends in a clean outcome (written, duplicate, or a typed error).
 */
function isTransientConflict(err: unknown): boolean {
  const code = errorCode(err);
  return code === '40P01' || code === '40001' || code === '23505';
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, query_canceled (timeouts). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const CONNECTION_MESSAGES =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|connection error and is not queryable|database system is (starting up|shutting down)|Cannot use a pool after calling end/i;

function isUnavailable(err: unknown): boolean {
  if (err instanceof AggregateError && err.errors.some(isUnavailable)) return true;
  const code = errorCode(err);
  if (code !== undefined && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return err instanceof Error && CONNECTION_MESSAGES.test(err.message);
}

/** Typed store errors pass through; the rest becomes `EventStoreUnavailableError` when it is about reaching the database. */
export function mapPgError(err: unknown): unknown {
  if (err instanceof ConcurrencyError || err instanceof StreamNotFoundError || err instanceof IdempotencyConflictError) return err;
  if (err instanceof InvalidEventError || err instanceof EventStoreUnavailableError) return err;
  if (isUnavailable(err)) {
    return new EventStoreUnavailableError(
      `PostgreSQL event store unavailable: ${err instanceof Error ? err.message || errorCode(err) : String(err)}`,
      err,
    );
  }
  // Data exceptions the validation did not foresee (jsonb limits, …): the events are refused.
  const code = errorCode(err);
  if (code === '22P02' || code === '22P05' || code === '54000') {
    return new InvalidEventError(`PostgreSQL refused the events: ${err instanceof Error ? err.message : String(err)}`);
  }
  return err;
}
