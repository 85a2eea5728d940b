import { randomBytes } from 'node:crypto';
import type { Pool, QueryResultRow } from 'pg';
import { DecryptionError, KeyStoreError, KeyStoreUnavailableError, KeyUnwrapError, SubjectErasedError } from './crypto-shredding.errors';
import { decryptBytes, encryptBytes, KEY_BYTES } from './envelope';
import type { KeyStore, KeySubject } from './key-store.port';

/**
 * Data keys in PostgreSQL, table `hub_subject_keys`: one row per (tenant, subject) with a 32-byte
 * random key, made on first use and never rotated (key version 1).
 *
 * - **With a key-encryption key** (`kek`, from `HUB_KEK`): each data key is stored wrapped
 *   (AES-256-GCM under the KEK, bound to its tenant and subject), so a copy of the database alone
 *   reads nothing. Keep the KEK out of the database (a secret manager, a KMS-held secret).
 * - **Without one** the data keys are stored in clear in the same database as the events: anyone
 *   with a copy of that database reads everything. Fine for development only.
 *
 * Destroying a key sets the row's key to null and `destroyed_at`: the row stays as a tombstone so
 * the subject can never get a new key. PostgreSQL keeps the old row version until VACUUM removes
 * it, and WAL archives and backups keep it until they expire: erasure is complete only once those
 * have aged out (see README.md).
 */
export interface PostgresKeyStoreOptions {
  /** The key-encryption key (32 bytes; see `parseKeyEncryptionKey`). Without it keys are stored in clear. */
  kek?: Buffer;
}

/** The key table's DDL (idempotent): `ensureKeyStoreSchema` and version 1 of the component's migrations. */
export const SUBJECT_KEYS_DDL = `
create table if not exists hub_subject_keys (
  tenant_id text not null,
  subject_id text not null,
  key_version integer not null default 1,
  -- 'none': data_key is the 32-byte key; 'kek-v1': data_key is iv|tag|ciphertext of it under HUB_KEK
  wrapping text not null,
  -- null once destroyed (the row stays: an erased subject never gets a new key)
  data_key bytea,
  created_at timestamptz not null default now(),
  destroyed_at timestamptz,
  primary key (tenant_id, subject_id),
  constraint hub_subject_keys_destroyed check ((data_key is null) = (destroyed_at is not null)),
  constraint hub_subject_keys_wrapping check (wrapping in ('none', 'kek-v1'))
);
`;

type KeyRow = {
  wrapping: 'none' | 'kek-v1';
  data_key: Buffer | null;
};

type SubjectKeyRow = KeyRow & { tenant_id: string; subject_id: string };

/**
 * Makes the missing keys of many subjects and returns every subject's row, in one statement. The
 * candidates are inserted in (tenant, subject) order, so two such calls over the same new subjects
 * cannot deadlock. A row committed by a concurrent writer after this statement's snapshot is in
 * neither half (the insert skips it, the join does not see it): the caller reads those again.
 */
const GET_OR_CREATE_MANY = `
with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) as i(tenant_id, subject_id, wrapping, data_key)
), inserted as (
  insert into hub_subject_keys (tenant_id, subject_id, wrapping, data_key)
  select tenant_id, subject_id, wrapping, data_key from input order by tenant_id, subject_id
  on conflict (tenant_id, subject_id) do nothing
  returning tenant_id, subject_id, wrapping, data_key
)
select tenant_id, subject_id, wrapping, data_key from inserted
union all
select k.tenant_id, k.subject_id, k.wrapping, k.data_key from hub_subject_keys k join input i using (tenant_id, subject_id)`;

const GET_MANY = `
select k.tenant_id, k.subject_id, k.wrapping, k.data_key
from unnest($1::text[], $2::text[]) as i(tenant_id, subject_id)
join hub_subject_keys k using (tenant_id, subject_id)`;

