import { ensurePostgresCheckpointSchema } from '@hub/event-store';
import { TIMELINE_PROJECTION_ID } from '../timeline.projector';
import { ReplayError } from './replay.errors';
import { ProgressMeter, type ProgressEstimate, type ProgressSample } from './replay-progress';
import { diffTimelines, type TimelineDiff } from './timeline-diff';
import { countMatchingEvents, TimelineRebuild, type ReplayDeps } from './timeline-rebuild';
import { liveSchema } from './timeline-tables';
import { takeOver, type TakeoverResult } from './timeline-takeover';

export interface ReplayOptions {
  /** Only this tenant's customers (stream prefix `customer-<tenant>.`); every customer otherwise. */
  tenantId?: string;
  /** Compare the live timeline entries with the rebuild's. */
  diff: boolean;
  /** Replace the live read model with the rebuild, in one transaction: all of it by swapping the tables, one tenant's rows by copying them. */
  takeover: boolean;
  /** Keep the rebuild schema afterwards (dropped by default, also after a failure); after a swap it holds the replaced tables. */
  keep: boolean;
  /** Let an empty rebuild replace a non-empty live read model. */
  allowEmpty: boolean;
  /** The live projection's checkpoint id. */
  projectionId: string;
  /** Customers listed in detail by the diff (the counts cover all). */
  diffLimit: number;
  /** Events per projector transaction. */
  batchSize: number;
  /** How long the takeover tries to lock the live tables (in attempts of 50 ms to 2 s) before giving up unchanged. */
  lockTimeoutMs: number;
  /** How long the last catch-up, under the lock, may take. */
  catchUpTimeoutMs: number;
}

export const DEFAULT_REPLAY_OPTIONS: ReplayOptions = {
  diff: false,
  takeover: false,
  keep: false,
  allowEmpty: false,
  projectionId: TIMELINE_PROJECTION_ID,
  diffLimit: 20,
  batchSize: 500,
  lockTimeoutMs: 30_000,
  catchUpTimeoutMs: 120_000,
};

export interface ReplayReport {
  schema: string;
  kept: boolean;
  tenantId: string | null;
  rebuild: { events: number; seconds: number; eventsPerSecond: number; upTo: bigint };
  diff?: TimelineDiff;
  takeover?: TakeoverResult;
}

/** What a replay tells its caller as it goes (the CLI prints it, the query API records it). */
export type ReplayEvent =
  /** The rebuild schema exists; `total` customer events up to `head` are to be projected. */
  | { type: 'started'; schema: string; tenantId: string | null; total: number; head: bigint }
  /** About every second while rebuilding. */
  | { type: 'progress'; sample: ProgressSample; estimate: ProgressEstimate; total: number }
  | { type: 'rebuilt'; rebuild: ReplayReport['rebuild'] }
  | { type: 'diffing' }
  | { type: 'diffed'; diff: TimelineDiff }
  /** About to take over: a swap makes readers and the live projector wait milliseconds; a copy, the projector only, for the copy. */
  | { type: 'taking_over' }
  | { type: 'took_over'; takeover: TakeoverResult }
  /** The rebuild schema stays (`keep`): after a swap, with the replaced tables in it. */
  | { type: 'kept'; schema: string };

export type ReplayStage = 'rebuilding' | 'diffing' | 'taking_over' | 'finished';

export interface ReplayRunOptions {
  /** Stops the replay at its next safe point (a rebuild after its transaction; never inside the takeover's). */
  signal?: AbortSignal;
  onEvent?: (event: ReplayEvent) => void;
  progressIntervalMs?: number;
}

/** True when the two read models agree on everything compared. */
export const noDifferences = (d: TimelineDiff): boolean => d.missing === 0 && d.extra === 0 && d.changed === 0;

/**
 * The replay, for the `hub replay` CLI and the query API alike: rebuild the timeline read model side
 * by side from position 0, then optionally compare it with the live one and take it over atomically
 * (see docs/operations.md, "hub replay"). The rebuild schema is dropped at the end unless `keep`,
 * after a failure too. Serialising replays is the caller's (`tryAdvisoryLock(…, TIMELINE_REPLAY_LOCK)`).
 */
export async function runTimelineReplay(deps: ReplayDeps, o: ReplayOptions, run: ReplayRunOptions = {}): Promise<ReplayReport> {
  const emit = (event: ReplayEvent): void => run.onEvent?.(event);
  const live = await liveSchema(deps.pool);
  // The live projection's checkpoint is read (and set) in hub_checkpoints: a database where the
  // projector never ran has no such table yet.
  await ensurePostgresCheckpointSchema(deps.pool);
  const head = await deps.store.headPosition();
  const total = await countMatchingEvents(deps.store, o.tenantId, head);
  const rebuild = await TimelineRebuild.create(deps, {
    ...(o.tenantId ? { tenantId: o.tenantId } : {}),
    batchSize: o.batchSize,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  const stopIfAborted = (what: string): void => {
    if (run.signal?.aborted) throw new ReplayError('REPLAY_INTERRUPTED', `stopped before ${what}; the live read model is unchanged`);
  };
  try {
    emit({ type: 'started', schema: rebuild.schema, tenantId: o.tenantId ?? null, total, head });
    const meter = new ProgressMeter(Date.now, { done: 0, position: 0n });
    const caught = await rebuild.catchUp({
      ...(run.progressIntervalMs !== undefined ? { progressIntervalMs: run.progressIntervalMs } : {}),
      onProgress: (sample) => emit({ type: 'progress', sample, estimate: meter.estimate(sample), total }),
    });
    const report: ReplayReport = {
      schema: rebuild.schema,
      kept: o.keep,
      tenantId: o.tenantId ?? null,
      rebuild: { ...caught, eventsPerSecond: caught.seconds > 0 ? Math.round(caught.events / caught.seconds) : caught.events },
    };
    emit({ type: 'rebuilt', rebuild: report.rebuild });
    if (o.diff) {
      stopIfAborted('the diff');
      emit({ type: 'diffing' });
      report.diff = await diffTimelines(deps.pool, deps.store, {
        liveSchema: live,
        rebuildSchema: rebuild.schema,
        rebuiltUpTo: caught.upTo,
        projectionId: o.projectionId,
        limit: o.diffLimit,
        notProjected: rebuild.columnsNotProjected['timeline_entries'] ?? [],
        ...(o.tenantId ? { tenantId: o.tenantId } : {}),
      });
      emit({ type: 'diffed', diff: report.diff });
    }
    if (o.takeover) {
      stopIfAborted('the takeover');
      emit({ type: 'taking_over' });
      report.takeover = await takeOver(deps.pool, rebuild, {
        liveSchema: live,
        projectionId: o.projectionId,
        lockTimeoutMs: o.lockTimeoutMs,
        catchUpTimeoutMs: o.catchUpTimeoutMs,
        allowEmpty: o.allowEmpty,
      });
      emit({ type: 'took_over', takeover: report.takeover });
    }
    return report;
  } finally {
    if (o.keep) {
      await rebuild.release();
      emit({ type: 'kept', schema: rebuild.schema });
    } else {
      await rebuild.drop();
    }
  }
}
