import { runDdl } from '@hub/event-store';
import type { Pool } from 'pg';
import type { ReplayErrorCode } from './replay.errors';
import type { ReplayOptions, ReplayReport, ReplayStage } from './timeline-replay';

/** A value as it is stored in JSON: bigints (positions) become strings. */
export type Jsonified<T> = T extends bigint
  ? string
  : T extends readonly (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

export const REPLAY_RUN_STATES = ['running', 'succeeded', 'failed'] as const;
export type ReplayRunState = (typeof REPLAY_RUN_STATES)[number];

export interface ReplayRunProgress {
  /** Customer events projected so far. */
  eventsDone: number;
  /** Customer events in the log (of the tenant, with one) when the replay started. */
  eventsTotal: number;
  /** Global position reached, and the head of the log. */
  position: string;
  head: string;
  /** 0–100, of the head position. */
  percent: number;
  /** Over the last 10 s. */
  eventsPerSecond: number;
  /** At the recent pace; null while unknown. */
  etaSeconds: number | null;
}

export interface ReplayRunError {
  /** A `ReplayErrorCode`, or `REPLAY_FAILED` for anything unexpected (the message says what). */
  code: ReplayErrorCode | 'REPLAY_FAILED';
  message: string;
}

/** One replay started over the API, as recorded in `timeline_replay_runs`. */
export interface ReplayRun {
  id: string;
  state: ReplayRunState;
  stage: ReplayStage | 'starting';
  options: ReplayOptions;
  /** Who asked (the operator key's name and id), for the record. */
  requestedBy: string | null;
  /** The rebuild schema while it exists (dropped at the end unless kept). */
  schema: string | null;
  progress: ReplayRunProgress | null;
  /** When it succeeded: rebuild figures, the diff report, the takeover. */
  report: Jsonified<ReplayReport> | null;
  error: ReplayRunError | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** The runs table's DDL (idempotent): `ensureSchema` and part of the timeline's version 1. */
export const REPLAY_RUNS_DDL = `
create table if not exists timeline_replay_runs (
  id uuid primary key,
  state text not null,
  stage text not null,
  options jsonb not null,
  requested_by text,
  rebuild_schema text,
  progress jsonb,
  report jsonb,
  error jsonb,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index if not exists timeline_replay_runs_started on timeline_replay_runs (started_at desc, id);
`;

interface RunRow {
  id: string;
  state: ReplayRunState;
  stage: ReplayRun['stage'];
  options: ReplayOptions;
  requested_by: string | null;
  rebuild_schema: string | null;
  progress: ReplayRunProgress | null;
  report: Jsonified<ReplayReport> | null;
  error: ReplayRunError | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toRun = (r: RunRow): ReplayRun => ({
  id: r.id,
  state: r.state,
  stage: r.stage,
  options: r.options,
  requestedBy: r.requested_by,
  schema: r.rebuild_schema,
  progress: r.progress,
  report: r.report,
  error: r.error,
  startedAt: r.started_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  finishedAt: r.finished_at?.toISOString() ?? null,
});

/** JSON with bigints as strings. */
export const jsonText = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The record of replays started over the API, in the live database: a restarted (or another) query
 * API instance answers for them, and a run left `running` by a crashed process is found and failed.
 * Not part of the timeline read model: a replay neither rebuilds nor replaces it.
 */
export class PostgresReplayRuns {
  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    const r = await this.pool.query<{ present: boolean }>("select to_regclass('timeline_replay_runs') is not null as present");
    if (r.rows[0]?.present) return;
    await runDdl(this.pool, REPLAY_RUNS_DDL);
  }

  async insert(run: { id: string; options: ReplayOptions; requestedBy: string | null }): Promise<ReplayRun> {
    const r = await this.pool.query<RunRow>(
      `insert into timeline_replay_runs (id, state, stage, options, requested_by) values ($1, 'running', 'starting', $2, $3) returning *`,
      [run.id, jsonText(run.options), run.requestedBy],
    );
    return toRun(r.rows[0]!);
  }

  /** Records where a running replay is; a finished one is left alone. */
  async update(id: string, change: { stage?: ReplayStage; schema?: string; progress?: ReplayRunProgress }): Promise<void> {
    await this.pool.query(
      `update timeline_replay_runs set stage = coalesce($2, stage), rebuild_schema = coalesce($3, rebuild_schema), progress = coalesce($4::jsonb, progress), updated_at = now()
        where id = $1 and state = 'running'`,
      [id, change.stage ?? null, change.schema ?? null, change.progress ? jsonText(change.progress) : null],
    );
  }

  async finish(
    id: string,
    outcome: { state: 'succeeded'; report: ReplayReport; schemaKept: boolean } | { state: 'failed'; error: ReplayRunError },
  ): Promise<void> {
    await this.pool.query(
      `update timeline_replay_runs set state = $2, stage = case when $2 = 'succeeded' then 'finished' else stage end, report = $3, error = $4,
              rebuild_schema = case when $5 then rebuild_schema end, updated_at = now(), finished_at = now()
        where id = $1 and state = 'running'`,
      [
        id,
        outcome.state,
        outcome.state === 'succeeded' ? jsonText(outcome.report) : null,
        outcome.state === 'failed' ? jsonText(outcome.error) : null,
        outcome.state === 'succeeded' && outcome.schemaKept,
      ],
    );
  }

  /**
   * Fails every run still marked running: call only while holding the replay lock, when none can be
   * running. Returns them, with the rebuild schema each may have left behind.
   */
  async failRunning(error: ReplayRunError): Promise<{ id: string; schema: string | null }[]> {
    const r = await this.pool.query<{ id: string; rebuild_schema: string | null }>(
      `update timeline_replay_runs set state = 'failed', error = $1, updated_at = now(), finished_at = now()
        where state = 'running' returning id, rebuild_schema`,
      [jsonText(error)],
    );
    return r.rows.map((row) => ({ id: row.id, schema: row.rebuild_schema }));
  }

  /** The run's rebuild schema is gone. */
  async schemaDropped(id: string): Promise<void> {
    await this.pool.query('update timeline_replay_runs set rebuild_schema = null where id = $1', [id]);
  }

  async get(id: string): Promise<ReplayRun | undefined> {
    if (!UUID.test(id)) return undefined;
    const r = await this.pool.query<RunRow>('select * from timeline_replay_runs where id = $1', [id]);
    return r.rows[0] ? toRun(r.rows[0]) : undefined;
  }

  /** The newest first. */
  async list(limit: number): Promise<ReplayRun[]> {
    const r = await this.pool.query<RunRow>('select * from timeline_replay_runs order by started_at desc, id limit $1', [limit]);
    return r.rows.map(toRun);
  }

  /** The run marked running (there is at most one while the lock is respected). */
  async running(): Promise<ReplayRun | undefined> {
    const r = await this.pool.query<RunRow>("select * from timeline_replay_runs where state = 'running' order by started_at desc limit 1");
    return r.rows[0] ? toRun(r.rows[0]) : undefined;
  }
}
