import type { ClientBase, Pool } from 'pg';
import type { CheckpointStore } from './checkpoint-store.port';
import { mapPgError, postgresSqlNames, runDdl, type PostgresEventStoreTables } from './postgres.event-store';

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
  private readonly sql: { load: string; save: string };

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

  async save(subscriptionId: string, position: bigint, client?: ClientBase): Promise<void> {
    validateSubscriptionId(subscriptionId);
    if (typeof position !== 'bigint' || position < 0n) throw new RangeError(`position must be a bigint >= 0n, not ${String(position)}`);
    try {
      await (client ?? this.pool).query(this.sql.save, [subscriptionId, position.toString()]);
    } catch (err) {
      throw mapPgError(err);
    }
  }
}

/** Creates the checkpoint table when missing (idempotent, safe from several processes at once). */
export async function ensurePostgresCheckpointSchema(pool: Pool, tables: PostgresEventStoreTables = {}): Promise<void> {
  const n = postgresSqlNames(tables);
  await runDdl(
    pool,
    `
    create schema if not exists ${n.schema};
    create table if not exists ${n.checkpoints} (
      subscription_id text primary key,
      -- global position of the last event the subscription handled (exclusive start of the next read)
      position bigint not null,
      updated_at timestamptz not null default now()
    );
  `,
  );
}

function validateSubscriptionId(subscriptionId: string): void {
  if (typeof subscriptionId !== 'string' || subscriptionId.trim() === '') throw new RangeError('subscriptionId must be a non-empty string');
}
