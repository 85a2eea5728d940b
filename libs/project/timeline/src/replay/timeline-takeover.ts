import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { ensurePostgresCheckpointSchema, PostgresCheckpointStore } from '@hub/event-store';
import { TIMELINE_TABLES, type TimelineTable } from '../postgres.timeline.store';
import { ReplayError } from './replay.errors';
import type { TimelineRebuild } from './timeline-rebuild';
import { alignPrivileges, columnsOf, qualified, swapRefusedBecause } from './timeline-tables';

export interface TakeoverOptions {
  liveSchema: string;
  projectionId: string;
  /** Give up (nothing changed) when the live tables cannot be locked within this long, all attempts together. */
  lockTimeoutMs: number;
  /** Give up (nothing changed) when the rebuild's last catch-up, under the lock, takes longer. */
  catchUpTimeoutMs: number;
  /** Replace a non-empty live read model with an empty rebuild (otherwise refused: likely the wrong database). */
  allowEmpty: boolean;
}

/**
 * - `swap`: the rebuilt tables were moved into the live schema and the live ones out, in one
 *   transaction whose lock is held for milliseconds whatever the size (all tenants);
 * - `copy`: the live rows were deleted and the rebuilt ones inserted, in one transaction that
 *   readers do not wait for but the live projector does (one tenant, or a swap refused: `copyReason`).
 */
export type TakeoverMethod = 'swap' | 'copy';

export interface TakeoverResult {
  method: TakeoverMethod;
  /** Why the rows were copied rather than the tables swapped; null for a swap. */
  copyReason: string | null;
  /** Per table, rows replaced (`deleted`) and rows now live (`inserted`): counted after the commit for a swap. */
  tables: Record<TimelineTable, { deleted: number; inserted: number }>;
  /** How long the lock was held: for a swap, how long readers and the live projector waited; for a copy, the projector. */
  lockedMs: number;
  /** Lock attempts it took (each waits a little longer, see `takeOver`). */
  lockAttempts: number;
  /** Before the lock, unlocked: privileges, `vacuum (analyze)` of the rebuilt tables, a last catch-up. */
  prepareMs: number;
  /** The live projection's checkpoint, when the whole read model was replaced; null for one tenant. */
  checkpoint: { id: string; before: bigint | null; after: bigint } | null;
  /** The rebuild's position the live read model now reflects. */
  rebuiltUpTo: bigint;
  /** Columns of the live tables this version does not project: the new rows have their default there. */
  columnsOnlyLive: Record<string, string[]>;
  /** Swap only: the schema that now holds the replaced tables (the rebuild's: dropped with it unless kept). */
  replacedTablesIn: string | null;
}

const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK_DETECTED = '40P01';
/** The first lock attempt waits this long; each next one twice as long, up to `MAX_LOCK_ATTEMPT_MS`. */
const FIRST_LOCK_ATTEMPT_MS = 50;
/** Above `deadlock_timeout` (1 s by default), after which PostgreSQL cancels an autovacuum in the way. */
const MAX_LOCK_ATTEMPT_MS = 2_000;
/** Between attempts: the readers queued behind the failed one go through. */
const BETWEEN_LOCK_ATTEMPTS_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ignore = (): void => undefined;
const codeOf = (err: unknown): string | undefined => (err as { code?: string }).code;