export async function ensureKeyStoreSchema(pool: Pool): Promise<void> {
  const client = await pool.connect().catch((err: unknown) => {
    throw mapPgError(err);
  });
  let broken: Error | undefined;
  try {
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(hashtextextended('hub.subject-keys.ddl', 0))`);
    await client.query(SUBJECT_KEYS_DDL);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch((rollbackErr: Error) => (broken = rollbackErr));
    throw mapPgError(err);
  } finally {
    client.release(broken);
  }
}

export class PostgresKeyStore implements KeyStore {
  private readonly kek: Buffer | undefined;

  /** Does not create the table: use `PostgresKeyStore.create` (or `ensureKeyStoreSchema` once). The pool stays the caller's. */
  constructor(
    private readonly pool: Pool,
    options: PostgresKeyStoreOptions = {},
  ) {
    if (options.kek !== undefined && options.kek.length !== KEY_BYTES)
      throw new RangeError(`kek must be ${KEY_BYTES} bytes, got ${options.kek.length}`);
    this.kek = options.kek;
  }

  static async create(options: { pool: Pool } & PostgresKeyStoreOptions): Promise<PostgresKeyStore> {
    await ensureKeyStoreSchema(options.pool);
    return new PostgresKeyStore(options.pool, options);
  }

  async getOrCreate(tenantId: string, subjectId: string): Promise<Buffer> {
    const existing = await this.read(tenantId, subjectId);
    if (existing) return this.unwrapLive(tenantId, subjectId, existing);

    const key = randomBytes(KEY_BYTES);
    const stored = this.kek ? encryptBytes(this.kek, key, wrapAad(tenantId, subjectId)) : key;
    await this.query(
      `insert into hub_subject_keys (tenant_id, subject_id, wrapping, data_key) values ($1, $2, $3, $4)
       on conflict (tenant_id, subject_id) do nothing`,
      [tenantId, subjectId, this.kek ? 'kek-v1' : 'none', stored],
    );
    // Whoever inserted first wins; everyone returns the stored key (or learns it was destroyed meanwhile).
    const winner = await this.read(tenantId, subjectId);
    if (!winner) throw new Error(`hub key store: the key row of ${tenantId}/${subjectId} vanished after its insert`);
    return this.unwrapLive(tenantId, subjectId, winner);
  }

  async getOrCreateMany(subjects: readonly KeySubject[]): Promise<(Buffer | undefined)[]> {
    const unique = uniqueSubjects(subjects);
    if (unique.size === 0) return [];
    const candidates = [...unique.values()];
    const wrapping = this.kek ? 'kek-v1' : 'none';
    const stored = candidates.map(({ tenantId, subjectId }) => {
      const key = randomBytes(KEY_BYTES);
      return this.kek ? encryptBytes(this.kek, key, wrapAad(tenantId, subjectId)) : key;
    });
    const { rows } = await this.query<SubjectKeyRow>(GET_OR_CREATE_MANY, [
      candidates.map((s) => s.tenantId),
      candidates.map((s) => s.subjectId),
      candidates.map(() => wrapping),
      stored,
    ]);
    const found = byId(rows);
    // Made by someone else after this statement began: read them again (their rows are committed).
    const late = candidates.filter((s) => !found.has(subjectKeyId(s)));
    if (late.length > 0) {
      const again = await this.readMany(late);
      for (const [id, row] of again) found.set(id, row);
    }
    return subjects.map((s) => {
      const row = found.get(subjectKeyId(s));
      if (!row) throw new Error(`hub key store: the key row of ${s.tenantId}/${s.subjectId} vanished after its insert`);
      return row.data_key === null ? undefined : this.unwrap(s.tenantId, s.subjectId, row, row.data_key);
    });
  }

  async getMany(subjects: readonly KeySubject[]): Promise<(Buffer | undefined)[]> {
    const unique = uniqueSubjects(subjects);
    if (unique.size === 0) return [];
    const found = await this.readMany([...unique.values()]);
    return subjects.map((s) => {
      const row = found.get(subjectKeyId(s));
      return !row || row.data_key === null ? undefined : this.unwrap(s.tenantId, s.subjectId, row, row.data_key);
    });
  }

  async get(tenantId: string, subjectId: string): Promise<Buffer | undefined> {
    const row = await this.read(tenantId, subjectId);
    if (!row || row.data_key === null) return undefined;
    return this.unwrap(tenantId, subjectId, row, row.data_key);
  }

  async destroy(tenantId: string, subjectId: string): Promise<boolean> {
    // A subject that never had a key gets a tombstone, so that none is ever made for it.
    const tombstone = await this.query(
      `insert into hub_subject_keys (tenant_id, subject_id, wrapping, data_key, destroyed_at) values ($1, $2, 'none', null, now())
       on conflict (tenant_id, subject_id) do nothing`,
      [tenantId, subjectId],
    );
    if (tombstone.rowCount === 1) return false;
    const destroyed = await this.query(
      `update hub_subject_keys set data_key = null, destroyed_at = now()
       where tenant_id = $1 and subject_id = $2 and data_key is not null`,
      [tenantId, subjectId],
    );
    return destroyed.rowCount === 1;
  }

  private async read(tenantId: string, subjectId: string): Promise<KeyRow | undefined> {
    const r = await this.query<KeyRow>('select wrapping, data_key from hub_subject_keys where tenant_id = $1 and subject_id = $2', [
      tenantId,
      subjectId,
    ]);
    return r.rows[0];
  }

  private async readMany(subjects: readonly KeySubject[]): Promise<Map<string, KeyRow>> {
    const { rows } = await this.query<SubjectKeyRow>(GET_MANY, [subjects.map((s) => s.tenantId), subjects.map((s) => s.subjectId)]);
    return byId(rows);
  }

  private unwrapLive(tenantId: string, subjectId: string, row: KeyRow): Buffer {
    if (row.data_key === null) throw new SubjectErasedError(tenantId, subjectId);
    return this.unwrap(tenantId, subjectId, row, row.data_key);
  }

  private unwrap(tenantId: string, subjectId: string, row: KeyRow, stored: Buffer): Buffer {
    // A key stored in clear (written before a KEK was configured) is still read.
    if (row.wrapping === 'none') return stored;
    if (!this.kek) throw new KeyUnwrapError(tenantId, subjectId, 'no_kek_configured');
    try {
      return decryptBytes(this.kek, stored, wrapAad(tenantId, subjectId));
    } catch (err) {
      if (err instanceof DecryptionError) throw new KeyUnwrapError(tenantId, subjectId, 'wrong_kek_or_tampered');
      throw err;
    }
  }

  private async query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw mapPgError(err);
    }
  }
}

function subjectKeyId(subject: KeySubject): string {
  return JSON.stringify([subject.tenantId, subject.subjectId]);
}

function byId(rows: readonly SubjectKeyRow[]): Map<string, KeyRow> {
  return new Map(rows.map((row) => [subjectKeyId({ tenantId: row.tenant_id, subjectId: row.subject_id }), row]));
}

/** The distinct subjects, each once, by id. */
function uniqueSubjects(subjects: readonly KeySubject[]): Map<string, KeySubject> {
  return new Map(subjects.map((s) => [subjectKeyId(s), { tenantId: s.tenantId, subjectId: s.subjectId }]));
}

/** A wrapped key only unwraps as the key of the subject it was made for (no swapping rows). */
function wrapAad(tenantId: string, subjectId: string): Buffer {
  return Buffer.from(JSON.stringify(['hub-subject-key', 1, tenantId, subjectId]), 'utf8');
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, query_canceled (timeouts). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const CONNECTION_MESSAGES =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|Cannot use a pool after calling end/i;

function mapPgError(err: unknown): unknown {
  if (err instanceof KeyStoreError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const unavailable =
    (code !== undefined && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) ||
    (err instanceof Error && CONNECTION_MESSAGES.test(err.message));
  return unavailable
    ? new KeyStoreUnavailableError(`key store unavailable: ${err instanceof Error ? err.message : String(err)}`, err)
    : err;
}
