import { ensurePostgresCheckpointSchema } from '@hub/event-store';
import { noPositionals, positiveInt, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import type { CliContext } from '../cli-context';
import { ExitCode, UsageError } from '../cli.errors';
import type { Command } from '../command';
import { grouped, ProgressLine } from '../progress-line';
import { diffTimelines, noDifferences, type TimelineDiff } from './timeline-diff';
import { TimelineRebuild, type CatchUpResult } from './timeline-rebuild';
import { LIVE_TIMELINE_PROJECTION_ID, liveSchema } from './timeline-tables';
import { takeOver, type TakeoverResult } from './timeline-takeover';

export interface ReplayOptions {
  tenantId?: string;
  diff: boolean;
  takeover: boolean;
  keep: boolean;
  allowEmpty: boolean;
  projectionId: string;
  diffLimit: number;
  batchSize: number;
  lockTimeoutMs: number;
  catchUpTimeoutMs: number;
}

export interface ReplayReport {
  schema: string;
  kept: boolean;
  tenantId: string | null;
  rebuild: { events: number; seconds: number; eventsPerSecond: number; upTo: bigint };
  diff?: TimelineDiff;
  takeover?: TakeoverResult;
}

/** Rebuild side by side, then optionally compare and take over; the schema goes unless --keep. */
export async function replay(ctx: CliContext, o: ReplayOptions): Promise<ReplayReport> {
  const live = await liveSchema(ctx.pool);
  // The live projection's checkpoint is read (and set) in hub_checkpoints: a database where the
  // projector never ran has no such table yet.
  await ensurePostgresCheckpointSchema(ctx.pool);
  const rebuild = await TimelineRebuild.create(ctx, { ...(o.tenantId ? { tenantId: o.tenantId } : {}), batchSize: o.batchSize });
  const err = ctx.io.stderr;
  err.write(`replay: rebuilding the timeline${o.tenantId ? ` of tenant ${o.tenantId}` : ''} into schema ${rebuild.schema}\n`);
  try {
    const caught: CatchUpResult = await rebuild.catchUp({ progress: new ProgressLine(err, 'replay') });
    const report: ReplayReport = {
      schema: rebuild.schema,
      kept: o.keep,
      tenantId: o.tenantId ?? null,
      rebuild: { ...caught, eventsPerSecond: caught.seconds > 0 ? Math.round(caught.events / caught.seconds) : caught.events },
    };
    if (o.diff) {
      report.diff = await diffTimelines(ctx.pool, { liveSchema: live, rebuildSchema: rebuild.schema, rebuiltUpTo: caught.upTo, projectionId: o.projectionId, limit: o.diffLimit, ...(o.tenantId ? { tenantId: o.tenantId } : {}) });
      const d = report.diff;
      err.write(
        noDifferences(d)
          ? `replay: no differences (${grouped(d.compared.live)} live entries compared up to position ${d.comparedUpTo})\n`
          : `replay: ${grouped(d.customers)} customers differ: ${grouped(d.missing)} entries missing from the live read model, ${grouped(d.extra)} extra, ${grouped(d.changed)} changed\n`,
      );
      if (d.columnsOnlyLive.length || d.columnsOnlyRebuilt.length) err.write(`replay: columns not compared (only in one schema): live ${d.columnsOnlyLive.join(', ') || '-'}; rebuild ${d.columnsOnlyRebuilt.join(', ') || '-'}\n`);
    }
    if (o.takeover) {
      err.write(`replay: taking over: locking the live timeline tables (readers wait until the copy commits)\n`);
      report.takeover = await takeOver(ctx, rebuild, { liveSchema: live, projectionId: o.projectionId, lockTimeoutMs: o.lockTimeoutMs, catchUpTimeoutMs: o.catchUpTimeoutMs, allowEmpty: o.allowEmpty });
      const t = report.takeover;
      err.write(`replay: took over in ${t.lockedMs} ms under lock: ${grouped(t.tables.timeline_entries.inserted)} entries (${grouped(t.tables.timeline_entries.deleted)} replaced)${t.checkpoint ? `; ${t.checkpoint.id} checkpoint ${t.checkpoint.before ?? 'none'} → ${t.checkpoint.after}` : '; live checkpoint left alone (one tenant)'}\n`);
      for (const [table, cols] of Object.entries(t.columnsOnlyLive)) err.write(`replay: warning: ${table}.${cols.join(', ')} exist only in the live table; the copied rows have their default there\n`);
    }
    return report;
  } finally {
    if (o.keep) err.write(`replay: kept schema ${rebuild.schema} (drop schema ${rebuild.schema} cascade; when done)\n`);
    else await rebuild.drop();
  }
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'rebuild the timeline read model side by side; compare it; take it over atomically',
  usage: 'hub replay [--tenant t] [--diff] [--takeover] [--keep]',
  help: `Rebuilds the timeline read model from the event store into a new schema
timeline_rebuild_<UTC yyyymmddhhmmss>, with a TimelineProjector of its own (subscription
'timeline.rebuild', from position 0, through the decrypting store as the live projector), showing
progress on stderr until it has caught up with the log. The live read model is untouched unless
--takeover. Prints a JSON report on stdout.

  --tenant t            only this tenant's customers (stream prefix customer-<t>.)
  --diff                compare per customer the live timeline entries with the rebuild's:
                        (event_id, hash of the row) sets; entries missing from the live read model,
                        extra in it, or changed (with the columns). Only entries of events up to
                        min(live checkpoint, rebuild position) are compared, so a running projector
                        is not a difference. Exit 1 when there are differences (unless --takeover).
  --diff-limit N        customers listed in detail (default 20; the counts cover all)
  --takeover            replace the live read model (the tenant's rows, or all) with the rebuild in
                        ONE transaction: lock the live timeline tables (readers and the live
                        projector wait), catch the rebuild up once more, delete, copy, and — all
                        tenants only — set the live projection's checkpoint to the rebuild's
                        position; commit. No reader ever sees a mix.
  --keep                keep the rebuild schema (dropped by default, also after a failure)
  --projection-id ID    the live projection's checkpoint id (default ${LIVE_TIMELINE_PROJECTION_ID})
  --lock-timeout S      seconds to wait for the lock before giving up unchanged (default 30)
  --catch-up-timeout S  seconds the last catch-up under the lock may take (default 120)
  --allow-empty         let an empty rebuild replace a non-empty live read model
  --batch N             events per projector transaction (default 500)`,
  options: {
    tenant: { type: 'string' },
    diff: { type: 'boolean' },
    'diff-limit': { type: 'string' },
    takeover: { type: 'boolean' },
    keep: { type: 'boolean' },
    'projection-id': { type: 'string' },
    'lock-timeout': { type: 'string' },
    'catch-up-timeout': { type: 'string' },
    'allow-empty': { type: 'boolean' },
    batch: { type: 'string' },
  },
  prepare(values, positionals) {
    noPositionals(positionals);
    const tenant = stringOption(values, 'tenant');
    const projectionId = stringOption(values, 'projection-id') ?? LIVE_TIMELINE_PROJECTION_ID;
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(projectionId)) throw new UsageError(`--projection-id must be 1–100 of A-Z a-z 0-9 . _ -, not ${JSON.stringify(projectionId)}`);
    const num = (name: string, fallback: number, max: number): number => {
      const v = stringOption(values, name);
      return v === undefined ? fallback : positiveInt(v, `--${name}`, { max });
    };
    const o: ReplayOptions = {
      ...(tenant !== undefined ? { tenantId: tenantId(tenant) } : {}),
      diff: values['diff'] === true,
      takeover: values['takeover'] === true,
      keep: values['keep'] === true,
      allowEmpty: values['allow-empty'] === true,
      projectionId,
      diffLimit: num('diff-limit', 20, 100_000),
      batchSize: num('batch', 500, 10_000),
      lockTimeoutMs: num('lock-timeout', 30, 3_600) * 1000,
      catchUpTimeoutMs: num('catch-up-timeout', 120, 3_600) * 1000,
    };
    if (o.allowEmpty && !o.takeover) throw new UsageError('--allow-empty only applies to --takeover');
    if (values['diff-limit'] !== undefined && !o.diff) throw new UsageError('--diff-limit only applies to --diff');
    return async (ctx) => {
      const report = await replay(ctx, o);
      await write(ctx.io.stdout, `${toJson(report, 2)}\n`);
      return report.diff && !noDifferences(report.diff) && !report.takeover ? ExitCode.failure : ExitCode.ok;
    };
  },
};
