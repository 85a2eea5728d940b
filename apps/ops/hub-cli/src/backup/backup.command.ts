import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { databaseUrlWithTls, libpqConnectionString } from '@hub/config';
import { createPgPool } from '@hub/platform';
import { parseCustomerStream, StreamCategories } from '@hub/contracts';
import { eraseCustomerRecord } from '@hub/customer-records';
import { PostgresTimelineStore, TimelineQueries } from '@hub/timeline';
import { CliContext } from '../cli-context';
import { noPositionals, requiredOption } from '../cli.args';
import { CliFailure, ExitCode, InterruptedError, UsageError } from '../cli.errors';
import type { Command } from '../command';

/** The last lines of a tool's stderr kept for the error message (a failing dump can be chatty). */
const STDERR_KEPT = 4_000;

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs a PostgreSQL client tool (`pg_dump`, `pg_restore`), its stdout piped to `sink` when given,
 * stderr kept; killed when the operator interrupts. Never throws for a non-zero exit: the caller says what failed.
 */
async function runTool(
  tool: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
  io: { stdout?: NodeJS.WritableStream } = {},
): Promise<Spawned> {
  const child = spawn(tool, [...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const kill = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const exited = new Promise<Spawned>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => resolve({ code, signal: sig, stderr }));
    });
    // The archive streams into the file as pg_dump writes it; the pipeline ends the file.
    const [result] = await Promise.all([exited, io.stdout ? pipeline(child.stdout!, io.stdout) : Promise.resolve()]);
    return { ...result, stderr };
  } catch (err) {
    child.kill('SIGTERM');
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CliFailure('CLI_TOOL_MISSING', `${tool} not found on PATH: install the PostgreSQL client tools (version ≥ the server's)`);
    throw err;
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}

/**
 * The `--dbname` of a client tool without the password, which goes in `PGPASSWORD` instead: a
 * command line is visible to every user of the machine (`ps`), the environment is not.
 */
function toolConnection(nodeUrl: string, env: NodeJS.ProcessEnv): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = libpqConnectionString(nodeUrl); // the same TLS settings, as libpq spells them
  const u = new URL(url);
  if (u.password === '') return { dbname: url, env };
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.href, env: { ...env, PGPASSWORD: password } };
}

