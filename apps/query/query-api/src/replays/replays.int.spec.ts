import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool, type PoolClient } from 'pg';
import { deterministicId, type EventMetadata } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore } from '@hub/event-store';
import { eventually, freshDatabase, freshId, startAppProcess, TEST_IDENTITY_NAMING } from '@hub/testing';
import { PostgresTimelineStore, TIMELINE_PROJECTION_ID, TIMELINE_REPLAY_LOCK, TimelineProjector, type ReplayRun } from '@hub/timeline';
import { startQueryApi } from '../main';

/**
 * `POST /replays` against real PostgreSQL, in a database of its own (a takeover replaces every
 * tenant's read model: it must not touch what other test files project). The API runs in-process,
 * and once as its own process to be killed mid-replay.
 */
jest.setTimeout(120_000);

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const KEK = Buffer.alloc(32, 9).toString('base64');
const tenant = freshId('rp').toLowerCase();
const tenantKey = randomBytes(24).toString('base64url');
const operatorKey = randomBytes(24).toString('base64url');

let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let stores: CustomerStores;
let env: Record<string, string>;
let app: NestFastifyApplication | undefined;
let url = '';

const meta = (eventId: string, at: string): EventMetadata => ({
  eventId,
  correlationId: eventId,
  causationId: eventId,
  occurredAt: at,
  recordedAt: at,
  schemaVersion: 1,
  tenantId: tenant,
  channel: 'sms',
});
const at = (n: number) => new Date(Date.UTC(2025, 2, 1 + (n % 27), n % 24)).toISOString();

/** A customer registered, then `count` messages: what the recorder writes. */
function history(customerId: string, count: number): CustomerEvent[] {
  const phone = `+1415555${String(2000 + customerId.length * 10 + count).padStart(4, '0')}`;
  return [
    {
      type: 'CustomerRegistered',
      data: { customerId, tenantId: tenant, identity: { kind: 'phone', value: phone } },
      metadata: meta(deterministicId('replay-api', tenant, customerId, 'registered'), at(0)),
    },
    ...Array.from({ length: count }, (_, n): CustomerEvent => {
      const eventId = deterministicId('replay-api', tenant, customerId, String(n));
      return {
        type: 'InteractionRecorded',
        data: {
          channel: 'sms',
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'phone', value: phone }],
          content: { text: `message ${n} of ${customerId}`, media: [] },
          provider: { name: 'twilio', messageId: `SM${n}` },
        },
        metadata: meta(eventId, at(n + 1)),
      };
    }),
  ];
}

async function start(): Promise<void> {
  ({ app, url } = await startQueryApi(env));
}

async function stop(): Promise<void> {
  await app?.close();
  app = undefined;
}

async function request(method: 'GET' | 'POST', path: string, key: string | undefined, body?: unknown, base = url) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Polls the run until it is no longer running (bounded by the test timeout). */
async function finished(id: string, base = url): Promise<ReplayRun> {
  return eventually(
    async () => {
      const r = await request('GET', `/replays/${id}`, operatorKey, undefined, base);
      const run = r.body as unknown as ReplayRun;
      return run.state === 'running' ? undefined : run;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: `replay ${id} to finish` },
  );
}

async function stageOf(id: string, stage: ReplayRun['stage'], base = url): Promise<void> {
  await eventually(
    async () => ((await request('GET', `/replays/${id}`, operatorKey, undefined, base)).body['stage'] === stage ? true : undefined),
    { timeoutMs: 60_000, what: `replay ${id} at ${stage}` },
  );
}

/** Holds a lock on the live entries: a takeover (which needs them exclusively) waits until `release`. */
async function blockTakeover(): Promise<{ release(): Promise<void> }> {
  const client: PoolClient = await pool.connect();
  await client.query('begin');
  await client.query('lock table timeline_entries in access share mode');
  return {
    release: async () => {
      await client.query('rollback');
      client.release();
    },
  };
}

const rebuildSchemas = async () =>
  (await pool.query<{ nspname: string }>("select nspname from pg_namespace where nspname like 'timeline_rebuild_%'")).rows.map(
    (r) => r.nspname,
  );

beforeAll(async () => {
  db = await freshDatabase('api_replay');
  pool = new Pool({ connectionString: db.url, max: 6 });
  // The database is dropped WITH (FORCE) at the end: an idle client terminated then must not crash the run.
  pool.on('error', () => undefined);
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, kek: KEK });
  for (const c of ['c0', 'c1', 'c2']) await stores.customers.append(tenant, c, history(c, 8));
  // The live read model, projected as the projector app does.
  const timeline = new PostgresTimelineStore(pool);
  await timeline.ensureSchema();
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const projector = new TimelineProjector({
    store: stores.store,
    timeline,
    checkpoints: await PostgresCheckpointStore.create({ pool }),
    subscriptionId: TIMELINE_PROJECTION_ID,
    logger: quiet,
  });
  await (
    await projector.start()
  ).caughtUp;
  await projector.stop();
  env = {
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_KEK: KEK,
    HUB_API_KEYS: `${tenant}:${sha(tenantKey)}`,
    HUB_ADMIN_API_KEYS: `ops-alice:${sha(operatorKey)}`,
  };
  await start();
});

