import { createHash, randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { HubError } from '@hub/contracts';
import { formatKeyScopes, KEY_SCOPES, type KeyScope } from './api-keys';

/**
 * Tenants and API keys managed at run time (issue #16, item 2; docs/operations.md, "API keys"):
 * the query API's admin routes write them, the query API and ingest-api look keys up here besides
 * their env-configured ones, so a key created, rotated or revoked takes effect without a restart.
 * Only a key's SHA-256 is stored (and its last four characters, to tell keys apart); the secret is
 * returned once, when it is made. Every change is appended to an audit table with who made it.
 */

/** `query`: the query API, one tenant, the scopes listed. `ingest`: ingest-api, one source sending for one tenant. */
export type StoredKeyKind = 'query' | 'ingest';

export interface StoredKey {
  keyId: string;
  tenantId: string;
  kind: StoredKeyKind;
  /** Ingest keys: the sending platform. */
  source: string | null;
  /** Query keys: what it may do in its tenant. Ingest keys: none. */
  scopes: ReadonlySet<KeyScope>;
  last4: string;
  rateLimitPerMinute: number | null;
  createdAt: Date;
  /** Refused from then on (a rotated key's grace ends here). */
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The key that replaced it, when rotated. */
  rotatedTo: string | null;
}

export interface Tenant {
  tenantId: string;
  name: string;
  createdAt: Date;
}

/** The changes the key store records itself, in the transaction that makes them. */
export type KeyAuditAction = 'tenant.created' | 'key.created' | 'key.rotated' | 'key.revoked';

/**
 * One entry of the hub's audit log (`hub_key_audit`): the key store's own changes (`KeyAuditAction`)
 * and, through `AuditLog`, every read of personal data and every other admin action (audit-log.ts).
 */
export interface KeyAuditEntry {
  id: number;
  at: Date;
  /** Who: the operator and the id of the operator key presented, a tenant key's id, or an OpenID Connect subject. */
  actor: string;
  action: string;
  tenantId: string | null;
  keyId: string | null;
  /** The customer whose data was read or changed, when one was named. */
  customerId: string | null;
  /** `ok`, or what stopped it (`not_found`, `rejected`, `failed`). */
  outcome: string;
  detail: Record<string, unknown>;
}

export interface NewKey {
  tenantId: string;
  kind: StoredKeyKind;
  source?: string;
  scopes?: readonly KeyScope[];
  expiresAt?: Date;
  rateLimitPerMinute?: number;
}

/** A key just made: the stored record and its secret, which exists nowhere else. */
export interface IssuedKey {
  key: StoredKey;
  secret: string;
}

export class ApiKeyStoreError extends HubError {
  /** The same call cannot succeed unchanged: the tenant exists, the key is unknown or revoked. */
  readonly retryable = false;
  constructor(
    readonly code: 'tenant_exists' | 'unknown_tenant' | 'unknown_key' | 'key_inactive',
    message: string,
  ) {
    super(message);
  }
}

export const KEY_STORE = Symbol('KEY_STORE');

/** The port: what the admin API and the key checks need from the store. */
export interface KeyStore {
  ensureSchema(): Promise<void>;
  createTenant(tenant: { tenantId: string; name: string }, actor: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  createKey(key: NewKey, actor: string): Promise<IssuedKey>;
  listKeys(tenantId: string): Promise<StoredKey[]>;
  /** A new secret for the same tenant, kind and scopes; the old key keeps working `graceMs` more (0: refused at once). */
  rotateKey(keyId: string, graceMs: number, actor: string): Promise<{ issued: IssuedKey; previous: StoredKey }>;
  revokeKey(keyId: string, actor: string): Promise<StoredKey>;
  /** The latest changes, newest first; only one tenant's when given. */
  listAudit(limit: number, tenantId?: string): Promise<KeyAuditEntry[]>;
  /** The key with this SHA-256, if it is neither revoked nor expired now. */
  findActive(digest: Buffer): Promise<StoredKey | undefined>;
}

/** A new secret: 32 random bytes, base64url, with a prefix that says what it is (secret scanners match it). */
export function newKeySecret(): string {
  return `hubk_${randomBytes(32).toString('base64url')}`;
}

interface KeyRow {
  key_id: string;
  tenant_id: string;
  kind: StoredKeyKind;
  source: string | null;
  scopes: string;
  last4: string;
  rate_limit_per_minute: number | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  rotated_to: string | null;
}

const KEY_COLUMNS = 'key_id, tenant_id, kind, source, scopes, last4, rate_limit_per_minute, created_at, expires_at, revoked_at, rotated_to';

function keyOf(row: KeyRow): StoredKey {
  const scopes = new Set(row.scopes.split('+').filter((s): s is KeyScope => (KEY_SCOPES as readonly string[]).includes(s)));
  return {
    keyId: row.key_id,
    tenantId: row.tenant_id,
    kind: row.kind,
    source: row.source,
    scopes,
    last4: row.last4,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    rotatedTo: row.rotated_to,
  };
}

/**
 * The tables' DDL (idempotent): `ensureSchema` and version 1 of the component's migrations. The audit
 * log is append-only in the database too (a trigger): an entry cannot be changed or removed, whoever
 * connects; the audit log of reads and admin actions (audit-log.ts) shares the table.
 */
export const API_KEYS_DDL = `
create table if not exists hub_tenants (
  tenant_id text primary key,
  name text not null,
  created_at timestamptz not null default now());
create table if not exists hub_api_keys (
  key_id text primary key,
  tenant_id text not null references hub_tenants (tenant_id),
  kind text not null check (kind in ('query', 'ingest')),
  source text,
  scopes text not null,
  digest bytea not null unique check (length(digest) = 32),
  last4 text not null,
  rate_limit_per_minute integer,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  rotated_to text);
create index if not exists hub_api_keys_tenant on hub_api_keys (tenant_id);
create table if not exists hub_key_audit (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  tenant_id text,
  key_id text,
  detail jsonb not null default '{}');
create or replace function hub_key_audit_append_only() returns trigger language plpgsql as $$
        begin raise exception 'hub_key_audit is append-only'; end $$;
alter table hub_key_audit
  add column if not exists customer_id text,
  add column if not exists outcome text not null default 'ok';
create index if not exists hub_key_audit_tenant_at on hub_key_audit (tenant_id, at);
-- Append-only in the database too: an entry cannot be changed or removed, whoever connects.
create or replace trigger hub_key_audit_append_only before update or delete or truncate on hub_key_audit
  for each statement execute function hub_key_audit_append_only();
`;

/** The store in PostgreSQL: `hub_tenants`, `hub_api_keys` and the append-only `hub_key_audit`. */
export class PostgresKeyStore implements KeyStore {
  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    await this.transaction(async (c) => {
      // Instances booting together must not race on CREATE TABLE IF NOT EXISTS (it can fail on the catalog).
      await c.query("select pg_advisory_xact_lock(hashtext('hub_api_keys'))");
      await c.query(API_KEYS_DDL);
    });
  }

  async createTenant(tenant: { tenantId: string; name: string }, actor: string): Promise<Tenant> {
    return this.transaction(async (c) => {
      const r = await c.query<{ tenant_id: string; name: string; created_at: Date }>(
        'insert into hub_tenants (tenant_id, name) values ($1, $2) on conflict do nothing returning tenant_id, name, created_at',
        [tenant.tenantId, tenant.name],
      );
      const row = r.rows[0];
      if (!row) throw new ApiKeyStoreError('tenant_exists', `tenant ${tenant.tenantId} exists`);
      await this.audit(c, actor, 'tenant.created', tenant.tenantId, null, { name: tenant.name });
      return { tenantId: row.tenant_id, name: row.name, createdAt: row.created_at };
    });
  }

  async listTenants(): Promise<Tenant[]> {
    const r = await this.pool.query<{ tenant_id: string; name: string; created_at: Date }>(
      'select tenant_id, name, created_at from hub_tenants order by tenant_id',
    );
    return r.rows.map((row) => ({ tenantId: row.tenant_id, name: row.name, createdAt: row.created_at }));
  }

  async createKey(key: NewKey, actor: string): Promise<IssuedKey> {
    return this.transaction(async (c) => {
      const tenant = await c.query('select 1 from hub_tenants where tenant_id = $1', [key.tenantId]);
      if (tenant.rowCount === 0) throw new ApiKeyStoreError('unknown_tenant', `tenant ${key.tenantId} is not in the key store`);
      const issued = await this.insertKey(c, key);
      await this.audit(c, actor, 'key.created', key.tenantId, issued.key.keyId, describe(issued.key));
      return issued;
    });
  }

  async listKeys(tenantId: string): Promise<StoredKey[]> {
    const r = await this.pool.query<KeyRow>(`select ${KEY_COLUMNS} from hub_api_keys where tenant_id = $1 order by created_at, key_id`, [
      tenantId,
    ]);
    return r.rows.map(keyOf);
  }

  async rotateKey(keyId: string, graceMs: number, actor: string): Promise<{ issued: IssuedKey; previous: StoredKey }> {
    return this.transaction(async (c) => {
      const old = await this.activeForUpdate(c, keyId);
      const issued = await this.insertKey(c, {
        tenantId: old.tenantId,
        kind: old.kind,
        ...(old.source !== null ? { source: old.source } : {}),
        scopes: [...old.scopes],
        ...(old.expiresAt !== null ? { expiresAt: old.expiresAt } : {}),
        ...(old.rateLimitPerMinute !== null ? { rateLimitPerMinute: old.rateLimitPerMinute } : {}),
      });
      const r = await c.query<KeyRow>(
        `update hub_api_keys
            set expires_at = least(coalesce(expires_at, 'infinity'), now() + $2 * interval '1 millisecond'), rotated_to = $3
          where key_id = $1 returning ${KEY_COLUMNS}`,
        [keyId, graceMs, issued.key.keyId],
      );
      const previous = keyOf(r.rows[0]!);
      await this.audit(c, actor, 'key.rotated', old.tenantId, keyId, {
        newKeyId: issued.key.keyId,
        graceMs,
        previousExpiresAt: previous.expiresAt,
      });
      return { issued, previous };
    });
  }

  async revokeKey(keyId: string, actor: string): Promise<StoredKey> {
    return this.transaction(async (c) => {
      const r = await c.query<KeyRow>(
        `update hub_api_keys set revoked_at = coalesce(revoked_at, now()) where key_id = $1 returning ${KEY_COLUMNS}`,
        [keyId],
      );
      const row = r.rows[0];
      if (!row) throw new ApiKeyStoreError('unknown_key', `no key ${keyId}`);
      await this.audit(c, actor, 'key.revoked', row.tenant_id, keyId, {});
      return keyOf(row);
    });
  }

  async listAudit(limit: number, tenantId?: string): Promise<KeyAuditEntry[]> {
    const r = await this.pool.query<AuditRow>(
      `select ${AUDIT_COLUMNS} from hub_key_audit where ($2::text is null or tenant_id = $2) order by id desc limit $1`,
      [limit, tenantId ?? null],
    );
    return r.rows.map(auditEntryOf);
  }

  async findActive(digest: Buffer): Promise<StoredKey | undefined> {
    const r = await this.pool.query<KeyRow>(
      `select ${KEY_COLUMNS} from hub_api_keys
        where digest = $1 and revoked_at is null and (expires_at is null or expires_at > now())`,
      [digest],
    );
    return r.rows[0] ? keyOf(r.rows[0]) : undefined;
  }

  private async activeForUpdate(c: PoolClient, keyId: string): Promise<StoredKey> {
    const r = await c.query<KeyRow & { active: boolean }>(
      `select ${KEY_COLUMNS}, (revoked_at is null and (expires_at is null or expires_at > now())) as active
         from hub_api_keys where key_id = $1 for update`,
      [keyId],
    );
    const row = r.rows[0];
    if (!row) throw new ApiKeyStoreError('unknown_key', `no key ${keyId}`);
    if (!row.active) throw new ApiKeyStoreError('key_inactive', `key ${keyId} is revoked or expired`);
    return keyOf(row);
  }

  private async insertKey(c: PoolClient, key: NewKey): Promise<IssuedKey> {
    const secret = newKeySecret();
    const digest = createHash('sha256').update(secret, 'utf8').digest();
    const keyId = `key_${randomBytes(8).toString('hex')}`;
    const scopes = key.kind === 'query' ? formatKeyScopes(new Set(key.scopes ?? ['read'])) : '';
    const r = await c.query<KeyRow>(
      `insert into hub_api_keys (key_id, tenant_id, kind, source, scopes, digest, last4, rate_limit_per_minute, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${KEY_COLUMNS}`,
      [
        keyId,
        key.tenantId,
        key.kind,
        key.kind === 'ingest' ? (key.source ?? null) : null,
        scopes,
        digest,
        secret.slice(-4),
        key.rateLimitPerMinute ?? null,
        key.expiresAt ?? null,
      ],
    );
    return { key: keyOf(r.rows[0]!), secret };
  }

  private async audit(
    c: PoolClient,
    actor: string,
    action: KeyAuditAction,
    tenantId: string | null,
    keyId: string | null,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await c.query('insert into hub_key_audit (actor, action, tenant_id, key_id, detail) values ($1, $2, $3, $4, $5)', [
      actor,
      action,
      tenantId,
      keyId,
      JSON.stringify(detail),
    ]);
  }

  private async transaction<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('begin');
      const result = await work(c);
      await c.query('commit');
      return result;
    } catch (err) {
      await c.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}

/** A row of `hub_key_audit` as read. */
export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  tenant_id: string | null;
  key_id: string | null;
  customer_id: string | null;
  outcome: string;
  detail: Record<string, unknown>;
}