/**
 * Replaces the live read model (all of it, or one tenant's rows) with the rebuild in ONE transaction.
 *
 * All tenants — a **swap** of tables, whose lock is held for milliseconds whatever the size:
 *
 * 0. (unlocked) catch the rebuild up with the head of the log; give its tables the live tables'
 *    privileges; check that nothing depends on the live tables and that the rebuilt ones have
 *    the same shape (`swapRefusedBecause`: otherwise it copies, below); `vacuum (analyze)` them
 *    (statistics for the planner, a visibility map for index-only scans); catch up once more;
 * 1. lock the live `timeline_*` tables ACCESS EXCLUSIVE. From here readers and the live projector
 *    wait. The wait for the lock is bounded per attempt (50 ms, doubling up to 2 s) rather than
 *    once for `lockTimeoutMs`: while a lock request waits, every reader queues behind it, so a long
 *    read in the way must not stall all the others for long; between attempts they go through;
 * 2. bring the rebuild up to the live projection's checkpoint: the live projector cannot commit
 *    while we hold the lock, so what it has committed is then also in the rebuild, and what it has
 *    not committed it applies after us (it is idempotent, and it resumes from its own position).
 *    Not up to the head: PostgreSQL gives a transaction that takes an ACCESS EXCLUSIVE lock an xid
 *    (the lock is WAL-logged for standbys), and `readAll` shows no event committed by a later
 *    transaction until ours ends — but everything up to the live checkpoint was visible before;
 * 3. check the shape again (nothing can change it now); exchange the tables: live → a transient
 *    schema, rebuilt → live, transient → the rebuild schema (their indexes, constraints and
 *    privileges go with them; the names are the same, so unqualified queries, `to_regclass` and
 *    statements prepared elsewhere resolve to the new tables once the lock is released);
 * 4. set the live projection's checkpoint to the rebuild's position (never backwards);
 * 5. commit. Then, unlocked, count the rows of both versions in a snapshot taken just before.
 *
 * One tenant (or a swap refused) — a **copy**: the same steps 1–2, 4 (not for one tenant: the
 * checkpoint covers every tenant) and 5, but the lock is EXCLUSIVE (the projector waits; readers
 * do not, and see the old rows until the commit) and step 3 deletes the live rows (the tenant's,
 * or all) and inserts the rebuilt ones: ~1 s per 100,000 entries.
 *
 * Readers see the old read model before and the new one after, never a mix. An interrupted
 * takeover (connection lost, process killed) rolls back: the old one stays, unchanged.
 */
