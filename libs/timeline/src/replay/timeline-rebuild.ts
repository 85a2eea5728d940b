import { escapeIdentifier, type Pool } from 'pg';
import { customerStream } from '@hub/contracts';
import { PostgresCheckpointStore, type EventStore } from '@hub/event-store';
import { APPLY_INDEXES, PostgresTimelineStore, TIMELINE_TABLES } from '../postgres.timeline.store';
import { TimelineProjector, type ProjectorLogger } from '../timeline.projector';
import { ObservedEventStore } from './observed-event-store';
import { ReplayError } from './replay.errors';
import type { ProgressSample } from './replay-progress';
import { columnsByTable, createTablesLike, ensureLiveReadModel, liveSchema, qualified } from './timeline-tables';

/** The rebuild's own processor id; its checkpoint lives in the rebuild schema and goes with it. */
export const REBUILD_SUBSCRIPTION_ID = 'timeline.rebuild';

/** A handler failing this many times in a row, with nothing projected in between, ends the rebuild. */
const MAX_FAILURES_IN_A_ROW = 20;

/** What a replay runs on; the caller owns (and closes) all of it but the schema pools it opens. */
export interface ReplayDeps {
  /** The hub's database: event store, checkpoints and the live read model (the connection's default schema). */
  pool: Pool;
  /** A new pool whose connections see `schema` first (`search_path`): the rebuild's tables. The replay ends it. */
  openSchemaPool(schema: string): Pool;
  /** The store to read, as the live projector does: the decrypting one, so personal fields come out opened. */
  store: EventStore;
  logger: ProjectorLogger;
}

/** `timeline_rebuild_20261123151700`: 31 characters, the longest schema name the checkpoint store accepts. */
export function rebuildSchemaName(at: Date): string {
  return `timeline_rebuild_${at.toISOString().replace(/\D/g, '').slice(0, 14)}`;
}

/** True for a schema name a rebuild made (and only such a name is ever dropped by name). */
export const isRebuildSchemaName = (name: string): boolean => /^timeline_rebuild_\d{14}$/.test(name);

export interface CatchUpResult {
  /** Events handed to the projector in this catch-up (handled types and ignored ones). */
  events: number;
  seconds: number;
  /** Head of the log when the catch-up started: everything up to it is in the rebuild. */
  upTo: bigint;
}

export interface CatchUpOptions {
  /** Called about every `progressIntervalMs` (default 1 s) while projecting. */
  onProgress?: (sample: ProgressSample) => void;
  progressIntervalMs?: number;
  timeoutMs?: number;
  until?: { position: bigint; covers: bigint };
}

/**
 * A timeline read model rebuilt side by side with the live one: a schema of its own, the same
 * tables (copies of the live ones, `createTablesLike`: same columns, indexes and index names,
 * constraints, owner and privileges, so that a takeover can swap them in; written through a pool
 * whose search_path is that schema),
 * a `TimelineProjector` with its own subscription id reading the customer streams from position 0
 * through the decrypting store, exactly as the live projector does.
 *
 * Loaded as a bulk load: its tables are private until a takeover, and a rebuild that does not
 * finish is never resumed (a crashed run's schema is dropped, `ReplayJobs`; the CLI drops it on
 * failure), so until `finishLoad` the tables (and the rebuild's checkpoint table) are UNLOGGED, the
 * non-unique indexes only readers use (`APPLY_INDEXES` are the others) are not there, and its
 * transactions commit with `synchronous_commit = off`. A database crash empties unlogged tables
 * and their checkpoint together, and loses the last asynchronous commits of all of them at once:
 * never a checkpoint ahead of its rows. `finishLoad` sets the tables LOGGED (a rewrite, WAL-logged)
 * and builds the deferred indexes under their live names: the tables then have the live ones' shape
 * again, as a takeover by swap requires.
 */
export class TimelineRebuild {
  readonly pool: Pool;
  private checkpoints!: PostgresCheckpointStore;
  private readonly timeline: PostgresTimelineStore;
  private poolEnded = false;
  /**
   * Columns the live tables have and this version's store does not create (added by another
   * component): copied into the rebuild's tables, but nothing projects them — they keep their
   * default. Left out of the diff; the takeover reports them.
   */
  readonly columnsNotProjected: Record<string, string[]> = {};
  /** Until `finishLoad`: the tables set UNLOGGED for the load, and the indexes to build after it (`create index` statements). */
  private load: { unlogged: string[]; deferredIndexes: { name: string; ddl: string }[] } | undefined;

  private constructor(
    private readonly deps: ReplayDeps,
    readonly schema: string,
    readonly tenantId: string | undefined,
    private readonly batchSize: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.pool = deps.openSchemaPool(schema);
    // Only this rebuild's writes: a crash loses its last commits, and a crashed rebuild is dropped.
    this.pool.on('connect', (client) => {
      client.query('set synchronous_commit = off').catch(() => undefined);
    });
    this.timeline = new PostgresTimelineStore(this.pool);
  }

