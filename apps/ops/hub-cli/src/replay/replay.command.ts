import {
  noDifferences,
  ReplayError,
  runTimelineReplay,
  TIMELINE_PROJECTION_ID,
  TIMELINE_REPLAY_LOCK,
  tryAdvisoryLock,
  type ReplayEvent,
  type ReplayOptions,
  type ReplayReport,
} from '@hub/timeline';
import { noPositionals, positiveInt, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import type { CliContext } from '../cli-context';
import { CliFailure, ExitCode, InterruptedError, UsageError } from '../cli.errors';
import type { Command } from '../command';
import { grouped, ProgressLine } from '../progress-line';

export type { ReplayOptions, ReplayReport };

/**
 * `runTimelineReplay` of @hub/timeline (the engine the query API's `POST /replays` runs too), with
 * its progress on a line of stderr and its steps told there. Takes the replay lock first: one
 * replay at a time per database, whether started here or over the API.
 */
export async function replay(ctx: CliContext, o: ReplayOptions): Promise<ReplayReport> {
  const lock = await tryAdvisoryLock(ctx.config.DATABASE_URL, TIMELINE_REPLAY_LOCK);
  if (!lock)
    throw new CliFailure(
      'CLI_REPLAY_RUNNING',
      'another replay is running against this database (hub replay, or POST /replays of the query API); try again when it has finished',
    );
  const lockLost = new AbortController();
  void lock.lost.then(() => lockLost.abort(new Error('the replay lock was lost (its database session ended)')));
  const signal = ctx.io.signal ? AbortSignal.any([ctx.io.signal, lockLost.signal]) : lockLost.signal;
  const err = ctx.io.stderr;
  const progress = new ProgressLine(err, 'replay');
  let progressing = false;
  const onEvent = (e: ReplayEvent): void => {
    switch (e.type) {
      case 'started':
        err.write(`replay: rebuilding the timeline${e.tenantId ? ` of tenant ${e.tenantId}` : ''} into schema ${e.schema}\n`);
        progressing = true;
        return;
      case 'progress':
        progress.show(e.sample);
        return;
      case 'rebuilt':
        progressing = false;
        progress.stop({ done: e.rebuild.events, position: e.rebuild.upTo, head: e.rebuild.upTo });
        return;
      case 'diffing':
        return;
      case 'diffed': {
        const d = e.diff;
        err.write(
          noDifferences(d)
            ? `replay: no differences (${grouped(d.compared.live)} live entries compared up to position ${d.comparedUpTo})\n`
            : `replay: ${grouped(d.customers)} customers differ: ${grouped(d.missing)} entries missing from the live read model, ${grouped(d.extra)} extra, ${grouped(d.changed)} changed\n`,
        );
        if (d.columnsOnlyLive.length || d.columnsOnlyRebuilt.length)
          err.write(
            `replay: columns not compared (only in one schema): live ${d.columnsOnlyLive.join(', ') || '-'}; rebuild ${d.columnsOnlyRebuilt.join(', ') || '-'}\n`,
          );
        return;
      }
      case 'taking_over':
        err.write(
          `replay: taking over (all tenants: a table swap, readers and the projector wait milliseconds; one tenant: a copy, the projector waits, readers do not)\n`,
        );
        return;
      case 'took_over': {
        const t = e.takeover;
        err.write(
          `replay: took over by ${t.method}${t.copyReason ? ` (${t.copyReason})` : ''} in ${t.lockedMs} ms under lock: ${grouped(t.tables.timeline_entries.inserted)} entries (${grouped(t.tables.timeline_entries.deleted)} replaced)${t.checkpoint ? `; ${t.checkpoint.id} checkpoint ${t.checkpoint.before ?? 'none'} → ${t.checkpoint.after}` : '; live checkpoint left alone (one tenant)'}\n`,
        );
        for (const [table, cols] of Object.entries(t.columnsOnlyLive))
          err.write(
            `replay: warning: ${table}.${cols.join(', ')} exist only in the live table; the copied rows have their default there\n`,
          );
        return;
      }
      case 'kept':
        err.write(`replay: kept schema ${e.schema} (drop schema ${e.schema} cascade; when done)\n`);
        return;
      default: {
        const exhaustive: never = e;
        return exhaustive;
      }
    }
  };
  try {
    const deps = {
      pool: ctx.pool,
      openSchemaPool: (schema: string) => ctx.openSchemaPool(schema),
      store: (await ctx.stores()).store,
      logger: ctx.logger,
    };
    return await runTimelineReplay(deps, o, { signal, onEvent });
  } catch (e) {
    if (progressing) progress.stop();
    if (!(e instanceof ReplayError)) throw e;
    if (e.code === 'REPLAY_INTERRUPTED')
      throw new InterruptedError(
        lockLost.signal.aborted ? `the replay lock was lost (its database session ended): ${e.message}` : e.message,
      );
    throw new CliFailure(e.code.replace(/^REPLAY_/, 'CLI_'), e.message);
  } finally {
    await lock.release();
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
  --takeover            replace the live read model with the rebuild in ONE transaction. All
                        tenants: lock the live tables, catch the rebuild up, swap the tables
                        (milliseconds whatever the size), set the live checkpoint; the replaced
                        tables land in the rebuild schema (see --keep). One tenant (--tenant), or
                        when something depends on the live tables (views, triggers, …): delete
                        and copy the rows under a lock the projector waits for, readers do not.
                        No reader ever sees a mix.
  --keep                keep the rebuild schema (dropped by default, also after a failure); after a
                        swap it holds the previous read model
  --projection-id ID    the live projection's checkpoint id (default ${TIMELINE_PROJECTION_ID})
  --lock-timeout S      total seconds of lock attempts (50 ms doubling to 2 s each) before giving up
                        unchanged (default 30)
  --catch-up-timeout S  seconds the last catch-up under the lock may take (default 120)
  --allow-empty         let an empty rebuild replace a non-empty live read model
  --batch N             events per projector transaction (default 500)

One replay at a time per database: a replay started here or over the query API (POST /replays)
holds a PostgreSQL advisory lock ('hub.timeline.replay') until it ends; a second one exits 1.`,
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
    const projectionId = stringOption(values, 'projection-id') ?? TIMELINE_PROJECTION_ID;
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(projectionId))
      throw new UsageError(`--projection-id must be 1–100 of A-Z a-z 0-9 . _ -, not ${JSON.stringify(projectionId)}`);
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
      if (o.tenantId !== undefined) await ctx.requireTenant(o.tenantId);
      else await ctx.requireHubDatabase();
      const report = await replay(ctx, o);
      await write(ctx.io.stdout, `${toJson(report, 2)}\n`);
      return report.diff && !noDifferences(report.diff) && !report.takeover ? ExitCode.failure : ExitCode.ok;
    };
  },
};