export async function takeOver(pool: Pool, rebuild: TimelineRebuild, o: TakeoverOptions): Promise<TakeoverResult> {
  const columns: Partial<Record<TimelineTable, string[]>> = {};
  const columnsOnlyLive: Record<string, string[]> = {};
  for (const table of TIMELINE_TABLES) {
    const c = await columnsOf(pool, table, o.liveSchema, rebuild.schema);
    if (!c.common.includes('tenant_id'))
      throw new ReplayError(
        'REPLAY_TAKEOVER_REFUSED',
        `${table} has no tenant_id in both schemas: the live read model is not the one this version knows`,
      );
    // A generated column (the search vector) is computed by the live table from the copied ones.
    columns[table] = c.common.filter((col) => !c.generated.includes(col));
    const onlyLive = [...new Set([...c.onlyLive, ...(rebuild.columnsNotProjected[table] ?? [])])];
    if (onlyLive.length) columnsOnlyLive[table] = onlyLive;
  }
  const tenant = rebuild.tenantId ?? null;
  // Where the live checkpoint is set: a database where the projector never ran has no such table yet.
  await ensurePostgresCheckpointSchema(pool);

  await rebuild.catchUp({ timeoutMs: o.catchUpTimeoutMs });
  const preparing = Date.now();
  let copyReason: string | null = tenant === null ? null : 'one tenant: the rows of the others stay';
  if (copyReason === null) {
    await alignPrivileges(pool, o.liveSchema, rebuild.schema);
    copyReason = (await swapRefusedBecause(pool, o.liveSchema, rebuild.schema)) ?? null;
  }
  if (copyReason === null) {
    for (const t of TIMELINE_TABLES) await pool.query(`vacuum (analyze) ${qualified(rebuild.schema, t)}`);
    await rebuild.catchUp({ timeoutMs: o.catchUpTimeoutMs });
  }
  const prepareMs = Date.now() - preparing;

  const checkpoints = new PostgresCheckpointStore(pool);
  const scope = tenant === null ? '' : ' where tenant_id = $1';
  const params = tenant === null ? [] : [tenant];
  // The swap's rows are counted after the commit, in a snapshot taken just before it (on a
  // connection taken now: never wait for a pool client while holding the lock).
  const counter = copyReason === null ? await pool.connect() : undefined;
  counter?.on('error', ignore);
  try {
    const locked = await inLockedTransaction(
      pool,
      o,
      copyReason === null ? 'access exclusive' : 'exclusive',
      async (client) => {
        const before = (await checkpoints.load(o.projectionId, client)) ?? null;
        const covered = (await rebuild.position()) ?? 0n;
        if (before !== null && before > covered) {
          const last = await rebuild.lastMatchingPosition(covered, before);
          await rebuild.catchUp({ timeoutMs: o.catchUpTimeoutMs, until: { position: last ?? covered, covers: before } });
        }
        const rebuiltUpTo = (await rebuild.position()) ?? 0n;
        await refuseEmptyRebuild(client, rebuild, o, scope, params);

        let method: TakeoverMethod = 'copy';
        let reason = copyReason;
        if (reason === null) reason = (await swapRefusedBecause(client, o.liveSchema, rebuild.schema)) ?? null;
        const tables = {} as TakeoverResult['tables'];
        if (reason === null) {
          await swapTables(client, o.liveSchema, rebuild.schema);
          method = 'swap';
        } else {
          for (const table of TIMELINE_TABLES) {
            const cols = columns[table]!.map((c) => escapeIdentifier(c)).join(', ');
            const deleted = await client.query(`delete from ${qualified(o.liveSchema, table)}${scope}`, params);
            const inserted = await client.query(
              `insert into ${qualified(o.liveSchema, table)} (${cols}) select ${cols} from ${qualified(rebuild.schema, table)}${scope}`,
              params,
            );
            tables[table] = { deleted: deleted.rowCount ?? 0, inserted: inserted.rowCount ?? 0 };
          }
        }
        let checkpoint: TakeoverResult['checkpoint'] = null;
        if (tenant === null) {
          const after = before !== null && before > rebuiltUpTo ? before : rebuiltUpTo;
          await checkpoints.save(o.projectionId, after, client);
          checkpoint = { id: o.projectionId, before, after };
        }
        if (method === 'swap' && counter) {
          await counter.query('begin isolation level repeatable read');
          await counter.query('select 1'); // the snapshot: everything committed so far, nothing of ours
        }
        return { method, copyReason: reason, tables, checkpoint, rebuiltUpTo };
      },
      counter,
    );
    const { method, tables, ...rest } = locked.value;
    if (method === 'swap' && counter) {
      // Live is now the rebuilt tables; the rebuild schema holds the replaced ones. The snapshot
      // sees neither the live projector's writes since, nor anything of our transaction but the names.
      Object.assign(tables, await countBoth(counter, o.liveSchema, rebuild.schema));
      await counter.query('commit');
    }
    return {
      method,
      tables,
      ...rest,
      lockedMs: locked.lockedMs,
      lockAttempts: locked.attempts,
      prepareMs,
      columnsOnlyLive,
      replacedTablesIn: method === 'swap' ? rebuild.schema : null,
    };
  } finally {
    if (counter) {
      const broken = await counter.query('rollback').then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      counter.removeListener('error', ignore);
      counter.release(broken);
    }
  }
}

/**
 * Runs `work` in a transaction that first locks the live timeline tables in `mode`, and commits.
 * A lock it cannot get within the attempt's time (or a deadlock) ends the attempt — rolled back,
 * nothing changed — and after a pause the next one waits twice as long (at most 2 s), until
 * `lockTimeoutMs` has passed in all: then `REPLAY_LOCK_TIMEOUT`. The same holds for any lock the
 * work waits for while the tables are locked. Any other error rolls back and is thrown.
 */
