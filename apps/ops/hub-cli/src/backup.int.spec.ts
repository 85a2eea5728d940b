import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { customerStream, deterministicId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { createCustomerStores, eraseCustomerRecord, recordInteraction, type CustomerStores } from '@hub/customer-records';
import { freshDatabase, freshId, TEST_IDENTITY_NAMING } from '@hub/testing';
import { PostgresTimelineStore } from '@hub/timeline';
import { CliContext } from './cli-context';
import { reapplyErasures } from './backup/backup.command';
import { cliWorld, projectLive, runCli, TEST_KEK, type CliWorld } from './testing/cli-harness';

jest.setTimeout(180_000);

const tenant = freshId('bk').toLowerCase();
const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 10, minute)).toISOString();
const phone = (n: number): IdentityRef => ({ kind: 'phone', value: `+1415558${String(1000 + n).padStart(4, '0')}` });

function sms(label: string, identity: IdentityRef, text: string, minute: number): InteractionReceived {
  const eventId = deterministicId('cli-backup', tenant, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [identity],
      content: { text, media: [] },
      provider: { name: 'test', messageId: label },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at(minute),
      recordedAt: at(minute),
      schemaVersion: 1,
      tenantId: tenant,
      channel: 'sms',
    },
  };
}

/** A restored database, its stores opened with the same key-encryption key. */
interface Restored {
  url: string;
  pool: Pool;
  stores: CustomerStores;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const opened: Restored[] = [];

/**
 * `hub restore --from file` into a new, empty database, then the record's stores on it (opened
 * only now: creating them on the empty database would make tables and the restore would refuse it).
 */
async function restoreInto(file: string): Promise<{ restored: Restored; stderr: string }> {
  const db = await freshDatabase('cli_restore');
  const r = await runCli(['restore', '--from', file, '--database-url', db.url], world.env);
  if (r.code !== 0) {
    await db.drop();
    throw new Error(`hub restore exited ${r.code}: ${r.stderr}`);
  }
  const pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
  const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, kek: TEST_KEK });
  const restored: Restored = {
    url: db.url,
    pool,
    stores,
    env: { ...world.env, DATABASE_URL: db.url },
    close: async () => {
      await stores.store.close();
      await pool.end();
      await db.drop();
    },
  };
  opened.push(restored);
  return { restored, stderr: r.stderr };
}

/** Every stream's events, opened, as (stream, revision, position, id, type, data, metadata). */
async function everyEvent(pool: Pool, stores: CustomerStores): Promise<unknown[]> {
  const streams = (await pool.query<{ stream_name: string }>('select stream_name from hub_streams order by stream_name')).rows;
  const out: unknown[] = [];
  for (const { stream_name } of streams)
    for (const e of await stores.store.readStream(stream_name))
      out.push({
        stream: e.streamName,
        revision: e.revision.toString(),
        position: e.globalPosition.toString(),
        eventId: e.eventId,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
      });
  return out;
}

async function timelineEntries(pool: Pool): Promise<unknown[]> {
  return (await pool.query('select * from timeline_entries where tenant_id = $1 order by event_id', [tenant])).rows;
}

async function textsOf(stores: CustomerStores, customerId: string): Promise<unknown[]> {
  return (await stores.store.readStream(customerStream(tenant, customerId)))
    .filter((e) => e.type === 'InteractionRecorded')
    .map((e) => (e.data as { content: { text?: unknown } }).content.text);
}

let world: CliWorld;
let dir: string;
let kept = '';
let erased = '';
let laterErased = '';
/** Taken before `laterErased` was erased. */
let before = '';
/** Taken after both erasures. */
let after = '';

