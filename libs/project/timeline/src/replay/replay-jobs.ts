import { randomUUID } from 'node:crypto';
import { TIMELINE_REPLAY_LOCK, tryAdvisoryLock, type HeldAdvisoryLock } from '../advisory-lock';
import { ReplayError } from './replay.errors';
import { PostgresReplayRuns, type ReplayRun, type ReplayRunError, type ReplayRunProgress } from './replay-runs';
import { dropRebuildSchema, isRebuildSchemaName, type ReplayDeps } from './timeline-rebuild';
import { runTimelineReplay, type ReplayEvent, type ReplayOptions } from './timeline-replay';

export const TIMELINE_REPLAYS = Symbol('TIMELINE_REPLAYS');

/** Another replay holds the lock (here or in another process: an API instance, `hub replay`). */
export class ReplayAlreadyRunningError extends ReplayError {
  constructor(readonly runningId: string | undefined) {
    super(
      'REPLAY_ALREADY_RUNNING',
      runningId
        ? `replay ${runningId} is running; one replay at a time`
        : 'another replay is running against this database (hub replay, or another API instance); one replay at a time',
    );
    this.name = 'ReplayAlreadyRunningError';
  }
}

export interface ReplayJobsDeps extends ReplayDeps {
  /** For the replay lock's own connection (held for the whole run). */
  databaseUrl: string;
  /** Milliseconds between progress records (default 1 s). */
  progressIntervalMs?: number;
}

const ORPHANED: ReplayRunError = {
  code: 'REPLAY_INTERRUPTED',
  message:
    'the process running this replay stopped (crash, kill or lost database session) before it recorded an outcome; its rebuild schema was dropped',
};

/**
 * Replays as background jobs with a record: `start` takes the replay lock (a PostgreSQL advisory
 * lock on a connection of its own, so one replay at a time across every API instance and the CLI),
 * records the run in `timeline_replay_runs`, and runs `runTimelineReplay` in the background,
 * recording its stage and progress about every second and its report or error at the end.
 *
 * A run whose process died is still marked running; whoever next holds the lock (a start, this
 * instance booting, a read of that run) marks it failed and drops its rebuild schema. A lost lock
 * session aborts the run (another instance could otherwise start a second one).
 */
export class TimelineReplayJobs {
  private readonly runs: PostgresReplayRuns;
  private readonly local = new Map<string, { controller: AbortController; done: Promise<void> }>();

  constructor(private readonly deps: ReplayJobsDeps) {
    this.runs = new PostgresReplayRuns(deps.pool);
  }

  /** Creates the runs table if missing and fails runs left behind by a process that died. */
  async init(): Promise<void> {
    await this.runs.ensureSchema();
    await this.reconcile();
  }

  /** Starts a replay; throws `ReplayAlreadyRunningError` while one runs anywhere. */
  async start(options: ReplayOptions, requestedBy: string | null): Promise<ReplayRun> {
    const lock = await tryAdvisoryLock(this.deps.databaseUrl, TIMELINE_REPLAY_LOCK);
    if (!lock) throw new ReplayAlreadyRunningError((await this.runs.running())?.id);
    let run: ReplayRun;
    try {
      await this.failOrphans();
      run = await this.runs.insert({ id: randomUUID(), options, requestedBy });
    } catch (err) {
      await lock.release();
      throw err;
    }
    const controller = new AbortController();
    void lock.lost.then(() => controller.abort(new Error('the replay lock was lost (its database session ended)')));
    const done = this.execute(run.id, options, controller.signal, lock).finally(() => this.local.delete(run.id));
    this.local.set(run.id, { controller, done });
    this.deps.logger.info({ replayId: run.id, options, requestedBy }, 'replay.started');
    return run;
  }

  /** A run, from the record. One marked running by a process that is gone is failed first. */
  async get(id: string): Promise<ReplayRun | undefined> {
    const run = await this.runs.get(id);
    if (run?.state !== 'running' || this.local.has(id)) return run;
    await this.reconcile();
    return this.runs.get(id);
  }

  async list(limit = 20): Promise<ReplayRun[]> {
    return this.runs.list(limit);
  }

  /** Stops this process's replays at their next safe point (`reason` goes into their error) and waits for them. */
  async shutdown(reason = 'the query API shut down'): Promise<void> {
    for (const { controller } of this.local.values()) controller.abort(new Error(reason));
    await Promise.all([...this.local.values()].map((j) => j.done));
  }