async function inLockedTransaction<T>(
  pool: Pool,
  o: TakeoverOptions,
  mode: 'access exclusive' | 'exclusive',
  work: (client: PoolClient) => Promise<T>,
  sidecar: PoolClient | undefined,
): Promise<{ value: T; lockedMs: number; attempts: number }> {
  const deadline = Date.now() + o.lockTimeoutMs;
  const tables = TIMELINE_TABLES.map((t) => qualified(o.liveSchema, t)).join(', ');
  for (let attempt = 1; ; attempt++) {
    const waitMs = Math.max(
      1,
      Math.round(Math.min(deadline - Date.now(), FIRST_LOCK_ATTEMPT_MS * 2 ** (attempt - 1), MAX_LOCK_ATTEMPT_MS)),
    );
    const client = await pool.connect();
    // A checked-out client has no pool listener: a connection terminated meanwhile would otherwise
    // be an unhandled 'error' event; the failed query reports it.
    client.on('error', ignore);
    let lockedAt = 0;
    let failed: Error | undefined;
    try {
      await client.query('begin');
      await client.query(`set local lock_timeout = ${waitMs}`);
      await client.query(`lock table ${tables} in ${mode} mode`);
      lockedAt = Date.now();
      const value = await work(client);
      await client.query('commit');
      return { value, lockedMs: Date.now() - lockedAt, attempts: attempt };
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
      await client.query('rollback').catch(() => undefined);
      await sidecar?.query('rollback').catch(() => undefined);
      const code = codeOf(err);
      if (code !== LOCK_NOT_AVAILABLE && code !== DEADLOCK_DETECTED) throw err;
      if (Date.now() + BETWEEN_LOCK_ATTEMPTS_MS >= deadline) {
        throw new ReplayError(
          'REPLAY_LOCK_TIMEOUT',
          `could not lock the live timeline tables (and what the takeover needs with them) within ${o.lockTimeoutMs} ms in ${attempt} attempts (a long read or write holds them); nothing was changed`,
        );
      }
    } finally {
      client.removeListener('error', ignore);
      // A connection that failed mid-transaction (terminated, broken) is not given back to the pool.
      client.release(failed && codeOf(failed) !== LOCK_NOT_AVAILABLE && codeOf(failed) !== DEADLOCK_DETECTED ? failed : undefined);
    }
    await sleep(BETWEEN_LOCK_ATTEMPTS_MS);
  }
}

/**
 * Exchanges the live tables and the rebuilt ones, in the caller's transaction: catalog changes
 * only, no row is read or written. Through a transient schema, since the tables (and their
 * indexes) have the same names in both.
 */
async function swapTables(client: PoolClient, live: string, rebuild: string): Promise<void> {
  const transient = `${rebuild}_swap`;
  await client.query(`create schema ${escapeIdentifier(transient)}`);
  for (const t of TIMELINE_TABLES) await client.query(`alter table ${qualified(live, t)} set schema ${escapeIdentifier(transient)}`);
  for (const t of TIMELINE_TABLES) await client.query(`alter table ${qualified(rebuild, t)} set schema ${escapeIdentifier(live)}`);
  for (const t of TIMELINE_TABLES) await client.query(`alter table ${qualified(transient, t)} set schema ${escapeIdentifier(rebuild)}`);
  await client.query(`drop schema ${escapeIdentifier(transient)}`);
}

/** Rows per table now live (`inserted`) and replaced (`deleted`, now in the rebuild schema). */
async function countBoth(client: PoolClient, live: string, replaced: string): Promise<TakeoverResult['tables']> {
  const select = TIMELINE_TABLES.flatMap((t, i) => [
    `(select count(*) from ${qualified(live, t)}) as i${i}`,
    `(select count(*) from ${qualified(replaced, t)}) as d${i}`,
  ]).join(', ');
  const row = (await client.query<Record<string, string>>(`select ${select}`)).rows[0]!;
  return Object.fromEntries(
    TIMELINE_TABLES.map((t, i) => [t, { deleted: Number(row[`d${i}`]), inserted: Number(row[`i${i}`]) }]),
  ) as TakeoverResult['tables'];
}

async function refuseEmptyRebuild(
  client: PoolClient,
  rebuild: TimelineRebuild,
  o: TakeoverOptions,
  scope: string,
  params: string[],
): Promise<void> {
  if (o.allowEmpty) return;
  const count = async (schema: string) =>
    Number(
      (
        await client.query<{ n: string }>(
          `select count(*) as n from (select 1 from ${qualified(schema, 'timeline_entries')}${scope} limit 1) x`,
          params,
        )
      ).rows[0]!.n,
    );
  if ((await count(rebuild.schema)) === 0 && (await count(o.liveSchema)) > 0) {
    throw new ReplayError(
      'REPLAY_TAKEOVER_REFUSED',
      'the rebuild has no timeline entries but the live read model has some: refusing to empty it (wrong database or tenant? --allow-empty, allowEmpty over the API, does it anyway); nothing was changed',
    );
  }
}
