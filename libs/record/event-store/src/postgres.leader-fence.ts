import type { ClientBase } from 'pg';
import type { LeaderFence } from './checkpoint-store.port';
import { postgresSqlNames, type PostgresEventStoreTables } from './postgres.event-store';

/** How long taking the next epoch waits for a fenced write still in flight (it holds the epoch row). */
const ADVANCE_LOCK_TIMEOUT = '10s';

/**
 * Takes the next epoch of the lock `name` (on the session that holds the lock, right after taking
 * it). A fenced write in flight holds the epoch row (`for share`) until its transaction ends, so the
 * new epoch is only taken once the old leader's last write committed or rolled back: what the new
 * leader reads next (its checkpoint) includes it. Waits at most `ADVANCE_LOCK_TIMEOUT` for that
 * (a stale transaction left open): then it throws, and the caller gives the lock up and tries later.
 */
export async function advanceLeaderEpoch(client: ClientBase, name: string, tables: PostgresEventStoreTables = {}): Promise<LeaderFence> {
  const table = postgresSqlNames(tables).leaderEpochs;
  await client.query('begin');
  try {
    await client.query(`set local lock_timeout = '${ADVANCE_LOCK_TIMEOUT}'`);
    // The table may not exist yet (the first leader of a new database): created under the DDL lock
    // every schema change of the store takes, so concurrent creators never collide.
    await client.query(`select pg_advisory_xact_lock(hashtextextended('hub.event-store.ddl', 0))`);
    await client.query(leaderEpochsDdl(tables));
    const { rows } = await client.query<{ epoch: string }>(
      `insert into ${table} (name, epoch, acquired_at) values ($1, 1, now())
       on conflict (name) do update set epoch = ${table}.epoch + 1, acquired_at = now()
       returning epoch`,
      [name],
    );
    await client.query('commit');
    return { name, epoch: BigInt(rows[0]!.epoch) };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** The DDL of the epochs table (run with the checkpoint table's: `ensurePostgresCheckpointSchema`). */
export function leaderEpochsDdl(tables: PostgresEventStoreTables = {}): string {
  return `
    create table if not exists ${postgresSqlNames(tables).leaderEpochs} (
      name text primary key,
      -- the current leadership's fencing token: incremented on every acquisition of the lock
      epoch bigint not null,
      acquired_at timestamptz not null default now()
    );`;
}