beforeAll(async () => {
  world = await cliWorld('cli_backup');
  dir = await mkdtemp(join(tmpdir(), 'hub-backup-'));
  kept = (await recordInteraction(world.stores, sms('k1', phone(1), 'where is my parcel', 1), at(1))).customerId;
  await recordInteraction(world.stores, sms('k2', phone(1), 'still nothing', 2), at(2));
  erased = (await recordInteraction(world.stores, sms('e1', phone(2), 'please forget me', 3), at(3))).customerId;
  laterErased = (await recordInteraction(world.stores, sms('l1', phone(3), 'forget me next week', 4), at(4))).customerId;
  await recordInteraction(world.stores, sms('l2', phone(3), 'my address is 1 Main St', 5), at(5));
  await eraseCustomerRecord(world.stores, { tenantId: tenant, customerId: erased, reason: 'gdpr-art17', requestedBy: 'dpo', now: at(10) });
  await projectLive(world);

  before = join(dir, 'before.dump');
  const b = await runCli(['backup', '--out', before], world.env);
  expect({ code: b.code, stderr: b.stderr }).toEqual({
    code: 0,
    stderr: expect.stringMatching(/^backup: database ".*" on .* → .*before\.dump \(\d+ bytes\)\n$/),
  });

  await eraseCustomerRecord(world.stores, {
    tenantId: tenant,
    customerId: laterErased,
    reason: 'gdpr-art17',
    requestedBy: 'dpo',
    now: at(20),
  });
  await projectLive(world);
  after = join(dir, 'after.dump');
  expect((await runCli(['backup', '--out', after], world.env)).code).toBe(0);
});