export const AUDIT_COLUMNS = 'id, at, actor, action, tenant_id, key_id, customer_id, outcome, detail';

export function auditEntryOf(row: AuditRow): KeyAuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    tenantId: row.tenant_id,
    keyId: row.key_id,
    customerId: row.customer_id,
    outcome: row.outcome,
    detail: row.detail,
  };
}

function describe(key: StoredKey): Record<string, unknown> {
  return {
    kind: key.kind,
    source: key.source,
    scopes: formatKeyScopes(key.scopes),
    last4: key.last4,
    expiresAt: key.expiresAt,
    rateLimitPerMinute: key.rateLimitPerMinute,
  };
}

/**
 * Stored keys as the HTTP edges check them: a presented key's digest looked up in the store, the
 * answer (found or not) kept `ttlMs`. A key created is accepted, and a key revoked refused, at most
 * `ttlMs` after the change, on every instance; a rotated key's grace ends on time (its expiry is
 * checked on every use, not only on lookup). At most `maxEntries` answers are kept (then all are dropped).
 */
export class CachedKeyLookup {
  private readonly cache = new Map<string, { at: number; key: Promise<StoredKey | undefined> }>();

  constructor(
    private readonly store: Pick<KeyStore, 'findActive'>,
    private readonly ttlMs = 5_000,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** The active stored key presented; throws when the store cannot be read (the caller answers 503). */
  async verify(presented: string): Promise<StoredKey | undefined> {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const hex = digest.toString('hex');
    const now = this.clock();
    let hit = this.cache.get(hex);
    if (!hit || now - hit.at >= this.ttlMs) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      hit = { at: now, key: this.store.findActive(digest) };
      this.cache.set(hex, hit);
      // A failed lookup is not remembered.
      hit.key.catch(() => this.cache.delete(hex));
    }
    const key = await hit.key;
    if (!key) return undefined;
    return key.expiresAt !== null && key.expiresAt.getTime() <= this.clock() ? undefined : key;
  }
}
