import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { eventually, FaultProxy, freshId, testInfra } from '@hub/testing';
import type { NewEvent } from './event-store.port';
import { PostgresEventStore } from './postgres.event-store';

/**
 * Issue #15, F5: an ambiguous write — the append reached PostgreSQL and committed, but its answer
 * never came back (the link went half-open), so the caller saw a failure. Retried with the same event
 * ids, as every hub writer does, it must be a no-op: stored once, at one place in the log.
 */
const infra = testInfra();
const event = (): NewEvent => ({ eventId: randomUUID(), type: 'AmbiguousTested', data: { value: randomUUID() }, metadata: {} });

describe('PostgresEventStore under an ambiguous write (answer lost after the commit)', () => {
  let proxy: FaultProxy;
  let pool: Pool;
  let direct: Pool;
  let store: PostgresEventStore | undefined;

  beforeAll(async () => {
    const target = new URL(infra.databaseUrl);
    proxy = await FaultProxy.start({ target: { host: target.hostname, port: Number(target.port || 5432) } });
    const viaProxy = new URL(infra.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // A client-side timeout is how a writer notices an answer that never comes. One connection, so
    // that the append below goes out on it (a new connection through a half-open link never opens).
    pool = new Pool({ connectionString: viaProxy.toString(), max: 1, query_timeout: 1_000, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined);
    direct = new Pool({ connectionString: infra.databaseUrl, max: 2 });
  });
  afterAll(async () => {
    await store?.close();
    await pool.end();
    await direct.end();
    await proxy.close();
  });

  afterEach(() => proxy.set({ kind: 'pass' }));

  it('stores a retried batch once: the retry answers duplicate, and the log holds each event at one position', async () => {
    store = await PostgresEventStore.create({ pool });
    const stream = `ambiguous-${freshId('s')}`;
    await store.appendToStream(stream, [event()], { expectedRevision: 'no_stream' });
    // Its notification has gone out too: the one connection is idle.
    await eventually(async () => (pool.idleCount === 1 && pool.waitingCount === 0 ? true : undefined), { what: 'the pool idle' });

    const batch = [event(), event()];
    proxy.set({ kind: 'half-open' });
    await expect(store.appendToStream(stream, batch, { expectedRevision: 0n })).rejects.toThrow();
    proxy.set({ kind: 'pass' });

    // It was written, though the caller was told it failed.
    const seen = await direct.query<{ n: string }>(`select count(*)::text as n from hub_events where event_id = any($1::uuid[])`, [
      batch.map((e) => e.eventId),
    ]);
    expect(seen.rows[0]!.n).toBe('2');

    const retried = await store.appendToStream(stream, batch, { expectedRevision: 0n });
    expect(retried.duplicate).toBe(true);
    const events = await store.readStream(stream);
    expect(events.map((e) => e.eventId)).toEqual([events[0]!.eventId, ...batch.map((e) => e.eventId)]);
    const positions = new Set(events.map((e) => e.globalPosition));
    expect(positions.size).toBe(3);
  });
});