  /** Creates `timeline_rebuild_<UTC timestamp>` (the next free second if taken) and its tables, like the live ones. */
  static async create(deps: ReplayDeps, o: { tenantId?: string; batchSize: number; now?: Date; signal?: AbortSignal }): Promise<TimelineRebuild> {
    await ensureLiveReadModel(deps.pool);
    const live = await liveSchema(deps.pool);
    const start = (o.now ?? new Date()).getTime();
    for (let attempt = 0; ; attempt++) {
      const schema = rebuildSchemaName(new Date(start + attempt * 1000));
      try {
        await deps.pool.query(`create schema ${escapeIdentifier(schema)}`);
      } catch (err) {
        if ((err as { code?: string }).code === '42P06' && attempt < 10) continue; // duplicate_schema
        throw err;
      }
      const rebuild = new TimelineRebuild(deps, schema, o.tenantId, o.batchSize, o.signal);
      try {
        // The store's own tables first, to learn which columns it writes; then copies of the live ones.
        await rebuild.timeline.ensureSchema();
        const projected = await columnsByTable(deps.pool, schema);
        await deps.pool.query(`drop table ${TIMELINE_TABLES.map((t) => qualified(schema, t)).join(', ')}`);
        await createTablesLike(deps.pool, live, schema);
        const copied = await columnsByTable(deps.pool, schema);
        for (const [table, columns] of Object.entries(copied)) {
          const extra = columns.filter((c) => !projected[table]?.includes(c));
          if (extra.length) rebuild.columnsNotProjected[table] = extra;
        }
        // No DDL: the live tables, copied, already have every column this version's store writes.
        await rebuild.timeline.ensureSchema();
        rebuild.checkpoints = await PostgresCheckpointStore.create({ pool: rebuild.pool, schema });
        rebuild.load = await prepareBulkLoad(deps.pool, schema);
      } catch (err) {
        await rebuild.drop().catch(() => undefined);
        throw err;
      }
      return rebuild;
    }
  }

  /** The stream prefix the rebuild follows: one tenant's customers, or every customer. */
  get streamPrefix(): string {
    return rebuildStreamPrefix(this.tenantId);
  }

  /** Everything up to this global position is in the rebuild (its checkpoint). */
  async position(): Promise<bigint | undefined> {
    return this.checkpoints.load(REBUILD_SUBSCRIPTION_ID);
  }

  /**
   * Projects from the rebuild's checkpoint (0 the first time), then stops:
   * - by default once caught up with the log as it was when this call started (its head);
   * - with `until`, once the event at `until.position` is projected; the rebuild then covers the
   *   log up to `until.covers` (the caller knows no matching event lies between the two).
   * Interrupted by the abort signal; fails after `MAX_FAILURES_IN_A_ROW` handler failures with no
   * progress (the projector itself would retry for ever) or after `timeoutMs`.
   */
  async catchUp(o: CatchUpOptions = {}): Promise<CatchUpResult> {
    const started = Date.now();
    const upTo = o.until?.covers ?? (await this.deps.store.headPosition());
    let events = 0;
    let failures = 0;
    let lastFailure = '';
    const store = new ObservedEventStore(this.deps.store, (batch) => {
      events += batch.length;
      failures = 0;
    });
    const log = this.deps.logger;
    const logger: ProjectorLogger = {
      info: (obj, msg) => log.info({ ...obj, schema: this.schema }, msg),
      warn: (obj, msg) => {
        if (msg === 'projector.subscription.retrying') {
          failures++;
          lastFailure = String((obj as { err?: unknown }).err ?? '');
        }
        log.warn({ ...obj, schema: this.schema }, msg);
      },
      error: (obj, msg) => log.error({ ...obj, schema: this.schema }, msg),
    };
    const projector = new TimelineProjector({
      store,
      timeline: this.timeline,
      checkpoints: this.checkpoints,
      subscriptionId: REBUILD_SUBSCRIPTION_ID,
      ...(this.tenantId ? { streamPrefix: this.streamPrefix } : {}),
      fromWhenNoCheckpoint: 0n,
      batchSize: this.batchSize,
      logger,
    });
    const subscription = await projector.start();
    const done = (): boolean => (o.until ? subscription.position >= o.until.position : subscription.isCaughtUp);
    const onProgress = o.onProgress;
    const timer = onProgress
      ? setInterval(() => {
          // A failed sample (the database busy) only skips one report.
          void this.deps.store.headPosition().then((head) => onProgress({ done: events, position: subscription.position, head }), () => undefined);
        }, o.progressIntervalMs ?? 1_000)
      : undefined;
    timer?.unref();
    try {
      const deadline = o.timeoutMs === undefined ? undefined : started + o.timeoutMs;
      // Bounded: ends when caught up, interrupted, failing, or past the deadline.
      while (!done()) {
        if (this.signal?.aborted) throw new ReplayError('REPLAY_INTERRUPTED', `rebuild stopped at position ${subscription.position} after ${events} events`);
        if (failures >= MAX_FAILURES_IN_A_ROW) throw new ReplayError('REPLAY_REBUILD_FAILED', `the rebuild failed ${failures} times in a row at position ${subscription.position}: ${lastFailure}`);
        if (deadline !== undefined && Date.now() > deadline) throw new ReplayError('REPLAY_REBUILD_TIMEOUT', `the rebuild did not catch up within ${o.timeoutMs} ms (at position ${subscription.position})`);
        await Promise.race([subscription.caughtUp.catch(() => undefined), new Promise((r) => setTimeout(r, o.until ? 20 : 200))]);
      }
    } finally {
      if (timer) clearInterval(timer);
      await projector.stop();
    }
    // Every matching event up to `upTo` is applied, so the checkpoint may move there: the next
    // catch-up starts from it instead of re-scanning the log (for a tenant with no events since).
    const at = await this.position();
    if (at === undefined || at < upTo) await this.checkpoints.save(REBUILD_SUBSCRIPTION_ID, upTo);
    return { events, seconds: (Date.now() - started) / 1000, upTo };
  }

