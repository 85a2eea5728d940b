import { deterministicId } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { PostgresCheckpointStore } from '@hub/event-store';
import { freshId } from '@hub/testing';
import { TIMELINE_REPLAY_LOCK } from '@hub/timeline';
import type { ReplayReport } from './replay/replay.command';
import { cliWorld, history, interaction, liveProjector, projectLive, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(120_000);

let world: CliWorld;
beforeAll(async () => {
  world = await cliWorld('cli_replay');
});
afterAll(() => world?.close());

const report = (stdout: string) => JSON.parse(stdout) as ReplayReport & { diff: NonNullable<ReplayReport['diff']> };

async function rebuildSchemas(): Promise<string[]> {
  const r = await world.pool.query<{ nspname: string }>("select nspname from pg_namespace where nspname like 'timeline_rebuild_%'");
  return r.rows.map((row) => row.nspname);
}

async function liveEntries(tenantId: string): Promise<unknown[]> {
  return (await world.pool.query('select * from timeline_entries where tenant_id = $1 order by event_id', [tenantId])).rows;
}

/** A tenant with 5 customers × 12 interactions; c2 was merged into c1 and c4 erased. */
async function seedTenant(tenantId: string): Promise<void> {
  for (let c = 0; c < 5; c++) await world.stores.customers.append(tenantId, `c${c}`, history(tenantId, `c${c}`, 12));
  const mergeId = deterministicId('merge', tenantId);
  const mergedInto: CustomerEvent = {
    type: 'CustomerMergedInto',
    data: { mergeId, survivorId: 'c1', reason: 'same person', source: 'agent_confirmed', identitiesHandedOver: [] },
    metadata: {
      eventId: deterministicId('merged-into', tenantId),
      correlationId: mergeId,
      causationId: mergeId,
      occurredAt: '2025-03-28T00:00:00.000Z',
      recordedAt: '2025-03-28T00:00:00.000Z',
      schemaVersion: 1,
      tenantId,
      channel: 'system',
    },
  };
  await world.stores.customers.append(tenantId, 'c2', [mergedInto]);
  const erased: CustomerEvent = {
    type: 'CustomerErased',
    data: { customerId: 'c4', reason: 'TICKET-1', requestedBy: 'test' },
    metadata: {
      eventId: deterministicId('erased', tenantId),
      correlationId: 'x',
      causationId: 'x',
      occurredAt: '2025-03-28T00:00:00.000Z',
      recordedAt: '2025-03-28T00:00:00.000Z',
      schemaVersion: 1,
      tenantId,
      channel: 'system',
    },
  };
  await world.stores.customers.append(tenantId, 'c4', [erased]);
}

describe('hub replay', () => {
  const a = freshId('ra').toLowerCase();
  const b = freshId('rb').toLowerCase();

  beforeAll(async () => {
    await seedTenant(a);
    await seedTenant(b);
    await projectLive(world);
  });

  describe('when the live read model was projected from the same history', () => {
    it('rebuilds an identical read model: the diff reports no difference, and the rebuild schema is dropped', async () => {
      const r = await runCli(['replay', '--diff'], world.env);
      expect(r.stderr).toContain('replay: no differences');
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const out = report(r.stdout);
      expect(out.diff).toMatchObject({ customers: 0, missing: 0, extra: 0, changed: 0, first: [] });
      // 4 visible customers × 12 in each tenant (the erased one has none).
      expect(out.diff.compared.live).toBe(2 * 4 * 12);
      expect(out.diff.compared.rebuilt).toBe(2 * 4 * 12);
      expect(out.rebuild.events).toBeGreaterThanOrEqual(2 * (5 * 13 + 2));
      expect(r.stderr).toMatch(/replay: [\d,]+ events · [\d,]+ events\/s · 100\.0% of head · ETA 0s/);
      expect(await rebuildSchemas()).toEqual([]);
    });

    it('keeps the rebuild schema with --keep, with the same rows as the live tables', async () => {
      const r = await runCli(['replay', '--tenant', a, '--keep'], world.env);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const { schema } = report(r.stdout);
      expect(await rebuildSchemas()).toEqual([schema]);
      const rebuilt = (await world.pool.query(`select * from ${schema}.timeline_entries order by event_id`)).rows;
      expect(rebuilt).toEqual(await liveEntries(a));
      const customers = (
        await world.pool.query(`select customer_id, merged_into, interactions from ${schema}.timeline_customers order by customer_id`)
      ).rows;
      expect(customers).toEqual([
        { customer_id: 'c0', merged_into: null, interactions: 12 },
        { customer_id: 'c1', merged_into: null, interactions: 12 },
        { customer_id: 'c2', merged_into: 'c1', interactions: 12 },
        { customer_id: 'c3', merged_into: null, interactions: 12 },
      ]);
      await world.pool.query(`drop schema ${schema} cascade`);
    });
  });

  describe('when a live row was deleted and another one changed', () => {
    it('the diff names exactly that customer and what differs; the takeover repairs it and moves the live checkpoint', async () => {
      const [gone, edited] = [interaction(a, 'c3', 4).metadata.eventId, interaction(a, 'c3', 7).metadata.eventId];
      await world.pool.query('delete from timeline_entries where event_id = $1', [gone]);
      await world.pool.query("update timeline_entries set text = 'tampered' where event_id = $1", [edited]);

      const diff = await runCli(['replay', '--diff'], world.env);
      expect({ code: diff.code, stderr: diff.stderr }).toMatchObject({ code: 1 });
      const out = report(diff.stdout);
      expect(out.diff).toMatchObject({ customers: 1, missing: 1, extra: 0, changed: 1 });
      expect(out.diff.first).toEqual([
        { tenantId: a, customerId: 'c3', missing: [gone], extra: [], changed: [{ eventId: edited, columns: ['text'] }] },
      ]);

      const checkpoints = new PostgresCheckpointStore(world.pool);
      const head = BigInt((await world.pool.query<{ h: string }>('select max(global_position)::text as h from hub_events')).rows[0]!.h);
      await checkpoints.save('timeline.v1', 3n); // as if the live projector were far behind
      const takeover = await runCli(['replay', '--diff', '--takeover'], world.env);
      expect({ code: takeover.code, stderr: takeover.stderr }).toMatchObject({ code: 0 });
      const t = report(takeover.stdout).takeover!;
      expect(t.checkpoint).toEqual({ id: 'timeline.v1', before: '3', after: head.toString() });
      expect(t.tables.timeline_entries.inserted).toBe(2 * 4 * 12);
      expect(await checkpoints.load('timeline.v1')).toBe(head);

      const again = await runCli(['replay', '--diff'], world.env);
      expect({ code: again.code, stderr: again.stderr }).toMatchObject({ code: 0 });
      expect(report(again.stdout).diff).toMatchObject({ customers: 0, missing: 0, extra: 0, changed: 0 });
      expect(await rebuildSchemas()).toEqual([]);
    });
  });

  describe('when one tenant is replayed', () => {
    it('replaces only that tenant and leaves the live checkpoint alone', async () => {
      const inA = interaction(a, 'c0', 1).metadata.eventId;
      const inB = interaction(b, 'c0', 1).metadata.eventId;
      await world.pool.query("update timeline_entries set text = 'tampered' where event_id = any($1::uuid[])", [[inA, inB]]);
      const checkpoints = new PostgresCheckpointStore(world.pool);
      const before = await checkpoints.load('timeline.v1');

      const r = await runCli(['replay', '--tenant', a, '--diff', '--takeover'], world.env);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const out = report(r.stdout);
      expect(out.diff.first.map((c) => [c.tenantId, c.customerId])).toEqual([[a, 'c0']]);
      expect(out.takeover!.checkpoint).toBeNull();
      expect(await checkpoints.load('timeline.v1')).toBe(before);
      const texts = await world.pool.query<{ event_id: string; text: string }>(
        'select event_id, text from timeline_entries where event_id = any($1::uuid[])',
        [[inA, inB]],
      );
      expect(Object.fromEntries(texts.rows.map((row) => [row.event_id, row.text]))).toEqual({
        [inA]: 'message 1 of c0',
        [inB]: 'tampered',
      });
      await world.pool.query("update timeline_entries set text = 'message 1 of c0' where event_id = $1", [inB]);
    });
  });

  describe('when the live projector keeps projecting while events are recorded', () => {
    it('the takeover loses nothing: afterwards the live read model equals a fresh rebuild', async () => {
      const tenant = freshId('rl').toLowerCase();
      await seedTenant(tenant);
      const projector = await liveProjector(world);
      await (
        await projector.start()
      ).caughtUp;
      let writing = true;
      const writer = (async () => {
        // Bounded: at most 300 appends, for as long as the takeover runs.
        for (let n = 100; n < 400 && writing; n++)
          await world.stores.customers.append(tenant, `c${n % 3}`, [interaction(tenant, `c${n % 3}`, n)]);
      })();
      try {
        const r = await runCli(['replay', '--takeover'], world.env);
        expect(r.stderr).toContain('took over');
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      } finally {
        writing = false;
        await writer;
      }
      const head = BigInt((await world.pool.query<{ h: string }>('select max(global_position)::text as h from hub_events')).rows[0]!.h);
      const checkpoints = new PostgresCheckpointStore(world.pool);
      for (let i = 0; i < 300 && ((await checkpoints.load('timeline.v1')) ?? 0n) < head; i++)
        await new Promise((res) => setTimeout(res, 100));
      await projector.stop();
      const diff = await runCli(['replay', '--diff'], world.env);
      const out = report(diff.stdout);
      expect(out.diff).toMatchObject({ customers: 0, missing: 0, extra: 0, changed: 0 });
      expect(out.diff.comparedUpTo).toBe(head.toString());
      expect({ code: diff.code, stderr: diff.stderr }).toMatchObject({ code: 0 });
    });
  });

  describe('when the projector never ran against the database (no read model, no checkpoints)', () => {
    it('builds the read model: the diff lists every entry as missing, the takeover fills it and sets the checkpoint', async () => {
      const fresh = await cliWorld('cli_replay_new');
      try {
        const tenant = freshId('rn').toLowerCase();
        await fresh.stores.customers.append(tenant, 'c0', history(tenant, 'c0', 5));
        const r = await runCli(['replay', '--diff', '--takeover'], fresh.env);
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
        const out = report(r.stdout);
        expect(out.diff).toMatchObject({ liveCheckpoint: null, customers: 1, missing: 5, extra: 0, changed: 0 });
        expect(out.takeover!.tables.timeline_entries).toEqual({ deleted: 0, inserted: 5 });
        expect(await new PostgresCheckpointStore(fresh.pool).load('timeline.v1')).toBe(BigInt(out.rebuild.upTo));
      } finally {
        await fresh.close();
      }
    });
  });

  describe('when another replay holds the replay lock (hub replay, or POST /replays of the query API)', () => {
    it('exits 1 without building anything', async () => {
      const holder = await world.pool.connect();
      try {
        await holder.query('select pg_advisory_lock(hashtext($1))', [TIMELINE_REPLAY_LOCK]);
        const r = await runCli(['replay', '--diff'], world.env);
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 1 });
        expect(r.stderr).toContain('hub replay: another replay is running against this database');
        expect(r.stdout).toBe('');
        expect(await rebuildSchemas()).toEqual([]);
      } finally {
        await holder.query('select pg_advisory_unlock(hashtext($1))', [TIMELINE_REPLAY_LOCK]);
        holder.release();
      }
    });
  });

  describe('when the command line is wrong', () => {
    it('exits 2 without touching the database', async () => {
      const r = await runCli(['replay', '--tenant', 'Not A Tenant'], world.env);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2 });
      expect(r.stderr).toContain('--tenant must match');
      expect(r.stdout).toBe('');
    });
  });
});
