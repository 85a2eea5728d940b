import type { PoolClient } from 'pg';
import { PostgresCheckpointStore } from '@hub/event-store';
import type { CliContext } from '../cli-context';
import { CliFailure } from '../cli.errors';
import type { TimelineRebuild } from './timeline-rebuild';
import { columnsOf, qualified, TIMELINE_TABLES, type TimelineTable } from './timeline-tables';

export interface TakeoverOptions {
  liveSchema: string;
  projectionId: string;
  /** Give up (nothing changed) when the live tables cannot be locked within this long. */
  lockTimeoutMs: number;
  /** Give up (nothing changed) when the rebuild's last catch-up, under the lock, takes longer. */
  catchUpTimeoutMs: number;
  /** Replace a non-empty live read model with an empty rebuild (otherwise refused: likely the wrong database). */
  allowEmpty: boolean;
}

export interface TakeoverResult {
  tables: Record<TimelineTable, { deleted: number; inserted: number }>;
  /** How long readers and the live projector waited: the lock was held this long. */
  lockedMs: number;
  /** The live projection's checkpoint, when the whole read model was replaced; null for one tenant. */
  checkpoint: { id: string; before: bigint | null; after: bigint } | null;
  /** The rebuild's position the live read model now reflects. */
  rebuiltUpTo: bigint;
  /** Live-only columns: the copied rows have their default there (nothing in the rebuild fills them). */
  columnsOnlyLive: Record<string, string[]>;
}

const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK_DETECTED = '40P01';
const LOCK_ATTEMPTS = 3;

/**
 * Replaces the live read model (one tenant's rows, or all) with the rebuild in ONE transaction:
 *
 * 0. (before the transaction) catch the rebuild up with the head of the log, so that step 2 is short;
 * 1. lock the live `timeline_*` tables in ACCESS EXCLUSIVE mode (waiting at most `lockTimeoutMs`):
 *    from here readers and the live projector wait;
 * 2. bring the rebuild up to the live projection's checkpoint: the live projector cannot commit
 *    while we hold the lock, so what it has committed is then also in the rebuild, and what it has
 *    not committed it applies after us (it is idempotent, and it resumes from its own position).
 *    Not up to the head: PostgreSQL gives a transaction that takes an ACCESS EXCLUSIVE lock an xid
 *    (the lock is WAL-logged for standbys), and `readAll` shows no event committed by a later
 *    transaction until ours ends — but everything up to the live checkpoint was visible before;
 * 3. delete the live rows (the tenant's, or all), insert the rebuilt ones;
 * 4. all tenants only: set the live projection's checkpoint to the rebuild's position (never
 *    backwards). For one tenant it is left alone: it covers every tenant.
 * 5. commit. Readers see the old read model before and the new one after, never a mix.
 */
export async function takeOver(ctx: CliContext, rebuild: TimelineRebuild, o: TakeoverOptions): Promise<TakeoverResult> {
  const checkpoints = new PostgresCheckpointStore(ctx.pool);
  const columns: Partial<Record<TimelineTable, string[]>> = {};
  const columnsOnlyLive: Record<string, string[]> = {};
  for (const table of TIMELINE_TABLES) {
    const c = await columnsOf(ctx.pool, table, o.liveSchema, rebuild.schema);
    if (!c.common.includes('tenant_id')) throw new CliFailure('CLI_TAKEOVER_REFUSED', `${table} has no tenant_id in both schemas: the live read model is not the one this CLI knows`);
    columns[table] = c.common;
    if (c.onlyLive.length) columnsOnlyLive[table] = c.onlyLive;
  }
  const tenant = rebuild.tenantId ?? null;
  const scope = tenant === null ? '' : ' where tenant_id = $1';
  const params = tenant === null ? [] : [tenant];

  await rebuild.catchUp({ timeoutMs: o.catchUpTimeoutMs });
  for (let attempt = 1; ; attempt++) {
    const client = await ctx.pool.connect();
    let lockedAt = 0;
    try {
      await client.query('begin');
      await client.query(`set local lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs))}`);
      await client.query(`lock table ${TIMELINE_TABLES.map((t) => qualified(o.liveSchema, t)).join(', ')} in access exclusive mode`);
      lockedAt = Date.now();
      const before = (await checkpoints.load(o.projectionId, client)) ?? null;
      const covered = (await rebuild.position()) ?? 0n;
      if (before !== null && before > covered) {
        const last = await rebuild.lastMatchingPosition(covered, before);
        await rebuild.catchUp({ timeoutMs: o.catchUpTimeoutMs, until: { position: last ?? covered, covers: before } });
      }
      const rebuiltUpTo = (await rebuild.position()) ?? 0n;
      await refuseEmptyRebuild(client, rebuild, o, scope, params);

      const tables = {} as TakeoverResult['tables'];
      for (const table of TIMELINE_TABLES) {
        const cols = columns[table]!.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
        const deleted = await client.query(`delete from ${qualified(o.liveSchema, table)}${scope}`, params);
        const inserted = await client.query(`insert into ${qualified(o.liveSchema, table)} (${cols}) select ${cols} from ${qualified(rebuild.schema, table)}${scope}`, params);
        tables[table] = { deleted: deleted.rowCount ?? 0, inserted: inserted.rowCount ?? 0 };
      }
      let checkpoint: TakeoverResult['checkpoint'] = null;
      if (tenant === null) {
        const after = before !== null && before > rebuiltUpTo ? before : rebuiltUpTo;
        await checkpoints.save(o.projectionId, after, client);
        checkpoint = { id: o.projectionId, before, after };
      }
      await client.query('commit');
      return { tables, lockedMs: Date.now() - lockedAt, checkpoint, rebuiltUpTo, columnsOnlyLive };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      const code = (err as { code?: string }).code;
      // Nothing was written before the lock was ours: a deadlock on the way in can be retried.
      if (code === DEADLOCK_DETECTED && lockedAt === 0 && attempt < LOCK_ATTEMPTS) continue;
      if (code === LOCK_NOT_AVAILABLE) throw new CliFailure('CLI_LOCK_TIMEOUT', `could not lock the live timeline tables within ${o.lockTimeoutMs} ms (a long read or write holds them); nothing was changed`);
      throw err;
    } finally {
      client.release();
    }
  }
}

async function refuseEmptyRebuild(client: PoolClient, rebuild: TimelineRebuild, o: TakeoverOptions, scope: string, params: string[]): Promise<void> {
  if (o.allowEmpty) return;
  const count = async (schema: string) => Number((await client.query<{ n: string }>(`select count(*) as n from (select 1 from ${qualified(schema, 'timeline_entries')}${scope} limit 1) x`, params)).rows[0]!.n);
  if ((await count(rebuild.schema)) === 0 && (await count(o.liveSchema)) > 0) {
    throw new CliFailure('CLI_TAKEOVER_REFUSED', 'the rebuild has no timeline entries but the live read model has some: refusing to empty it (wrong database or tenant? --allow-empty does it anyway); nothing was changed');
  }
}