function toolFailed(code: string, tool: string, r: Spawned): CliFailure {
  const how = r.code === null ? `was killed (${r.signal ?? 'signal'})` : `exited with code ${r.code}`;
  return new CliFailure(code, `${tool} ${how}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
}

/** `database "x" on host:port` of a URL, never its credentials. */
function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `database ${JSON.stringify(decodeURIComponent(u.pathname.slice(1)))} on ${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return 'the database of --database-url';
  }
}

/**
 * `hub backup --out file`: the hub's whole PostgreSQL database (events and streams, the per-customer
 * data keys `hub_subject_keys`, read models, checkpoints, snapshots, audit log) as one `pg_dump
 * --format=custom` archive — one consistent snapshot, taken while the hub runs.
 */
export const backupCommand: Command = {
  name: 'backup',
  summary: "dump the hub's database (events, data keys, read models, checkpoints, audit) to a new file",
  usage: 'hub backup --out file',
  help: `Runs pg_dump --format=custom on DATABASE_URL and streams the archive into a new file (mode 600;
an existing file is never overwritten; removed again if the dump fails). pg_dump (PostgreSQL client
tools, version ≥ the server's) must be on PATH. The dump is one consistent snapshot: the hub keeps
running.

The archive holds the customers' data keys: it can open every personal field of every customer
not erased when it was taken. Keep it as you keep the database, and for no longer than your
retention allows (docs/operations.md "Backup and restore").`,
  options: { out: { type: 'string' } },
  prepare(values, positionals) {
    noPositionals(positionals);
    const out = requiredOption(values, 'out');
    return async (ctx) => {
      await ctx.requireHubDatabase();
      const file = createWriteStream(out, { flags: 'wx', mode: 0o600 });
      const failed = await new Promise<Error | undefined>((resolve) => {
        file.once('open', () => resolve(undefined));
        file.once('error', resolve);
      });
      if (failed) throw new CliFailure('CLI_OUT_FILE', `cannot create ${out}: ${failed.message}`);
      let r: Spawned;
      try {
        const db = toolConnection(ctx.config.DATABASE_URL, ctx.io.env);
        r = await runTool('pg_dump', ['--format=custom', '--no-password', `--dbname=${db.dbname}`], db.env, ctx.io.signal, {
          stdout: file,
        });
      } catch (err) {
        file.destroy();
        await unlink(out).catch(() => undefined);
        throw err;
      }
      if (r.code !== 0) {
        await unlink(out).catch(() => undefined);
        if (ctx.io.signal?.aborted) throw new InterruptedError('backup stopped (the partial file was removed)');
        throw toolFailed('CLI_PG_DUMP', 'pg_dump', r);
      }
      ctx.io.stderr.write(`backup: ${ctx.where} → ${out} (${file.bytesWritten} bytes)\n`);
      return ExitCode.ok;
    };
  },
};

/** What `hub restore` re-applied: every erasure the restored store records. */
export interface ReappliedErasures {
  erasures: number;
  keysDestroyed: number;
  timelineRowsPurged: number;
}

/**
 * Re-applies every `CustomerErased` the store of `ctx`'s database holds, with the erasure code the
 * query API runs (`eraseCustomerRecord`: claims released, key destroyed, snapshot dropped; the
 * event itself is already there) and purges the timeline read model of each. Idempotent.
 */
export async function reapplyErasures(ctx: CliContext): Promise<ReappliedErasures> {
  const stores = await ctx.stores();
  // Through the store's port (the event store owns its tables): each customer stream's erasure, in log order.
  const prefix = `${StreamCategories.customer}-`;
  const matches = (await stores.store.lastMatchingEvents({ eventTypes: ['CustomerErased'], streamPrefixes: [prefix] })).sort((a, b) =>
    a.globalPosition < b.globalPosition ? -1 : a.globalPosition > b.globalPosition ? 1 : 0,
  );
  const rows: { tenant_id: string; customer_id: string; reason: string; requested_by: string; occurred_at: string }[] = [];
  for (const match of matches) {
    const stream = parseCustomerStream(match.streamName);
    const event = stream && (await stores.store.readEvent(match.eventId));
    if (!stream || !event) continue;
    const data = event.data as { reason?: unknown; requestedBy?: unknown };
    const metadata = event.metadata as { occurredAt?: unknown } | undefined;
    rows.push({
      tenant_id: stream.tenantId,
      customer_id: stream.customerId,
      reason: String(data.reason ?? ''),
      requested_by: String(data.requestedBy ?? ''),
      occurred_at: typeof metadata?.occurredAt === 'string' ? metadata.occurredAt : event.createdAt.toISOString(),
    });
  }
  const timeline = (await new TimelineQueries(ctx.pool).hasReadModel()) ? new PostgresTimelineStore(ctx.pool) : undefined;
  const done: ReappliedErasures = { erasures: 0, keysDestroyed: 0, timelineRowsPurged: 0 };
  for (const row of rows) {
    const erasure = await eraseCustomerRecord(stores, {
      tenantId: row.tenant_id,
      customerId: row.customer_id,
      reason: row.reason,
      requestedBy: row.requested_by,
      now: row.occurred_at,
    });
    done.erasures++;
    for (const record of erasure.records) {
      if (record.keyDestroyed) done.keysDestroyed++;
      if (timeline) done.timelineRowsPurged += (await timeline.purgeCustomer(row.tenant_id, record.customerId)).entries;
    }
  }
  return done;
}

/**
 * `hub restore --from file --database-url url`: a `hub backup` archive into another database, then
 * every erasure the restored store records is applied again (a backup must never bring back a
 * customer's data; an erasure recorded after the backup was taken is not in it: run it again).
 */
export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a hub backup into a new database and re-apply every erasure it records',
  usage: 'hub restore --from file --database-url postgres://… [--force]',
  help: `Runs pg_restore of a \`hub backup\` archive into the database of --database-url (which must exist;
DATABASE_URL is not touched) in one transaction, then re-applies every CustomerErased the restored
store holds: the customer's data key is destroyed again, their identity claims released, their
snapshot dropped and their timeline rows purged. Then rebuild or check the read model with
\`DATABASE_URL=<that url> hub replay --diff\`. pg_restore must be on PATH; HUB_KEK must be the key
of the hub that took the backup.

  --from file          the archive \`hub backup --out\` wrote
  --database-url url   the database to restore into (postgres://…)
  --force              restore into a database that already holds tables: the archive's objects
                       are dropped and re-created (pg_restore --clean --if-exists); others stay

An erasure recorded AFTER the backup was taken is not in it: re-run every erasure your audit log
(or your own list of erasure requests) holds since the backup's time (docs/operations.md "Backup and restore").`,
  options: { from: { type: 'string' }, 'database-url': { type: 'string' }, force: { type: 'boolean' } },
  prepare(values, positionals) {
    noPositionals(positionals);
    const from = requiredOption(values, 'from');
    const target = requiredOption(values, 'database-url');
    if (!/^postgres(ql)?:\/\//.test(target)) throw new UsageError('--database-url must be a postgres:// URL');
    const force = values['force'] === true;
    return async (ctx) => {
      await access(from).catch((err: Error) => {
        throw new CliFailure('CLI_IN_FILE', `cannot read ${from}: ${err.message}`);
      });
      const where = describeDatabase(target);
      // With the TLS settings of the environment, as the CLI opened on it below (DATABASE_URL=target) has them.
      const probe = createPgPool({ connectionString: databaseUrlWithTls(target, ctx.config), max: 1 });
      probe.on('error', () => undefined);
      try {
        const { rows } = await probe.query<{ n: string }>(
          "select count(*) as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
        );
        if (Number(rows[0]!.n) > 0 && !force)
          throw new CliFailure(
            'CLI_TARGET_NOT_EMPTY',
            `${where} already holds ${rows[0]!.n} table(s): restore into a new, empty database, or pass --force to replace the archive's tables`,
          );
      } finally {
        await probe.end().catch(() => undefined);
      }

      const db = toolConnection(databaseUrlWithTls(target, ctx.config), ctx.io.env);
      const args = ['--no-owner', '--no-password', '--single-transaction', '--exit-on-error', `--dbname=${db.dbname}`];
      if (force) args.push('--clean', '--if-exists');
      const r = await runTool('pg_restore', [...args, from], db.env, ctx.io.signal);
      if (r.code !== 0) {
        if (ctx.io.signal?.aborted) throw new InterruptedError('restore stopped (its transaction was rolled back)');
        throw toolFailed('CLI_PG_RESTORE', 'pg_restore', r);
      }

      const restored = new CliContext({ ...ctx.io, env: { ...ctx.io.env, DATABASE_URL: target } });
      let done: ReappliedErasures;
      try {
        done = await reapplyErasures(restored);
      } finally {
        await restored.close();
      }
      ctx.io.stderr.write(
        `restore: ${from} → ${where}; re-applied ${done.erasures} erasure(s): ${done.keysDestroyed} key(s) destroyed again, ` +
          `${done.timelineRowsPurged} timeline row(s) purged\n`,
      );
      return ExitCode.ok;
    };
  },
};