  /**
   * The last event the rebuild follows in (after, upTo]: what it must have projected to cover the
   * log up to `upTo`. Undefined when there is none. Reads only that range of positions.
   */
  async lastMatchingPosition(after: bigint, upTo: bigint): Promise<bigint | undefined> {
    const r = await this.deps.pool.query<{ p: string | null }>(
      'select max(global_position)::text as p from public.hub_events where global_position > $1::bigint and global_position <= $2::bigint and stream_name like $3',
      [after.toString(), upTo.toString(), likePattern(this.streamPrefix)],
    );
    return r.rows[0]?.p == null ? undefined : BigInt(r.rows[0].p);
  }

  /**
   * Ends the bulk load (see the class): the tables and the checkpoint table LOGGED again, then the
   * deferred indexes built. Once; a no-op after. Call before comparing or taking over (both do).
   */
  async finishLoad(): Promise<{ seconds: number }> {
    const started = Date.now();
    const load = this.load;
    if (!load) return { seconds: 0 };
    // Logged first: `set logged` rewrites a table with its indexes, so those built after are built once.
    for (const table of load.unlogged) await this.deps.pool.query(`alter table ${qualified(this.schema, table)} set logged`);
    for (const index of load.deferredIndexes) await this.deps.pool.query(index.ddl);
    this.load = undefined;
    return { seconds: (Date.now() - started) / 1000 };
  }

  /** Ends the rebuild's pool and keeps its schema (`--keep`). */
  async release(): Promise<void> {
    if (this.poolEnded) return;
    this.poolEnded = true;
    await this.pool.end();
  }

  /** Ends the rebuild's pool and drops its schema. */
  async drop(): Promise<void> {
    await this.release().catch(() => undefined);
    await this.deps.pool.query(`drop schema if exists ${escapeIdentifier(this.schema)} cascade`);
  }
}

/** The streams a rebuild follows: one tenant's customers, or every customer. */
export const rebuildStreamPrefix = (tenantId: string | undefined): string => (tenantId ? customerStream(tenantId, '') : 'customer-');

/** `LIKE` pattern for names starting with `prefix`. */
const likePattern = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** How many events of the streams a rebuild follows are in the log up to `upTo`: what a rebuild from 0 projects. */
export async function countMatchingEvents(pool: Pool, tenantId: string | undefined, upTo: bigint): Promise<number> {
  const r = await pool.query<{ n: string }>('select count(*)::text as n from public.hub_events where global_position <= $1::bigint and stream_name like $2', [
    upTo.toString(),
    likePattern(rebuildStreamPrefix(tenantId)),
  ]);
  return Number(r.rows[0]!.n);
}

/** Drops a rebuild schema left behind by a run that did not finish (a crash). Only rebuild schema names are accepted. */
export async function dropRebuildSchema(pool: Pool, schema: string): Promise<void> {
  if (!isRebuildSchemaName(schema)) throw new RangeError(`not a rebuild schema: ${JSON.stringify(schema)}`);
  await pool.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`);
}

/**
 * Turns a new rebuild schema's tables into a bulk load's (see `TimelineRebuild`): every logged table
 * of the schema (the timeline tables, the checkpoint table) UNLOGGED, and every non-unique index that
 * backs no constraint and that the apply does not read through dropped. Returns what `finishLoad` undoes.
 */
async function prepareBulkLoad(pool: Pool, schema: string): Promise<{ unlogged: string[]; deferredIndexes: { name: string; ddl: string }[] }> {
  const indexes = await pool.query<{ name: string; ddl: string }>(
    `select i.relname as name, pg_get_indexdef(x.indexrelid) as ddl
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = any($2::text[]) and not x.indisunique and not x.indisprimary
        and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid)
        and i.relname <> all($3::text[])
      order by i.relname`,
    [schema, [...TIMELINE_TABLES], [...APPLY_INDEXES]],
  );
  for (const index of indexes.rows) await pool.query(`drop index ${qualified(schema, index.name)}`);
  const tables = await pool.query<{ relname: string }>(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r' and c.relpersistence = 'p' order by c.relname`,
    [schema],
  );
  for (const t of tables.rows) await pool.query(`alter table ${qualified(schema, t.relname)} set unlogged`);
  return { unlogged: tables.rows.map((t) => t.relname), deferredIndexes: indexes.rows };
}