  /** If no replay holds the lock, fails the runs still marked running (their process is gone). */
  private async reconcile(): Promise<void> {
    const lock = await tryAdvisoryLock(this.deps.pool, TIMELINE_REPLAY_LOCK);
    if (!lock) return;
    try {
      await this.failOrphans();
    } finally {
      await lock.release();
    }
  }

  /** Only while holding the lock. */
  private async failOrphans(): Promise<void> {
    for (const orphan of await this.runs.failRunning(ORPHANED)) {
      this.deps.logger.warn({ replayId: orphan.id, schema: orphan.schema }, 'replay.orphan.failed');
      if (orphan.schema && isRebuildSchemaName(orphan.schema)) {
        await dropRebuildSchema(this.deps.pool, orphan.schema);
        await this.runs.schemaDropped(orphan.id);
      }
    }
  }

  private async execute(id: string, options: ReplayOptions, signal: AbortSignal, lock: HeldAdvisoryLock): Promise<void> {
    const log = this.deps.logger;
    // Records are written one after the other, never out of order; a failed write is logged and skipped.
    let writes = Promise.resolve();
    const record = (change: Parameters<PostgresReplayRuns['update']>[1]): void => {
      writes = writes
        .then(() => this.runs.update(id, change))
        .catch((err: unknown) => log.warn({ replayId: id, err: String(err) }, 'replay.record.failed'));
    };
    let total: number | undefined;
    const progressOf = (
      done: number,
      all: number | undefined,
      position: bigint,
      head: bigint,
      rate: number,
      eta: number | undefined,
      percent: number,
    ): ReplayRunProgress => {
      total = all ?? total ?? done;
      return {
        eventsDone: done,
        eventsTotal: total,
        position: position.toString(),
        head: head.toString(),
        percent: Math.round(percent * 10) / 10,
        eventsPerSecond: Math.round(rate),
        etaSeconds: eta === undefined ? null : Math.round(eta),
      };
    };
    const onEvent = (e: ReplayEvent): void => {
      switch (e.type) {
        case 'started':
          record({ stage: 'rebuilding', schema: e.schema, progress: progressOf(0, e.total, 0n, e.head, 0, undefined, 0) });
          return;
        case 'progress':
          record({
            progress: progressOf(
              e.sample.done,
              e.total,
              e.sample.position,
              e.sample.head,
              e.estimate.rate,
              e.estimate.etaSeconds,
              e.estimate.percent,
            ),
          });
          return;
        case 'rebuilt':
          record({ progress: progressOf(e.rebuild.events, undefined, e.rebuild.upTo, e.rebuild.upTo, e.rebuild.eventsPerSecond, 0, 100) });
          return;
        case 'diffing':
          record({ stage: 'diffing' });
          return;
        case 'taking_over':
          record({ stage: 'taking_over' });
          return;
        case 'diffed':
        case 'took_over':
        case 'kept':
          return;
        default: {
          const exhaustive: never = e;
          return exhaustive;
        }
      }
    };
    try {
      const report = await runTimelineReplay(this.deps, options, {
        signal,
        onEvent,
        ...(this.deps.progressIntervalMs ? { progressIntervalMs: this.deps.progressIntervalMs } : {}),
      });
      await writes;
      await this.runs.finish(id, { state: 'succeeded', report, schemaKept: report.kept });
      log.info(
        {
          replayId: id,
          events: report.rebuild.events,
          differences: report.diff ? report.diff.customers : null,
          tookOver: report.takeover !== undefined,
        },
        'replay.succeeded',
      );
    } catch (err) {
      await writes;
      const error = errorOf(err, signal);
      log.error({ replayId: id, code: error.code, err: error.message }, 'replay.failed');
      await this.runs
        .finish(id, { state: 'failed', error })
        .catch((e: unknown) => log.error({ replayId: id, err: String(e) }, 'replay.record.failed'));
    } finally {
      await lock.release();
    }
  }
}

function errorOf(err: unknown, signal: AbortSignal): ReplayRunError {
  if (!(err instanceof ReplayError)) return { code: 'REPLAY_FAILED', message: err instanceof Error ? err.message : String(err) };
  if (err.code === 'REPLAY_INTERRUPTED' && signal.aborted) {
    const reason: unknown = signal.reason;
    return { code: err.code, message: `${reason instanceof Error ? reason.message : String(reason)}: ${err.message}` };
  }
  return { code: err.code, message: err.message };
}
