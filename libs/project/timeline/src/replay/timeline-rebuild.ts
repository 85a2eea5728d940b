import { escapeIdentifier, type Pool } from 'pg';
import { customerStream } from '@hub/contracts';
import { PostgresCheckpointStore, type EventStore } from '@hub/event-store';
import { PostgresTimelineStore, TIMELINE_TABLES } from '../postgres.timeline.store';
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
 * Its transactions commit with `synchronous_commit = off` (no wait for the WAL flush): a rebuild is
 * never resumed — a crashed run's schema is dropped (`ReplayJobs`; the CLI drops it on failure) —
 * and a crash of PostgreSQL loses the last asynchronous commits whole, rows and checkpoint together.
 * (Loading it UNLOGGED and building the readers' indexes after the load was tried and measured: the
 * SET LOGGED rewrite and the index builds cost what they saved; docs/benchmarks.md, "Session 7".)
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
  static async create(
    deps: ReplayDeps,
    o: { tenantId?: string; batchSize: number; now?: Date; signal?: AbortSignal },
  ): Promise<TimelineRebuild> {
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
          void this.deps.store.headPosition().then(
            (head) => onProgress({ done: events, position: subscription.position, head }),
            () => undefined,
          );
        }, o.progressIntervalMs ?? 1_000)
      : undefined;
    timer?.unref();
    try {
      const deadline = o.timeoutMs === undefined ? undefined : started + o.timeoutMs;
      // Bounded: ends when caught up, interrupted, failing, or past the deadline.
      while (!done()) {
        if (this.signal?.aborted)
          throw new ReplayError('REPLAY_INTERRUPTED', `rebuild stopped at position ${subscription.position} after ${events} events`);
        if (failures >= MAX_FAILURES_IN_A_ROW)
          throw new ReplayError(
            'REPLAY_REBUILD_FAILED',
            `the rebuild failed ${failures} times in a row at position ${subscription.position}: ${lastFailure}`,
          );
        if (deadline !== undefined && Date.now() > deadline)
          throw new ReplayError(
            'REPLAY_REBUILD_TIMEOUT',
            `the rebuild did not catch up within ${o.timeoutMs} ms (at position ${subscription.position})`,
          );
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
    return (await this.deps.store.countEvents({ after, upTo, filter: { streamPrefixes: [this.streamPrefix] } })).lastPosition;
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

/** How many events of the streams a rebuild follows are in the log up to `upTo`: what a rebuild from 0 projects. */
export async function countMatchingEvents(store: EventStore, tenantId: string | undefined, upTo: bigint): Promise<number> {
  return (await store.countEvents({ upTo, filter: { streamPrefixes: [rebuildStreamPrefix(tenantId)] } })).count;
}

/** Drops a rebuild schema left behind by a run that did not finish (a crash). Only rebuild schema names are accepted. */
export async function dropRebuildSchema(pool: Pool, schema: string): Promise<void> {
  if (!isRebuildSchemaName(schema)) throw new RangeError(`not a rebuild schema: ${JSON.stringify(schema)}`);
  await pool.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`);
}
