import type { ClientBase, Pool } from 'pg';
import { LeaderFencedError, type CheckpointStore, type LeaderFence } from './checkpoint-store.port';
import { mapPgError, postgresSqlNames, runDdl, type PostgresEventStoreTables } from './postgres.event-store';
import { leaderEpochsDdl } from './postgres.leader-fence';

/**
 * Checkpoints in PostgreSQL: table `<schema>.<prefix>hub_checkpoints` (same schema and prefix
 * options as the event store), one row per subscription id.
 *
 * For an exactly-once effect, a projection passes its open transaction's client to `save`:
 *
 *   await client.query('begin');
 *   await applyToReadModel(client, events);
 *   await checkpoints.save(subscriptionId, events.at(-1)!.globalPosition, client);
 *   await client.query('commit');
 *
 * and runs with `runCheckpointedSubscription(…, { checkpoint: 'in-handler' })`: a crash before the
 * commit leaves neither the change nor the checkpoint, and the batch is delivered again; after the
 * commit, both are there and the subscription resumes after the batch.
 */
export class PostgresCheckpointStore implements CheckpointStore<ClientBase> {
  private readonly sql: { load: string; save: string; fencedSave: string };

  /** Does not create the table: use `PostgresCheckpointStore.create` (or `ensurePostgresCheckpointSchema`). */
  constructor(
    private readonly pool: Pool,
    tables: PostgresEventStoreTables = {},
  ) {
    const table = postgresSqlNames(tables).checkpoints;
    this.sql = {
      load: `select position from ${table} where subscription_id = $1`,
      save: `
        insert into ${table} (subscription_id, position, updated_at) values ($1, $2::bigint, now())
        on conflict (subscription_id) do update set position = excluded.position, updated_at = excluded.updated_at`,
      // Written only while the fence's epoch is the lock's current one; the epoch row is held
      // (for share) until the caller's transaction ends, so a new leader's acquisition waits for it.
      fencedSave: `
        with fence as (select 1 from ${postgresSqlNames(tables).leaderEpochs} where name = $3 and epoch = $4::bigint for share)
        insert into ${table} (subscription_id, position, updated_at) select $1, $2::bigint, now() from fence
        on conflict (subscription_id) do update set position = excluded.position, updated_at = excluded.updated_at
        returning 1`,
    };
  }

  static async create(options: { pool: Pool } & PostgresEventStoreTables): Promise<PostgresCheckpointStore> {
    await ensurePostgresCheckpointSchema(options.pool, options);
    return new PostgresCheckpointStore(options.pool, options);
  }

  async load(subscriptionId: string, client?: ClientBase): Promise<bigint | undefined> {
    validateSubscriptionId(subscriptionId);
    try {
      const { rows } = await (client ?? this.pool).query<{ position: string }>(this.sql.load, [subscriptionId]);
      return rows[0] ? BigInt(rows[0].position) : undefined;
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /**
   * With `fence` (the leadership this writer holds, `whileLeader`), the checkpoint is written only if
   * that leadership is still the current one; else nothing is written and `LeaderFencedError`
   * (not retryable: step down) is thrown.
   */
  async save(subscriptionId: string, position: bigint, client?: ClientBase, fence?: LeaderFence): Promise<void> {
    validateSubscriptionId(subscriptionId);
    if (typeof position !== 'bigint' || position < 0n) throw new RangeError(`position must be a bigint >= 0n, not ${String(position)}`);
    let written: number | null;
    try {
      const db = client ?? this.pool;
      written = fence
        ? (await db.query(this.sql.fencedSave, [subscriptionId, position.toString(), fence.name, fence.epoch.toString()])).rowCount
        : (await db.query(this.sql.save, [subscriptionId, position.toString()])).rowCount;
    } catch (err) {
      throw mapPgError(err);
    }
    if (fence && written === 0) throw new LeaderFencedError(fence, `checkpoint ${subscriptionId} at ${position}`);
  }
}

/** Creates the checkpoint table when missing (idempotent, safe from several processes at once). */
export async function ensurePostgresCheckpointSchema(pool: Pool, tables: PostgresEventStoreTables = {}): Promise<void> {
  await runDdl(pool, postgresCheckpointDdl(tables));
}

/** The DDL `ensurePostgresCheckpointSchema` runs (idempotent): checkpoints and leader epochs. */
export function postgresCheckpointDdl(tables: PostgresEventStoreTables = {}): string {
  const n = postgresSqlNames(tables);
  return `
    create schema if not exists ${n.schema};
    create table if not exists ${n.checkpoints} (
      subscription_id text primary key,
      -- global position of the last event the subscription handled (exclusive start of the next read)
      position bigint not null,
      updated_at timestamptz not null default now()
    );
    ${leaderEpochsDdl(tables)}
  `;
}

function validateSubscriptionId(subscriptionId: string): void {
  if (typeof subscriptionId !== 'string' || subscriptionId.trim() === '') throw new RangeError('subscriptionId must be a non-empty string');
}
