import { escapeIdentifier, type Pool } from 'pg';
import { customerStream } from '@hub/contracts';
import { PostgresCheckpointStore } from '@hub/event-store';
import { PostgresTimelineStore, TimelineProjector, type ProjectorLogger } from '@hub/timeline';
import type { CliContext } from '../cli-context';
import { CliFailure, InterruptedError } from '../cli.errors';
import type { ProgressLine } from '../progress-line';
import { ObservedEventStore } from './observed-event-store';
import { ensureLiveReadModel } from './timeline-tables';

/** The rebuild's own processor id; its checkpoint lives in the rebuild schema and goes with it. */
export const REBUILD_SUBSCRIPTION_ID = 'timeline.rebuild';

/** A handler failing this many times in a row, with nothing projected in between, ends the rebuild. */
const MAX_FAILURES_IN_A_ROW = 20;

/** `timeline_rebuild_20261123151700`: 31 characters, the longest schema name the checkpoint store accepts. */
export function rebuildSchemaName(at: Date): string {
  return `timeline_rebuild_${at.toISOString().replace(/\D/g, '').slice(0, 14)}`;
}

export async function headPosition(pool: Pool): Promise<bigint> {
  const r = await pool.query<{ head: string }>('select coalesce(max(global_position), 0)::text as head from public.hub_events');
  return BigInt(r.rows[0]!.head);
}

export interface CatchUpResult {
  /** Events handed to the projector in this catch-up (handled types and ignored ones). */
  events: number;
  seconds: number;
  /** Head of the log when the catch-up started: everything up to it is in the rebuild. */
  upTo: bigint;
}

/**
 * A timeline read model rebuilt side by side with the live one: a schema of its own, the same
 * tables (`PostgresTimelineStore.ensureSchema` through a pool whose search_path is that schema),
 * a `TimelineProjector` with its own subscription id reading the customer streams from position 0
 * through the decrypting store, exactly as the live projector does.
 */
export class TimelineRebuild {
  readonly pool: Pool;
  private checkpoints!: PostgresCheckpointStore;
  private readonly timeline: PostgresTimelineStore;

  private constructor(
    private readonly ctx: CliContext,
    readonly schema: string,
    readonly tenantId: string | undefined,
    private readonly batchSize: number,
  ) {
    this.pool = ctx.schemaPool(schema);
    this.timeline = new PostgresTimelineStore(this.pool);
  }

  /** Creates `timeline_rebuild_<UTC timestamp>` (the next free second if taken) and its tables. */
  static async create(ctx: CliContext, o: { tenantId?: string; batchSize: number; now?: Date }): Promise<TimelineRebuild> {
    await ensureLiveReadModel(ctx.pool);
    const start = (o.now ?? new Date()).getTime();
    for (let attempt = 0; ; attempt++) {
      const schema = rebuildSchemaName(new Date(start + attempt * 1000));
      try {
        await ctx.pool.query(`create schema ${escapeIdentifier(schema)}`);
      } catch (err) {
        if ((err as { code?: string }).code === '42P06' && attempt < 10) continue; // duplicate_schema
        throw err;
      }
      const rebuild = new TimelineRebuild(ctx, schema, o.tenantId, o.batchSize);
      await rebuild.timeline.ensureSchema();
      rebuild.checkpoints = await PostgresCheckpointStore.create({ pool: rebuild.pool, schema });
      return rebuild;
    }
  }

  /** The stream prefix the rebuild follows: one tenant's customers, or every customer. */
  get streamPrefix(): string {
    return this.tenantId ? customerStream(this.tenantId, '') : 'customer-';
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
   * Interrupted by the CLI's abort signal; fails after `MAX_FAILURES_IN_A_ROW` handler failures
   * with no progress (the projector itself would retry for ever) or after `timeoutMs`.
   */
  async catchUp(o: { progress?: ProgressLine; timeoutMs?: number; until?: { position: bigint; covers: bigint } } = {}): Promise<CatchUpResult> {
    const started = Date.now();
    const upTo = o.until?.covers ?? (await headPosition(this.ctx.pool));
    let events = 0;
    let failures = 0;
    let lastFailure = '';
    const store = new ObservedEventStore((await this.ctx.stores()).store, (batch) => {
      events += batch.length;
      failures = 0;
    });
    const logger: ProjectorLogger = {
      info: (obj, msg) => this.ctx.logger.info({ ...obj, schema: this.schema }, msg),
      warn: (obj, msg) => {
        if (msg === 'projector.subscription.retrying') {
          failures++;
          lastFailure = String((obj as { err?: unknown }).err ?? '');
        }
        this.ctx.logger.warn({ ...obj, schema: this.schema }, msg);
      },
      error: (obj, msg) => this.ctx.logger.error({ ...obj, schema: this.schema }, msg),
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
    o.progress?.start(async () => ({ done: events, position: subscription.position, head: await headPosition(this.ctx.pool) }));
    try {
      const deadline = o.timeoutMs === undefined ? undefined : started + o.timeoutMs;
      // Bounded: ends when caught up, interrupted, failing, or past the deadline.
      while (!done()) {
        if (this.ctx.io.signal?.aborted) throw new InterruptedError(`rebuild stopped at position ${subscription.position} after ${events} events`);
        if (failures >= MAX_FAILURES_IN_A_ROW) throw new CliFailure('CLI_REBUILD_FAILED', `the rebuild failed ${failures} times in a row at position ${subscription.position}: ${lastFailure}`);
        if (deadline !== undefined && Date.now() > deadline) throw new CliFailure('CLI_REBUILD_TIMEOUT', `the rebuild did not catch up within ${o.timeoutMs} ms (at position ${subscription.position})`);
        await Promise.race([subscription.caughtUp.catch(() => undefined), new Promise((r) => setTimeout(r, o.until ? 20 : 200))]);
      }
    } finally {
      await projector.stop();
      o.progress?.stop(done() ? { done: events, position: upTo, head: upTo } : undefined);
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
    const pattern = `${this.streamPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const r = await this.ctx.pool.query<{ p: string | null }>(
      'select max(global_position)::text as p from public.hub_events where global_position > $1::bigint and global_position <= $2::bigint and stream_name like $3',
      [after.toString(), upTo.toString(), pattern],
    );
    return r.rows[0]?.p == null ? undefined : BigInt(r.rows[0].p);
  }

  async drop(): Promise<void> {
    await this.ctx.pool.query(`drop schema if exists ${escapeIdentifier(this.schema)} cascade`);
  }
}