afterAll(async () => {
  await stop();
  await stores?.store.close();
  await pool?.end();
  await db?.drop();
});

describe('replays over HTTP', () => {
  describe('when the key is missing, or is a tenant key', () => {
    it('then no replay starts: 401 without a key, 403 (insufficient scope) with a tenant key; an operator key opens no tenant', async () => {
      expect((await request('POST', '/replays', undefined, {})).status).toBe(401);
      const asTenant = await request('POST', '/replays', tenantKey, {});
      expect(asTenant.status).toBe(403);
      expect(asTenant.body).toEqual({ error: 'forbidden', reason: 'operator_key_required' });
      expect(asTenant.headers.get('www-authenticate')).toBe(
        'Bearer realm="hub-query-api", error="insufficient_scope", scope="hub:operator"',
      );
      expect((await request('GET', '/replays', tenantKey)).status).toBe(403);
      expect((await request('GET', `/tenants/${tenant}/customers`, operatorKey)).status).toBe(403);
      expect((await request('GET', `/tenants/${tenant}/customers`, tenantKey)).status).toBe(200);
      expect((await request('GET', '/replays', operatorKey)).body).toEqual({ replays: [] });
    });
  });

  describe('when an operator starts one and polls it', () => {
    it('then 202 with its Location, and the finished run reports progress and the diff naming what differs', async () => {
      const tampered = deterministicId('replay-api', tenant, 'c1', '3');
      await pool.query("update timeline_entries set text = 'tampered' where event_id = $1", [tampered]);

      const started = await request('POST', '/replays', operatorKey, { tenantId: tenant });
      expect(started.status).toBe(202);
      const id = started.body['id'] as string;
      expect(started.headers.get('location')).toBe(`/replays/${id}`);
      expect(started.body).toEqual(
        expect.objectContaining({
          id,
          state: 'running',
          location: `/replays/${id}`,
          requestedBy: `ops-alice (key ${sha(operatorKey).slice(0, 8)})`,
        }),
      );

      const run = await finished(id);
      expect(run).toEqual(
        expect.objectContaining({ state: 'succeeded', stage: 'finished', error: null, schema: null, finishedAt: expect.any(String) }),
      );
      expect(run.options).toEqual(expect.objectContaining({ tenantId: tenant, diff: true, takeover: false }));
      // 3 customers × (registration + 8 messages)
      expect(run.progress).toEqual(expect.objectContaining({ eventsDone: 27, eventsTotal: 27, percent: 100, etaSeconds: 0 }));
      expect(run.report?.diff).toEqual(
        expect.objectContaining({
          customers: 1,
          missing: 0,
          extra: 0,
          changed: 1,
          first: [{ tenantId: tenant, customerId: 'c1', missing: [], extra: [], changed: [{ eventId: tampered, columns: ['text'] }] }],
        }),
      );
      expect(run.report?.takeover).toBeUndefined();
      expect(await rebuildSchemas()).toEqual([]);
      // The live read model is untouched without takeover.
      expect((await pool.query('select text from timeline_entries where event_id = $1', [tampered])).rows).toEqual([{ text: 'tampered' }]);
    });
  });

  describe('when one runs and another start is asked for', () => {
    it('then the second gets 409 naming the running one, and the first completes its takeover afterwards', async () => {
      const blocker = await blockTakeover();
      let first = '';
      try {
        const started = await request('POST', '/replays', operatorKey, { takeover: true, diff: false, lockTimeoutSeconds: 60 });
        expect(started.status).toBe(202);
        first = started.body['id'] as string;
        // From here it cannot finish: the takeover waits for the blocker's lock.
        await stageOf(first, 'taking_over');
        const second = await request('POST', '/replays', operatorKey, {});
        expect(second.status).toBe(409);
        expect(second.body).toEqual({
          error: 'replay_running',
          reason: `replay ${first} is running; one replay at a time`,
          id: first,
          location: `/replays/${first}`,
        });
      } finally {
        await blocker.release();
      }
      const run = await finished(first);
      expect(run.state).toBe('succeeded');
      expect(run.report?.takeover).toEqual(
        expect.objectContaining({ checkpoint: expect.objectContaining({ id: TIMELINE_PROJECTION_ID }) }),
      );
      const repaired = await pool.query<{ text: string }>('select text from timeline_entries where event_id = $1', [
        deterministicId('replay-api', tenant, 'c1', '3'),
      ]);
      expect(repaired.rows).toEqual([{ text: 'message 3 of c1' }]);
    });

    it('then a replay held by another process (the CLI, another instance) also answers 409', async () => {
      const other = new Pool({ connectionString: db.url, max: 1 });
      try {
        const client = await other.connect();
        await client.query('select pg_advisory_lock(hashtext($1))', [TIMELINE_REPLAY_LOCK]);
        const r = await request('POST', '/replays', operatorKey, {});
        expect(r.status).toBe(409);
        expect(r.body).toEqual(expect.objectContaining({ error: 'replay_running', id: null }));
        client.release();
      } finally {
        await other.end();
      }
      const free = await request('POST', '/replays', operatorKey, { diff: false });
      expect(free.status).toBe(202);
      expect((await finished(free.body['id'] as string)).state).toBe('succeeded');
    });
  });

  describe('when the request is wrong', () => {
    it('then 400 names the fields, and an unknown replay is 404', async () => {
      const bad = await request('POST', '/replays', operatorKey, { tenantId: 'Not A Tenant', allowEmpty: 'yes', keep: true });
      expect(bad.status).toBe(400);
      expect((bad.body['fields'] as { field: string }[]).map((f) => f.field).sort()).toEqual(['allowEmpty', 'keep', 'tenantId']);
      expect((await request('POST', '/replays', operatorKey, { allowEmpty: true })).status).toBe(400);
      expect((await request('GET', `/replays/${deterministicId('nope')}`, operatorKey)).status).toBe(404);
      expect((await request('GET', '/replays/not-an-id', operatorKey)).status).toBe(404);
    });
  });

  describe('when the API restarts', () => {
    it('then it still answers for the runs it recorded', async () => {
      const before = (await request('GET', '/replays', operatorKey)).body['replays'] as ReplayRun[];
      await stop();
      await start();
      const after = (await request('GET', '/replays', operatorKey)).body['replays'] as ReplayRun[];
      expect(after).toEqual(before);
      expect(after.length).toBeGreaterThanOrEqual(3);
      expect((await request('GET', `/replays/${before[0]!.id}`, operatorKey)).body).toEqual(before[0]);
    });
  });

  describe('when the process running a replay is killed', () => {
    it('then the next instance marks it failed (interrupted) and drops its rebuild schema; nothing of the live read model changed', async () => {
      const live = (await pool.query('select * from timeline_entries order by event_id')).rows;
      const child = await startAppProcess('query-api', { ...env, LOG_LEVEL: 'info' }, { logSuffix: '-replay-kill' });
      const blocker = await blockTakeover();
      let id = '';
      try {
        const started = await request('POST', '/replays', operatorKey, { takeover: true, diff: false, lockTimeoutSeconds: 60 }, child.url);
        expect(started.status).toBe(202);
        id = started.body['id'] as string;
        await stageOf(id, 'taking_over', child.url);
        const exited = new Promise((resolve) => child.child.once('exit', resolve));
        child.child.kill('SIGKILL');
        await exited;
        expect((await rebuildSchemas()).length).toBe(1);
      } finally {
        await blocker.release();
        await child.stop();
      }
      // Read through this instance: the run's process is gone, so whoever reads it first fails it.
      const run = await finished(id);
      expect(run).toEqual(
        expect.objectContaining({ state: 'failed', error: expect.objectContaining({ code: 'REPLAY_INTERRUPTED' }), schema: null }),
      );
      expect(await rebuildSchemas()).toEqual([]);
      expect((await pool.query('select * from timeline_entries order by event_id')).rows).toEqual(live);
    });

    it('then a restarted instance fails runs left behind at boot', async () => {
      // As the killed process leaves it: marked running, a rebuild schema, no lock held.
      const orphan = deterministicId('orphan', tenant);
      await pool.query('create schema timeline_rebuild_20000101000000');
      await pool.query(
        `insert into timeline_replay_runs (id, state, stage, options, rebuild_schema) values ($1, 'running', 'rebuilding', '{}', 'timeline_rebuild_20000101000000')`,
        [orphan],
      );
      await stop();
      await start();
      const run = (
        await pool.query<{ state: string; error: { code: string } }>('select state, error from timeline_replay_runs where id = $1', [
          orphan,
        ])
      ).rows[0];
      expect(run).toEqual({ state: 'failed', error: expect.objectContaining({ code: 'REPLAY_INTERRUPTED' }) });
      expect(await rebuildSchemas()).toEqual([]);
    });
  });
});