afterAll(async () => {
  for (const r of opened) await r.close().catch(() => undefined);
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hub backup', () => {
  it('then the archive is a new file only its owner reads, and an existing file is never overwritten', async () => {
    expect((await stat(after)).mode & 0o777).toBe(0o600);
    expect((await readFile(after)).subarray(0, 5).toString()).toBe('PGDMP');

    const taken = join(dir, 'taken.dump');
    await writeFile(taken, 'keep me');
    const r = await runCli(['backup', '--out', taken], world.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hub backup: cannot create .*taken\.dump: EEXIST/);
    expect(await readFile(taken, 'utf8')).toBe('keep me');
  });

  it('then without --out it is a usage error', async () => {
    const r = await runCli(['backup'], world.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out is required');
  });

  it('then a missing pg_dump is reported and leaves no file', async () => {
    const out = join(dir, 'no-tool.dump');
    const r = await runCli(['backup', '--out', out], { ...world.env, PATH: join(dir, 'no-such-bin') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hub backup: pg_dump not found on PATH/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });
});

describe('hub restore of a backup taken after the erasures', () => {
  let restored: Restored;
  let stderr = '';
  beforeAll(async () => {
    ({ restored, stderr } = await restoreInto(after));
  });

  it('then every stream, opened with the restored keys, equals the original; the erased customers stay unreadable', async () => {
    expect(stderr).toMatch(
      /^restore: .*after\.dump → database ".*" on .*; re-applied 2 erasure\(s\): 0 key\(s\) destroyed again, 0 timeline row\(s\) purged\n$/,
    );

    const original = await everyEvent(world.pool, world.stores);
    expect(original.length).toBeGreaterThan(8);
    expect(await everyEvent(restored.pool, restored.stores)).toEqual(original);
    expect(await textsOf(restored.stores, kept)).toEqual(['where is my parcel', 'still nothing']);
    for (const id of [erased, laterErased]) {
      expect(await restored.stores.keys.get(tenant, id)).toBeUndefined();
      expect(await textsOf(restored.stores, id)).not.toContain('please forget me');
      expect(JSON.stringify(await textsOf(restored.stores, id))).not.toMatch(/forget|Main St/);
    }
  });

  it('then the timeline rebuilt from the restored store by hub replay equals the restored one and the original', async () => {
    const original = await timelineEntries(world.pool);
    expect(original.length).toBe(2);
    expect(await timelineEntries(restored.pool)).toEqual(original);

    const diff = await runCli(['replay', '--tenant', tenant, '--diff', '--takeover'], restored.env);
    expect({ code: diff.code, stderr: diff.stderr.split('\n').filter((l) => /fail|error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    expect(JSON.parse(diff.stdout)).toMatchObject({ diff: { missing: 0, extra: 0, changed: 0 } });
    expect(await timelineEntries(restored.pool)).toEqual(original);
  });

  it('then pg_restore failing (not an archive) is reported with its stderr', async () => {
    const junk = join(dir, 'junk.dump');
    await writeFile(junk, 'not an archive');
    const db = await freshDatabase('cli_restore');
    try {
      const r = await runCli(['restore', '--from', junk, '--database-url', db.url], world.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^hub restore: pg_restore exited with code 1: .*input file does not appear to be a valid archive/);
    } finally {
      await db.drop();
    }
  });

  it('then a second restore into that database is refused unless --force', async () => {
    const r = await runCli(['restore', '--from', after, '--database-url', restored.url], world.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^hub restore: database ".*" on .* already holds \d+ table\(s\): restore into a new, empty database, or pass --force/,
    );

    // --force replaces the archive's tables: the database is the backup's again.
    await restored.stores.store.close();
    const forced = await runCli(['restore', '--from', after, '--database-url', restored.url, '--force'], world.env);
    expect({ code: forced.code, stderr: forced.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('re-applied 2 erasure(s)') });
    restored.stores = await createCustomerStores(restored.pool, { identityNaming: TEST_IDENTITY_NAMING, kek: TEST_KEK });
    expect(await everyEvent(restored.pool, restored.stores)).toEqual(await everyEvent(world.pool, world.stores));
  });
});

describe('hub restore of a backup taken before an erasure', () => {
  it('then that customer is readable until the erasure is run again, and unreadable after', async () => {
    const { restored, stderr } = await restoreInto(before);
    expect(stderr).toContain('re-applied 1 erasure(s): 0 key(s) destroyed again');

    // The gap: the backup does not know of the later erasure.
    expect(await textsOf(restored.stores, laterErased)).toEqual(['forget me next week', 'my address is 1 Main St']);
    expect(await restored.stores.keys.get(tenant, erased)).toBeUndefined();

    // The operator re-runs the erasures recorded since the backup was taken (what the query API's erase runs).
    const again = await eraseCustomerRecord(restored.stores, {
      tenantId: tenant,
      customerId: laterErased,
      reason: 'gdpr-art17',
      requestedBy: 'dpo',
      now: at(30),
    });
    expect(again.keyDestroyed).toBe(true);
    await new PostgresTimelineStore(restored.pool).purgeCustomer(tenant, laterErased);
    expect(JSON.stringify(await textsOf(restored.stores, laterErased))).not.toMatch(/forget|Main St/);
    expect((await timelineEntries(restored.pool)).length).toBe(2);
  });

  it('then an erasure recorded in the restored store whose key is still there is applied again by the restore', async () => {
    const { restored } = await restoreInto(before);
    // As if the keys came back from older than the events: CustomerErased recorded, the key still there.
    const [erasedEvent] = (await world.stores.raw.readStream(customerStream(tenant, laterErased))).filter(
      (e) => e.type === 'CustomerErased',
    );
    await restored.stores.raw.appendToStream(
      customerStream(tenant, laterErased),
      [{ eventId: erasedEvent!.eventId, type: erasedEvent!.type, data: erasedEvent!.data, metadata: erasedEvent!.metadata }],
      { expectedRevision: 'any' },
    );
    expect(await restored.stores.keys.get(tenant, laterErased)).toBeDefined();

    const ctx = new CliContext({ stdout: process.stdout, stderr: process.stderr, env: restored.env });
    try {
      expect(await reapplyErasures(ctx)).toEqual({ erasures: 2, keysDestroyed: 1, timelineRowsPurged: 2 });
    } finally {
      await ctx.close();
    }
    expect(await restored.stores.keys.get(tenant, laterErased)).toBeUndefined();
    expect(JSON.stringify(await textsOf(restored.stores, laterErased))).not.toMatch(/forget|Main St/);
  });
});
